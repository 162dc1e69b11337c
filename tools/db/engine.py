"""The SQLAlchemy engine for ``settings.db_url``: SQLite by default, PostgreSQL (or any backend) via ``DATABASE_URL``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from tools.db.base import CatalogError
from tools.settings import Settings


def make_engine(settings: Settings) -> Engine:
    """Create the engine for ``settings.db_url``; SQLite gets WAL, foreign keys and a busy timeout."""
    url = settings.db_url
    if url.startswith("sqlite"):
        try:
            settings.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CatalogError(
                f"cannot create CRSAGENT_HOME {settings.home} ({exc.strerror}): set CRSAGENT_HOME to a writable directory"
            ) from exc
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine
