"""The declarative base every crsagent table is declared on, and the store's user-facing error."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase


class CatalogError(RuntimeError):
    """A catalog problem with a one-line, user-facing explanation and fix."""


class Base(DeclarativeBase):
    """Declarative base of every crsagent table."""
