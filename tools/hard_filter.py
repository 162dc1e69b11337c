"""Hard constraints (genres, years, people, rating, excluded ids) compiled to SQLAlchemy expressions.

Constraints are structured values only: no SQL text from a user or an LLM is ever executed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import ColumnElement, Select, and_, func, not_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tools.catalog import ItemGenreRow, ItemPersonRow, ItemRow, person_key

#: The genre vocabulary of the shipped catalog (see tools/data_build.py).
GENRES: tuple[str, ...] = (
    "action", "adventure", "animation", "biography", "comedy", "crime", "documentary", "drama", "family",
    "fantasy", "film-noir", "history", "horror", "music", "mystery", "romance", "sci-fi", "sport", "thriller",
    "war", "western", "superhero", "short", "tv movie",
)


class Constraints(BaseModel):
    """What every shown item must satisfy. Empty lists and None mean "no constraint"."""

    genres_include: list[str] = Field(default_factory=list, description="every one of these genres")
    genres_exclude: list[str] = Field(default_factory=list, description="none of these genres")
    year_min: int | None = Field(default=None, ge=1870, le=2100)
    year_max: int | None = Field(default=None, ge=1870, le=2100)
    people_include: list[str] = Field(default_factory=list, description="a director, writer or star, any of these")
    people_exclude: list[str] = Field(default_factory=list)
    min_rating: float | None = Field(default=None, ge=0, le=10, description="on a 0-10 scale")
    exclude_ids: list[int] = Field(default_factory=list)

    @field_validator("genres_include", "genres_exclude", mode="after")
    @classmethod
    def _lower(cls, values: list[str]) -> list[str]:
        return sorted({v.strip().lower() for v in values if v and v.strip()})

    def is_empty(self) -> bool:
        """True when nothing is constrained."""
        return not (
            self.genres_include or self.genres_exclude or self.year_min or self.year_max or self.people_include
            or self.people_exclude or self.min_rating is not None or self.exclude_ids
        )

    def contradiction(self) -> str | None:
        """A human-readable reason when no item can satisfy these constraints, else None."""
        if self.year_min and self.year_max and self.year_min > self.year_max:
            return f"the year range {self.year_min}-{self.year_max} is empty"
        both = set(self.genres_include) & set(self.genres_exclude)
        if both:
            return f"{', '.join(sorted(both))} is both wanted and excluded"
        return None

    def key(self) -> str:
        """A canonical cache key."""
        return self.model_dump_json(exclude={"exclude_ids"})

    def describe(self) -> list[str]:
        """Short phrases for replies and the UI ("no horror", "after 2010")."""
        out = [f"{g}" for g in self.genres_include] + [f"no {g}" for g in self.genres_exclude]
        if self.year_min and self.year_max:
            out.append(f"{self.year_min}-{self.year_max}")
        elif self.year_min:
            out.append(f"from {self.year_min}")
        elif self.year_max:
            out.append(f"up to {self.year_max}")
        out += [f"with {p}" for p in self.people_include] + [f"without {p}" for p in self.people_exclude]
        if self.min_rating is not None:
            out.append(f"rated {self.min_rating:g}+")
        return out


def _positive(c: Constraints) -> list[ColumnElement[bool]]:
    """Conditions an item must meet (genres, years, people, rating)."""
    conds: list[ColumnElement[bool]] = []
    for g in c.genres_include:
        conds.append(ItemRow.id.in_(select(ItemGenreRow.item_id).where(ItemGenreRow.genre == g)))
    if c.year_min is not None:
        conds.append(ItemRow.year >= c.year_min)
    if c.year_max is not None:
        conds.append(ItemRow.year <= c.year_max)
    if c.people_include:
        keys = [person_key(p) for p in c.people_include]
        conds.append(ItemRow.id.in_(select(ItemPersonRow.item_id).where(ItemPersonRow.name_key.in_(keys))))
    if c.min_rating is not None:
        conds.append(func.coalesce(ItemRow.rating, 0) >= c.min_rating)
    return conds


def compile_constraints(c: Constraints) -> Select[Any]:
    """The SELECT of item ids satisfying ``c`` (excluded ids are applied in Python by the caller)."""
    conds = _positive(c)
    if c.genres_exclude:
        conds.append(not_(ItemRow.id.in_(select(ItemGenreRow.item_id).where(ItemGenreRow.genre.in_(c.genres_exclude)))))
    if c.people_exclude:
        keys = [person_key(p) for p in c.people_exclude]
        conds.append(not_(ItemRow.id.in_(select(ItemPersonRow.item_id).where(ItemPersonRow.name_key.in_(keys)))))
    stmt = select(ItemRow.id)
    return stmt.where(and_(*conds)) if conds else stmt


def compile_violations(c: Constraints) -> Select[Any] | None:
    """The SELECT of item ids that an exclusion (genres or people) rules out, or None without exclusions.

    Exclusions usually remove a small part of the catalog, so fetching the violators is much cheaper than
    fetching every allowed id."""
    parts: list[Select[Any]] = []
    if c.genres_exclude:
        parts.append(select(ItemGenreRow.item_id).where(ItemGenreRow.genre.in_(c.genres_exclude)))
    if c.people_exclude:
        keys = [person_key(p) for p in c.people_exclude]
        parts.append(select(ItemPersonRow.item_id).where(ItemPersonRow.name_key.in_(keys)))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else parts[0].union(*parts[1:])  # type: ignore[return-value]


@dataclass(frozen=True)
class FilterResult:
    """The allowed item ids (None = every item), the explicitly excluded ids and, when empty, why."""

    allowed: frozenset[int] | None
    excluded: frozenset[int] = frozenset()
    reason: str | None = None

    def permits(self, item_id: int) -> bool:
        """Whether an item passes."""
        return item_id not in self.excluded and (self.allowed is None or item_id in self.allowed)


class HardFilter:
    """Runs compiled constraints against the catalog database, caching recent results."""

    def __init__(self, engine: Engine, cache_size: int = 256) -> None:
        self.engine = engine
        self._cache: OrderedDict[str, frozenset[int]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def apply(self, c: Constraints) -> FilterResult:
        """Evaluate constraints. Contradictions give an empty set with the reason; never raises on values."""
        explicit = frozenset(c.exclude_ids)
        reason = c.contradiction()
        if reason:
            return FilterResult(frozenset(), explicit, reason)
        base = c.model_copy(update={"exclude_ids": []})
        if base.is_empty():
            return FilterResult(None, explicit)
        positive = base.model_copy(update={"genres_exclude": [], "people_exclude": []})
        allowed = None if positive.is_empty() else self._ids("allowed:" + positive.key(), select(ItemRow.id).where(and_(*_positive(positive))))
        violations = compile_violations(base)
        excluded = explicit | (self._ids("violations:" + base.key(), violations) if violations is not None else frozenset())
        if allowed is not None and not allowed - excluded:
            return FilterResult(frozenset(), excluded, "no movie in the catalog matches " + ", ".join(base.describe()))
        return FilterResult(allowed, excluded)

    def _ids(self, key: str, stmt: Select[Any]) -> frozenset[int]:
        with self._lock:
            ids = self._cache.get(key)
        if ids is None:
            with Session(self.engine) as session:
                ids = frozenset(session.scalars(stmt).all())
            with self._lock:
                self._cache[key] = ids
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return ids
