"""Hard constraints (genres, years, people, rating, qualifiers, countries, running time, excluded ids)
compiled to SQLAlchemy expressions.

Constraints are structured values only: no SQL text from a user or an LLM is ever executed.

Unknown values (the catalog's data cannot check every constraint for every item; see
:meth:`HardFilter.unchecked` for the count a reply reports):

- **running time** (TMDB has it for about a fifth of the catalog, mostly films before 2001): an item with an
  unknown running time is *kept* and counted as unchecked. Excluding them would turn "not too long" into "an
  old film from the MovieLens 1M list" -- not what the user asked; a user expects good films, with a word
  that some lengths could not be checked.
- **country** (known for about three fifths): an item with an unknown country is *excluded*. "A Korean
  thriller" is a positive requirement; the unknown-country films are mostly American, so keeping them would
  fill the list with films that are almost surely not what was asked.
- **qualifier exclusions** ("no gore"): an item whose sources hold no keyword or tag at all is *kept* and
  counted as unchecked (half the catalog is untagged; excluding it would empty most lists); an item with tags
  but without the qualifier passes as checked.
- Items with neither a year nor a genre (:attr:`tools.catalog.Item.listed`) are never recommended unless
  ``include_unlisted`` (a user named one).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import ColumnElement, Select, and_, func, not_, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tools.catalog import Catalog, ItemGenreRow, ItemPersonRow, ItemQualifierRow, ItemRow, person_key
from tools.qualifiers import qualifier
from tools.titles import fold

#: Other names of catalog countries (``combined_metadata.csv`` spells them ``USA``, ``UK``, ``South Korea``).
COUNTRY_ALIASES: dict[str, str] = {
    "us": "USA",
    "u s": "USA",
    "u s a": "USA",
    "usa": "USA",
    "united states": "USA",
    "united states of america": "USA",
    "america": "USA",
    "american": "USA",
    "uk": "UK",
    "u k": "UK",
    "united kingdom": "UK",
    "britain": "UK",
    "great britain": "UK",
    "british": "UK",
    "england": "UK",
    "english": "UK",
    "korea": "South Korea",
    "korean": "South Korea",
    "south korean": "South Korea",
    "republic of korea": "South Korea",
}


def canonical_country(name: str) -> str:
    """The catalog's spelling of a country ("United States" -> "USA", "korea" -> "South Korea"); other names
    are kept as given (matching is case-insensitive)."""
    cleaned = " ".join(name.split())
    return COUNTRY_ALIASES.get(fold(cleaned), cleaned)


def _duration(minutes: int) -> str:
    """ "2 hours", "1 hour", "2½ hours", "95 minutes"."""
    hours, rest = divmod(minutes, 60)
    if hours and rest == 0:
        return f"{hours} hour" + ("s" if hours > 1 else "")
    if hours >= 2 and rest == 30:
        return f"{hours}½ hours"
    return f"{minutes} minutes"


def _country_phrase(name: str) -> str:
    return f"the {name}" if name in ("USA", "UK", "Netherlands", "Soviet Union", "Czech Republic") else name


def _no_label(name: str) -> str:
    q = qualifier(name)
    label = q.label if q else name
    for article in ("a ", "an "):
        label = label.removeprefix(article)
    return f"no {label}"


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
    qualifiers_exclude: list[str] = Field(
        default_factory=list, description="none of these qualifiers (tools/qualifiers.py names)"
    )
    countries: list[str] = Field(default_factory=list, description="country of production, any of these")
    runtime_max: int | None = Field(default=None, ge=1, le=1000, description="minutes")
    runtime_min: int | None = Field(default=None, ge=1, le=1000, description="minutes")
    include_unlisted: bool = Field(
        default=False, description="also items with neither a year nor a genre (a user named one)"
    )
    exclude_ids: list[int] = Field(default_factory=list)

    @field_validator("genres_include", "genres_exclude", "qualifiers_exclude", mode="after")
    @classmethod
    def _lower(cls, values: list[str]) -> list[str]:
        return sorted({v.strip().lower() for v in values if v and v.strip()})

    @field_validator("countries", mode="after")
    @classmethod
    def _countries(cls, values: list[str]) -> list[str]:
        return sorted({canonical_country(v) for v in values if v and v.strip()})

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
            or self.qualifiers_exclude
            or self.countries
            or self.runtime_max
            or self.runtime_min
            or self.include_unlisted
            or self.exclude_ids
        )

    def contradiction(self) -> str | None:
        """A human-readable reason when no item can satisfy these constraints, else None."""
        if self.year_min and self.year_max and self.year_min > self.year_max:
            return f"the year range {self.year_min}-{self.year_max} is empty"
        both = set(self.genres_include) & set(self.genres_exclude)
        if both:
            return f"{', '.join(sorted(both))} is both wanted and excluded"
        if self.runtime_min and self.runtime_max and self.runtime_min > self.runtime_max:
            return f"a running time over {_duration(self.runtime_min)} and under {_duration(self.runtime_max)} is impossible"
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
        out += [_no_label(q) for q in self.qualifiers_exclude]
        if self.countries:
            out.append("from " + " or ".join(_country_phrase(c) for c in self.countries))
        if self.runtime_min and self.runtime_max:
            out.append(f"{_duration(self.runtime_min)} to {_duration(self.runtime_max)}")
        elif self.runtime_max:
            out.append(f"under {_duration(self.runtime_max)}")
        elif self.runtime_min:
            out.append(f"over {_duration(self.runtime_min)}")
        return out


def _genre_ids(genre: str) -> Select[Any]:
    return select(ItemGenreRow.item_id).where(ItemGenreRow.genre == genre)


def _qualifier_ids(name: str) -> Select[Any]:
    return select(ItemQualifierRow.item_id).where(ItemQualifierRow.qualifier == name)


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
    if c.countries:
        conds.append(func.lower(ItemRow.country).in_(sorted({x.lower() for x in c.countries})))
    if c.runtime_max is not None:  # unknown running times pass (and are reported as unchecked)
        conds.append(or_(ItemRow.runtime.is_(None), ItemRow.runtime <= c.runtime_max))
    if c.runtime_min is not None:
        conds.append(or_(ItemRow.runtime.is_(None), ItemRow.runtime >= c.runtime_min))
    if not c.include_unlisted:
        conds.append(ItemRow.listed.is_(True))
    conds += [not_(ItemRow.id.in_(_genre_ids(g))) for g in c.genres_exclude]
    conds += [not_(ItemRow.id.in_(_qualifier_ids(q))) for q in c.qualifiers_exclude]
    if c.people_exclude:
        conds.append(not_(ItemRow.id.in_(_people_ids(c.people_exclude))))
    stmt = select(ItemRow.id)
    return stmt.where(and_(*conds)) if conds else stmt


@dataclass(frozen=True)
class FilterResult:
    """The allowed item ids (None = every item), the excluded ids and, when empty, why. ``unlisted``: the items
    never recommended unprompted (47k thin MovieLens-only films), kept apart from ``excluded`` so that a turn
    never copies them; never in ``allowed``."""

    allowed: frozenset[int] | None
    excluded: frozenset[int] = frozenset()
    reason: str | None = None
    unlisted: frozenset[int] = frozenset()

    def permits(self, item_id: int) -> bool:
        """Whether an item passes."""
        return (
            item_id not in self.excluded
            and item_id not in self.unlisted
            and (self.allowed is None or item_id in self.allowed)
        )


@dataclass(frozen=True)
class Unchecked:
    """A constraint the catalog could not check for ``count`` of ``total`` returned items (their ids)."""

    constraint: str  # "runtime", "country" or "qualifiers"
    what: str  # "the running time", "the country", or the qualifier labels ("gore or violence")
    count: int
    total: int
    ids: tuple[int, ...] = ()

    def sentence(self) -> str:
        """One short sentence for a reply: "I couldn't check the running time of 2 of these." """
        of = "any of these" if self.count == self.total else f"{self.count} of these"
        if self.constraint == "qualifiers":
            return f"I couldn't check {of} for {self.what}."
        return f"I couldn't check {self.what} of {of}."


def unchecked_sentence(found: Sequence[Unchecked]) -> str:
    """The sentences of :meth:`HardFilter.unchecked`'s findings, joined ("" when everything was checked)."""
    return " ".join(u.sentence() for u in found)


@dataclass(frozen=True)
class _Columns:
    """Per-item attributes as arrays aligned with ``ids`` (sorted): what range conditions are evaluated on."""

    ids: np.ndarray
    year: np.ndarray  # float, NaN when unknown (never satisfies a year bound, as NULL in SQL)
    rating: np.ndarray  # float, unknown = 0 (as ``coalesce(rating, 0)``)
    runtime: np.ndarray  # float, NaN when unknown (passes a running-time bound, reported as unchecked)
    country: np.ndarray  # lower-cased country, "" when unknown
    tagged: np.ndarray  # bool: the sources hold keywords or tags (qualifiers can be checked)
    listed: np.ndarray  # bool: may be recommended unprompted (Item.listed)


def _columns_of(rows: Sequence[tuple[Any, ...]]) -> _Columns:
    """Per-item columns from (id, year, rating, runtime, country, tagged, listed) rows in id order."""
    return _Columns(
        ids=np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)),
        year=np.array([np.nan if r[1] is None else r[1] for r in rows], dtype=np.float64),
        rating=np.array([r[2] or 0.0 for r in rows], dtype=np.float64),
        runtime=np.array([np.nan if r[3] is None else r[3] for r in rows], dtype=np.float64),
        country=np.array([(r[4] or "").lower() for r in rows], dtype=object),
        tagged=np.array([bool(r[5]) for r in rows], dtype=bool),
        listed=np.array([r[6] is None or bool(r[6]) for r in rows], dtype=bool),
    )


class HardFilter:
    """Evaluates constraints against the catalog database.

    Each condition is read from the database once with a SQLAlchemy statement (the year and rating columns,
    the items of a genre, the items of some people) and kept as an array; a constraint set is then combined
    with vectorised boolean operations, so its cost stays a few milliseconds on 200,000 items whatever the
    combination. The catalog is a snapshot per process (as :class:`tools.catalog.Catalog` is)."""

    def __init__(self, engine: Engine, cache_size: int = 128, catalog: Catalog | None = None) -> None:
        """``catalog``: the in-memory snapshot of the same database, read instead of 64k rows (a third of a
        second in a cold process) for the per-item columns."""
        self.engine = engine
        self.catalog = catalog
        self._cols: _Columns | None = None
        self._unlisted_ids: frozenset[int] | None = None
        self._unlisted_of: _Columns | None = None
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
        unlisted = frozenset() if base.include_unlisted else self._unlisted()
        if base.is_empty():
            return FilterResult(None, explicit, unlisted=unlisted)
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
        excluded = explicit | violators if explicit else violators
        if allowed is not None and not allowed - excluded:
            return FilterResult(
                frozenset(),
                excluded,
                "no movie in the catalog matches " + ", ".join(base.describe()),
                unlisted=unlisted,
            )
        return FilterResult(allowed, excluded, unlisted=unlisted)

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
        if c.countries:
            narrow(np.isin(cols.country, sorted({x.lower() for x in c.countries})))
        if c.runtime_max is not None:
            narrow(np.isnan(cols.runtime) | (cols.runtime <= c.runtime_max))
        if c.runtime_min is not None:
            narrow(np.isnan(cols.runtime) | (cols.runtime >= c.runtime_min))
        out = np.zeros(len(cols.ids), dtype=bool)  # the unlisted items are FilterResult.unlisted
        for genre in c.genres_exclude:
            out |= self._member(f"genre:{genre}", _genre_ids(genre))
        for name in c.qualifiers_exclude:
            out |= self._member(f"qualifier:{name}", _qualifier_ids(name))
        if c.people_exclude:
            out |= self._member(
                f"people:{sorted(map(person_key, c.people_exclude))}", _people_ids(c.people_exclude)
            )
        if keep is not None and not c.include_unlisted:
            keep = keep & cols.listed
        allowed = None if keep is None else frozenset(cols.ids[keep & ~out].tolist())
        return allowed, frozenset(cols.ids[out].tolist())

    def _columns(self) -> _Columns:
        with self._lock:
            if self._cols is None and self.catalog is not None:
                items = sorted(self.catalog.items.values(), key=lambda it: it.id)
                self._cols = _columns_of(
                    [
                        (it.id, it.year, it.rating, it.runtime, it.country, it.tagged, it.listed)
                        for it in items
                    ]
                )
            if self._cols is None:
                with Session(self.engine) as session:
                    rows = session.execute(
                        select(
                            ItemRow.id,
                            ItemRow.year,
                            ItemRow.rating,
                            ItemRow.runtime,
                            ItemRow.country,
                            ItemRow.tagged,
                            ItemRow.listed,
                        ).order_by(ItemRow.id)
                    ).all()
                self._cols = _columns_of([tuple(r) for r in rows])
            return self._cols

    def _unlisted(self) -> frozenset[int]:
        """Items never recommended unprompted (neither a year nor a genre, or thin); computed once."""
        cols = self._columns()
        if self._unlisted_ids is None or self._unlisted_of is not cols:
            self._unlisted_ids, self._unlisted_of = frozenset(cols.ids[~cols.listed].tolist()), cols
        return self._unlisted_ids

    def unchecked(
        self, c: Constraints, ids: Sequence[int], soft_qualifiers: Sequence[str] = ()
    ) -> list[Unchecked]:
        """Which constraints of ``c`` the catalog could not check for how many of ``ids`` (a ranking or the
        shown items): unknown running time, unknown country, no keyword or tag at all for a qualifier
        exclusion (and for ``soft_qualifiers``, the boosts and penalties of the turn). Only constraints with
        at least one unchecked item are listed; unknown ids are ignored."""
        cols = self._columns()
        wanted = np.asarray([int(i) for i in ids], dtype=np.int64)
        pos = np.searchsorted(cols.ids, wanted)
        ok = pos < len(cols.ids)
        ok[ok] = cols.ids[pos[ok]] == wanted[ok]
        known: list[int] = wanted[ok].tolist()
        rows = pos[ok]
        total = len(known)
        out: list[Unchecked] = []

        def add(constraint: str, what: str, mask: np.ndarray) -> None:
            missing = [known[j] for j in np.flatnonzero(mask).tolist()]
            if missing:
                out.append(Unchecked(constraint, what, len(missing), total, tuple(missing)))

        if not total:
            return out
        if c.runtime_max is not None or c.runtime_min is not None:
            add("runtime", "the running time", np.isnan(cols.runtime[rows]))
        if c.countries:
            add("country", "the country", cols.country[rows] == "")
        names = list(dict.fromkeys([*c.qualifiers_exclude, *soft_qualifiers]))
        if names:
            labels = [(qualifier(n).label if qualifier(n) else n) for n in names]  # type: ignore[union-attr]
            add("qualifiers", " or ".join(labels), ~cols.tagged[rows])
        return out

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
