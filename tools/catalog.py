"""The catalog store: SQLAlchemy 2.0 models for items, title aliases and training interactions.

SQLite by default, PostgreSQL (or any SQLAlchemy backend) through ``DATABASE_URL``. The shipped data files
(``data/catalog.jsonl.gz``, ``data/interactions.csv.gz``) are loaded by :func:`load_catalog` in one
transaction; an in-memory :class:`Catalog` snapshot serves the hot path. The engine and the schema versions are
in :mod:`tools.db`.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    delete,
    false,
    func,
    insert,
    select,
    text,
    true,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from tools.db.base import Base, CatalogError
from tools.db.schema import init_db
from tools.titles import fold, normalize_title, title_aliases

log = logging.getLogger(__name__)

CATALOG_FILE = "catalog.jsonl.gz"
INTERACTIONS_FILE = "interactions.csv.gz"


class ItemRow(Base):
    """One movie of the catalog."""

    __tablename__ = "items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(512))
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    genres: Mapped[list[str]] = mapped_column(JSON, default=list)
    directors: Mapped[list[str]] = mapped_column(JSON, default=list)
    writers: Mapped[list[str]] = mapped_column(JSON, default=list)
    stars: Mapped[list[str]] = mapped_column(JSON, default=list)
    plot: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    popularity: Mapped[float] = mapped_column(Float, default=0.0)
    rating: Mapped[float | None] = mapped_column(Float)
    redial_id: Mapped[int | None] = mapped_column(Integer, index=True)
    imdb_id: Mapped[str | None] = mapped_column(String(16))
    movielens_id: Mapped[int | None] = mapped_column(Integer)
    tmdb_id: Mapped[int | None] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(40), default="")
    qualifiers: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    runtime: Mapped[int | None] = mapped_column(Integer)
    country: Mapped[str | None] = mapped_column(String(64), index=True)
    duplicate_of: Mapped[int | None] = mapped_column(Integer)
    tagged: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    listed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    origin: Mapped[str] = mapped_column(String(16), default="", server_default="")


class ItemGenreRow(Base):
    """Item-genre pairs, so hard constraints compile to portable SQL."""

    __tablename__ = "item_genres"
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    genre: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class ItemQualifierRow(Base):
    """Item-qualifier pairs (``tools/qualifiers.py`` names), so qualifier exclusions compile to SQL as genres do."""

    __tablename__ = "item_qualifiers"
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    qualifier: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class ItemPersonRow(Base):
    """Item-person pairs (director, writer, star) with the folded name for matching."""

    __tablename__ = "item_people"
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(256), primary_key=True)
    name_key: Mapped[str] = mapped_column(String(256), index=True)


class TitleAliasRow(Base):
    """Normalised title keys ("matrix", "matrix 1999") pointing at items, for grounding."""

    __tablename__ = "title_aliases"
    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)


class InteractionRow(Base):
    """A training interaction (a dialog or a MovieLens user with an item) for collaborative models."""

    __tablename__ = "interactions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user: Mapped[str] = mapped_column(String(128), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    source: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))


class MetaRow(Base):
    """Key/value facts about the store (the loaded catalog's checksum, ...)."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


Index("ix_items_title", ItemRow.title)


@dataclass(frozen=True, slots=True)
class Item:
    """An immutable catalog item, as the tools and the responder see it."""

    id: int
    title: str
    year: int | None = None
    genres: tuple[str, ...] = ()
    directors: tuple[str, ...] = ()
    writers: tuple[str, ...] = ()
    stars: tuple[str, ...] = ()
    plot: str = ""
    keywords: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    popularity: float = 0.0
    rating: float | None = None
    redial_id: int | None = None
    imdb_id: str | None = None
    movielens_id: int | None = None
    tmdb_id: int | None = None
    qualifiers: tuple[str, ...] = ()
    runtime: int | None = None
    country: str | None = None
    duplicate_of: int | None = None
    #: a MovieLens-only film with too little metadata to be recommended unprompted (catalog ``"listed": false``)
    thin: bool = False
    #: the source that put it in the catalog: ``redial``, ``inspired`` or ``movielens`` (MovieLens-only films)
    origin: str = ""

    def __reduce__(self) -> tuple[type[Item], tuple[Any, ...]]:
        """Pickle as the constructor's arguments: three times faster to load than the dataclass default
        (the start-up copy of a 64k-item catalog, :mod:`tools.catalog_cache`)."""
        return (Item, tuple(getattr(self, name) for name in self.__slots__))  # type: ignore[attr-defined]

    @property
    def display(self) -> str:
        """``"Title (Year)"``, the way items are named in replies."""
        return f"{self.title} ({self.year})" if self.year else self.title

    @property
    def tagged(self) -> bool:
        """Whether the sources hold any keyword or tag for it, i.e. whether its qualifiers can be checked
        (no qualifier then means "none of them", not "unknown")."""
        return bool(self.keywords or self.qualifiers)

    @property
    def listed(self) -> bool:
        """Whether it may be recommended unprompted: an item with neither a year nor a genre, or a thin
        MovieLens-only film, is too poorly known (it stays groundable and answerable when a user names it)."""
        return not self.thin and (self.year is not None or bool(self.genres))

    def embedding_text(self) -> str:
        """The text embedded into the semantic index: title, year, genres, people, plot, keywords."""
        parts = [self.display]
        if self.genres:
            parts.append("Genres: " + ", ".join(self.genres))
        if self.directors:
            parts.append("Directed by " + ", ".join(self.directors[:2]))
        if self.stars:
            parts.append("Starring " + ", ".join(self.stars[:3]))
        if self.keywords:
            parts.append("Keywords: " + ", ".join(self.keywords[:10]))
        if self.plot:
            parts.append(self.plot)
        return ". ".join(parts)

    def content_hash(self) -> str:
        """A checksum of the embedded text, so re-indexing embeds only changed items."""
        return hashlib.sha1(self.embedding_text().encode("utf-8")).hexdigest()

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> Item:
        """Build an item from one line of ``catalog.jsonl.gz`` (or an ORM row's columns)."""

        def tup(key: str) -> tuple[str, ...]:
            return tuple(str(x) for x in (rec.get(key) or ()))

        return cls(
            id=int(rec["id"]),
            title=str(rec["title"]),
            year=int(rec["year"]) if rec.get("year") else None,
            genres=tup("genres"),
            directors=tup("directors"),
            writers=tup("writers"),
            stars=tup("stars"),
            plot=str(rec.get("plot") or ""),
            keywords=tup("keywords"),
            aliases=tup("aliases"),
            popularity=float(rec.get("popularity") or 0.0),
            rating=float(rec["rating"]) if rec.get("rating") is not None else None,
            redial_id=rec.get("redial_id"),
            imdb_id=rec.get("imdb_id"),
            movielens_id=rec.get("movielens_id"),
            tmdb_id=rec.get("tmdb_id"),
            qualifiers=tup("qualifiers"),
            runtime=int(rec["runtime"]) if rec.get("runtime") else None,
            country=str(rec["country"]) if rec.get("country") else None,
            duplicate_of=int(rec["duplicate_of"]) if rec.get("duplicate_of") else None,
            thin=rec.get("listed") is False,
            origin=str(rec.get("origin") or ""),
        )


@dataclass(frozen=True, slots=True)
class Interaction:
    """One training interaction: a user (dialog, MovieLens rater) and an item."""

    user: str
    item_id: int
    weight: float
    source: str
    kind: str


@dataclass
class Catalog:
    """An in-memory snapshot of the catalog for the hot path (lookups by id and by alias key)."""

    items: dict[int, Item]
    aliases: dict[str, tuple[int, ...]] = field(default_factory=dict)
    twins: dict[int, tuple[int, ...]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self.items

    def get(self, item_id: int) -> Item | None:
        """The item with this id, or None."""
        return self.items.get(item_id)

    def many(self, ids: Iterable[int]) -> list[Item]:
        """The items with these ids, in order, skipping unknown ids."""
        return [self.items[i] for i in ids if i in self.items]

    def with_twins(self, ids: Iterable[int]) -> set[int]:
        """The ids plus their twins: other entries of the same movie (same title and year, or one film REDIAL
        lists under several ids: ``duplicate_of``)."""
        out: set[int] = set()
        for i in ids:
            out.add(i)
            out.update(self.twins.get(i, ()))
        return out

    def ids(self) -> list[int]:
        """All item ids in ascending order."""
        return sorted(self.items)

    @classmethod
    def from_items(cls, items: Iterable[Item]) -> Catalog:
        """Index items by id and by every alias key of their titles."""
        by_id = {it.id: it for it in items}
        aliases: dict[str, list[int]] = {}
        for it in by_id.values():
            for key in title_aliases(it.title, it.year, list(it.aliases)):
                aliases.setdefault(key, []).append(it.id)
        groups: dict[tuple[str, int | None], list[int]] = {}
        for it in by_id.values():
            groups.setdefault((normalize_title(it.title), it.year), []).append(it.id)
        linked: dict[int, set[int]] = {}
        for g in groups.values():
            if len(g) > 1:
                for i in g:
                    linked.setdefault(i, set()).update(g)
        for it in by_id.values():  # one film under several ids
            if it.duplicate_of is not None and it.duplicate_of in by_id:
                group = linked.get(it.id, {it.id}) | linked.get(it.duplicate_of, {it.duplicate_of})
                for i in group:
                    linked[i] = group
        twins = {i: tuple(sorted(j for j in g if j != i)) for i, g in linked.items() if len(g) > 1}
        return cls(items=by_id, aliases={k: tuple(v) for k, v in aliases.items()}, twins=twins)


# --------------------------------------------------------------------------- files


def _open_text(path: Path) -> io.TextIOBase:
    if not path.exists():
        raise CatalogError(
            f"missing data file {path}: run `crsagent data build --source ../shared/data` or reinstall"
        )
    return (
        io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
        if path.suffix == ".gz"
        else open(  # noqa: SIM115
            path, encoding="utf-8"
        )
    )


def read_catalog_file(path: Path) -> list[Item]:
    """Parse ``catalog.jsonl(.gz)``; a corrupt line raises :class:`CatalogError` naming it."""
    items: list[Item] = []
    try:
        with _open_text(path) as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    items.append(Item.from_record(json.loads(line)))
                except (ValueError, KeyError, TypeError) as exc:
                    raise CatalogError(
                        f"corrupt catalog file {path} line {lineno} ({exc}): rebuild it with `crsagent data build`"
                    ) from exc
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise CatalogError(
            f"unreadable catalog file {path} ({exc}): rebuild it with `crsagent data build`"
        ) from exc
    if not items:
        raise CatalogError(f"catalog file {path} holds no items: rebuild it with `crsagent data build`")
    return items


def read_interactions_file(path: Path) -> list[Interaction]:
    """Parse ``interactions.csv(.gz)`` (columns user,item_id,weight,source,kind)."""
    rows: list[Interaction] = []
    try:
        with _open_text(path) as fh:
            for lineno, rec in enumerate(csv.DictReader(fh), 2):
                try:
                    rows.append(
                        Interaction(
                            rec["user"], int(rec["item_id"]), float(rec["weight"]), rec["source"], rec["kind"]
                        )
                    )
                except (ValueError, KeyError, TypeError) as exc:
                    raise CatalogError(
                        f"corrupt interactions file {path} line {lineno} ({exc}): rebuild it with `crsagent data build`"
                    ) from exc
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise CatalogError(
            f"unreadable interactions file {path} ({exc}): rebuild it with `crsagent data build`"
        ) from exc
    return rows


def file_checksum(*paths: Path) -> str:
    """sha256 over the given files' bytes (missing files count as empty)."""
    digest = hashlib.sha256()
    for path in paths:
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()


# --------------------------------------------------------------------------- database


def _batched(seq: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


def load_catalog(engine: Engine, data_dir: Path, *, force: bool = False) -> bool:
    """Load the catalog and interactions files into the database in one transaction.

    Idempotent: when the files' checksum equals the one recorded at the last load, nothing happens and
    False is returned. Otherwise the catalog tables are replaced atomically and True is returned.
    """
    catalog_path, inter_path = data_dir / CATALOG_FILE, data_dir / INTERACTIONS_FILE
    checksum = file_checksum(catalog_path, inter_path)
    init_db(engine)
    with Session(engine) as session:
        current = session.get(MetaRow, "catalog_checksum")
        if current is not None and current.value == checksum and not force:
            return False
    items = read_catalog_file(catalog_path)
    interactions = read_interactions_file(inter_path) if inter_path.exists() else []
    known = {it.id for it in items}
    try:
        with Session(engine) as session, session.begin():
            for table in (
                InteractionRow,
                TitleAliasRow,
                ItemPersonRow,
                ItemQualifierRow,
                ItemGenreRow,
                ItemRow,
            ):
                session.execute(delete(table))
            item_rows: list[dict[str, Any]] = []
            genre_rows: list[dict[str, Any]] = []
            qualifier_rows: list[dict[str, Any]] = []
            people_rows: list[dict[str, Any]] = []
            alias_rows: list[dict[str, Any]] = []
            for it in items:
                item_rows.append(
                    {
                        "id": it.id,
                        "title": it.title,
                        "year": it.year,
                        "genres": list(it.genres),
                        "directors": list(it.directors),
                        "writers": list(it.writers),
                        "stars": list(it.stars),
                        "plot": it.plot,
                        "keywords": list(it.keywords),
                        "aliases": list(it.aliases),
                        "popularity": it.popularity,
                        "rating": it.rating,
                        "redial_id": it.redial_id,
                        "imdb_id": it.imdb_id,
                        "movielens_id": it.movielens_id,
                        "tmdb_id": it.tmdb_id,
                        "content_hash": it.content_hash(),
                        "qualifiers": list(it.qualifiers),
                        "runtime": it.runtime,
                        "country": it.country,
                        "duplicate_of": it.duplicate_of,
                        "tagged": it.tagged,
                        "listed": it.listed,
                        "origin": it.origin,
                    }
                )
                genre_rows.extend({"item_id": it.id, "genre": g} for g in dict.fromkeys(it.genres))
                qualifier_rows.extend(
                    {"item_id": it.id, "qualifier": q} for q in dict.fromkeys(it.qualifiers)
                )
                people: dict[tuple[str, str], str] = {}
                for role, names in (("director", it.directors), ("writer", it.writers), ("star", it.stars)):
                    for name in names:
                        people[(role, name)] = person_key(name)
                people_rows.extend(
                    {"item_id": it.id, "role": r, "name": n, "name_key": k} for (r, n), k in people.items()
                )
                alias_rows.extend(
                    {"key": k, "item_id": it.id} for k in title_aliases(it.title, it.year, list(it.aliases))
                )
            for table, rows in (
                (ItemRow, item_rows),
                (ItemGenreRow, genre_rows),
                (ItemQualifierRow, qualifier_rows),
                (ItemPersonRow, people_rows),
                (TitleAliasRow, alias_rows),
            ):
                for chunk in _batched(rows, 5000):
                    session.execute(insert(table), list(chunk))
            inter_rows = [
                {"user": r.user, "item_id": r.item_id, "weight": r.weight, "source": r.source, "kind": r.kind}
                for r in interactions
                if r.item_id in known
            ]
            for chunk in _batched(inter_rows, 20000):
                session.execute(insert(InteractionRow), list(chunk))
            session.merge(MetaRow(key="catalog_checksum", value=checksum))
    except SQLAlchemyError as exc:
        raise CatalogError(
            f"could not load the catalog into {engine.url.render_as_string(hide_password=True)} ({type(exc).__name__}: {exc.args[0] if exc.args else ''}); nothing was written"
        ) from exc
    log.info("loaded %d items and %d interactions", len(items), len(inter_rows))
    return True


def person_key(name: str) -> str:
    """The folded form of a person's name used for matching ("Denis Villeneuve" -> "denis villeneuve")."""
    return fold(name)


def _row_to_item(row: ItemRow) -> Item:
    return Item.from_record({c: getattr(row, c) for c in ItemRow.__table__.columns.keys()})  # noqa: SIM118


def load_items(engine: Engine) -> Catalog:
    """Read every item from the database into an in-memory :class:`Catalog`."""
    try:
        with Session(engine) as session:
            rows = session.scalars(select(ItemRow)).all()
            return Catalog.from_items(_row_to_item(r) for r in rows)
    except SQLAlchemyError as exc:
        raise CatalogError(
            f"cannot read the catalog ({type(exc).__name__}): run `crsagent index` first or check DATABASE_URL"
        ) from exc


def load_interactions(engine: Engine) -> list[Interaction]:
    """Every training interaction in the database."""
    with Session(engine) as session:
        rows = session.execute(
            select(
                InteractionRow.user,
                InteractionRow.item_id,
                InteractionRow.weight,
                InteractionRow.source,
                InteractionRow.kind,
            )
        ).all()
    return [Interaction(*r) for r in rows]


def catalog_stats(engine: Engine) -> dict[str, Any]:
    """Counts and coverage shares for ``crsagent catalog stats``."""
    catalog = load_items(engine)
    n = len(catalog) or 1
    items = catalog.items.values()
    with Session(engine) as session:
        n_inter = session.scalar(select(func.count()).select_from(InteractionRow)) or 0
        by_source = dict(
            session.execute(select(InteractionRow.source, func.count()).group_by(InteractionRow.source)).all()
        )
    return {
        "items": len(catalog),
        "with_genres": round(sum(1 for it in items if it.genres) / n, 4),
        "with_plot": round(sum(1 for it in items if it.plot) / n, 4),
        "with_people": round(sum(1 for it in items if it.directors or it.stars) / n, 4),
        "with_year": round(sum(1 for it in items if it.year) / n, 4),
        "with_qualifiers": round(sum(1 for it in items if it.qualifiers) / n, 4),
        "with_runtime": round(sum(1 for it in items if it.runtime) / n, 4),
        "with_country": round(sum(1 for it in items if it.country) / n, 4),
        "unlisted": sum(1 for it in items if not it.listed),
        "by_origin": dict(sorted(Counter(it.origin or "unknown" for it in items).items())),
        "duplicates": sum(1 for it in items if it.duplicate_of is not None),
        "redial_items": sum(1 for it in items if it.redial_id is not None),
        "interactions": int(n_inter),
        "interactions_by_source": {str(k): int(v) for k, v in sorted(by_source.items())},
        "aliases": len(catalog.aliases),
    }
