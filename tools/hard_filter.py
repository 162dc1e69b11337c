"""Hard constraints (genres, years, people, rating, excluded ids) compiled to SQLAlchemy expressions.

Constraints are structured values only: no SQL text from a user or an LLM is ever executed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import ColumnElement, Select, and_, func, not_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tools.catalog import ItemGenreRow, ItemPersonRow, ItemRow, person_key


class Constraints(BaseModel):
    """What every shown item must satisfy. Empty lists and None mean "no constraint"."""

    genres_include: list[str] = Field(default_factory=list, description="every one of these genres")
    genres_exclude: list[str] = Field(default_factory=list, description="none of these genres")
    year_min: int | None = Field(default=None, ge=1870, le=2100)
    year_max: int | None = Field(default=None, ge=1870, le=2100)
    people_include: list[str] = Field(
        default_factory=list, description="a director, writer or star, any of these"
    )
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
            self.genres_include
            or self.genres_exclude
            or self.year_min
            or self.year_max
            or self.people_include
            or self.people_exclude
            or self.min_rating is not None
            or self.exclude_ids
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


def _genre_ids(genre: str) -> Select[Any]:
    return select(ItemGenreRow.item_id).where(ItemGenreRow.genre == genre)


def _people_ids(names: list[str]) -> Select[Any]:
    return select(ItemPersonRow.item_id).where(
        ItemPersonRow.name_key.in_(sorted({person_key(p) for p in names}))
    )


def compile_constraints(c: Constraints) -> Select[Any]:
    """The SELECT of item ids satisfying ``c`` (explicitly excluded ids are left to the caller).

    :class:`HardFilter` evaluates the same conditions from per-condition id lists it reads with these
    statements; this single statement is the reference form (and what a caller filtering in SQL uses)."""
    conds: list[ColumnElement[bool]] = [ItemRow.id.in_(_genre_ids(g)) for g in c.genres_include]
    if c.year_min is not None:
        conds.append(ItemRow.year >= c.year_min)
    if c.year_max is not None:
        conds.append(ItemRow.year <= c.year_max)
    if c.people_include:
        conds.append(ItemRow.id.in_(_people_ids(c.people_include)))
    if c.min_rating is not None:
        conds.append(func.coalesce(ItemRow.rating, 0) >= c.min_rating)
    conds += [not_(ItemRow.id.in_(_genre_ids(g))) for g in c.genres_exclude]
    if c.people_exclude:
        conds.append(not_(ItemRow.id.in_(_people_ids(c.people_exclude))))
    stmt = select(ItemRow.id)
    return stmt.where(and_(*conds)) if conds else stmt


@dataclass(frozen=True)
class FilterResult:
    """The allowed item ids (None = every item), the explicitly excluded ids and, when empty, why."""

    allowed: frozenset[int] | None
    excluded: frozenset[int] = frozenset()
    reason: str | None = None

    def permits(self, item_id: int) -> bool:
        """Whether an item passes."""
        return item_id not in self.excluded and (self.allowed is None or item_id in self.allowed)


@dataclass(frozen=True)
class _Columns:
    """Per-item attributes as arrays aligned with ``ids`` (sorted): what range conditions are evaluated on."""

    ids: np.ndarray
    year: np.ndarray  # float, NaN when unknown (never satisfies a year bound, as NULL in SQL)
    rating: np.ndarray  # float, unknown = 0 (as ``coalesce(rating, 0)``)


class HardFilter:
    """Evaluates constraints against the catalog database.

    Each condition is read from the database once with a SQLAlchemy statement (the year and rating columns,
    the items of a genre, the items of some people) and kept as an array; a constraint set is then combined
    with vectorised boolean operations, so its cost stays a few milliseconds on 200,000 items whatever the
    combination. The catalog is a snapshot per process (as :class:`tools.catalog.Catalog` is)."""

    def __init__(self, engine: Engine, cache_size: int = 128) -> None:
        self.engine = engine
        self._cols: _Columns | None = None
        self._lists: OrderedDict[str, np.ndarray] = OrderedDict()
        self._results: OrderedDict[str, tuple[frozenset[int] | None, frozenset[int]]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def warm(self) -> None:
        """Read the year and rating columns and every genre's items now."""
        self._columns()
        with Session(self.engine) as session:
            genres = list(session.scalars(select(ItemGenreRow.genre).distinct()))
        for genre in genres:
            self._ids_of(f"genre:{genre}", _genre_ids(genre))

    def apply(self, c: Constraints) -> FilterResult:
        """Evaluate constraints. Contradictions give an empty set with the reason; never raises on values."""
        explicit = frozenset(c.exclude_ids)
        reason = c.contradiction()
        if reason:
            return FilterResult(frozenset(), explicit, reason)
        base = c.model_copy(update={"exclude_ids": []})
        if base.is_empty():
            return FilterResult(None, explicit)
        key = base.key()
        with self._lock:
            cached = self._results.get(key)
        if cached is None:
            cached = self._evaluate(base)
            with self._lock:
                self._results[key] = cached
                if len(self._results) > self._cache_size:
                    self._results.popitem(last=False)
        allowed, violators = cached
        excluded = explicit | violators
        if allowed is not None and not allowed - excluded:
            return FilterResult(
                frozenset(), excluded, "no movie in the catalog matches " + ", ".join(base.describe())
            )
        return FilterResult(allowed, excluded)

    def _evaluate(self, c: Constraints) -> tuple[frozenset[int] | None, frozenset[int]]:
        """(ids meeting every wanted condition or None, ids ruled out by an exclusion)."""
        cols = self._columns()
        keep: np.ndarray | None = None

        def narrow(mask: np.ndarray) -> None:
            nonlocal keep
            keep = mask if keep is None else keep & mask

        for genre in c.genres_include:
            narrow(self._member(f"genre:{genre}", _genre_ids(genre)))
        if c.year_min is not None:
            narrow(cols.year >= c.year_min)
        if c.year_max is not None:
            narrow(cols.year <= c.year_max)
        if c.people_include:
            narrow(
                self._member(
                    f"people:{sorted(map(person_key, c.people_include))}", _people_ids(c.people_include)
                )
            )
        if c.min_rating is not None:
            narrow(cols.rating >= c.min_rating)
        out = np.zeros(len(cols.ids), dtype=bool)
        for genre in c.genres_exclude:
            out |= self._member(f"genre:{genre}", _genre_ids(genre))
        if c.people_exclude:
            out |= self._member(
                f"people:{sorted(map(person_key, c.people_exclude))}", _people_ids(c.people_exclude)
            )
        allowed = None if keep is None else frozenset(cols.ids[keep & ~out].tolist())
        return allowed, frozenset(cols.ids[out].tolist())

    def _columns(self) -> _Columns:
        with self._lock:
            if self._cols is None:
                with Session(self.engine) as session:
                    rows = session.execute(
                        select(ItemRow.id, ItemRow.year, ItemRow.rating).order_by(ItemRow.id)
                    ).all()
                self._cols = _Columns(
                    ids=np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)),
                    year=np.array([np.nan if r[1] is None else r[1] for r in rows], dtype=np.float64),
                    rating=np.array([r[2] or 0.0 for r in rows], dtype=np.float64),
                )
            return self._cols

    def _member(self, key: str, stmt: Select[Any]) -> np.ndarray:
        """A boolean mask over the catalog: the items the statement returns."""
        ids = self._columns().ids
        found = self._ids_of(key, stmt)
        pos = np.searchsorted(ids, found)
        mask = np.zeros(len(ids), dtype=bool)
        hit = pos < len(ids)
        pos = pos[hit]
        mask[pos[ids[pos] == found[hit]]] = True
        return mask

    def _ids_of(self, key: str, stmt: Select[Any]) -> np.ndarray:
        """The (cached) ids a per-condition statement returns."""
        with self._lock:
            found = self._lists.get(key)
            if found is not None:
                self._lists.move_to_end(key)
                return found
        with Session(self.engine) as session:
            found = np.fromiter(session.scalars(stmt), dtype=np.int64)
        with self._lock:
            self._lists[key] = found
            if len(self._lists) > self._cache_size:
                self._lists.popitem(last=False)
        return found
