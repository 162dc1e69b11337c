"""Database schema versions (Alembic): create, check and upgrade the crsagent tables.

The schema is versioned by the migration scripts in ``tools/db/migrations/versions``. A new database is
created by running every migration; an older one is brought up to date by ``crsagent db upgrade``
(``crsagent index`` does it too). A running app never migrates: it refuses an outdated schema with a clear
message, so several replicas can share one database and be upgraded in a controlled way.

This module imports no table module: the migrations create every table by themselves. Only comparing the
models with the migrations (:func:`write_revision`, ``alembic check``) needs the models, and its caller
imports every table module first (``tools.catalog`` and the memory tables).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from tools.db.base import Base, CatalogError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: The first revision: the schema as it was before versioning (databases without a version are taken as it).
BASELINE = "0001"


class SchemaError(CatalogError):
    """The database schema is older (or newer) than this version of crsagent expects."""


def target_metadata() -> MetaData:
    """Every table registered on the shared declarative base. The caller imports the table modules first
    (``tools.catalog`` and the memory tables, ``import memory.tables``): only the tables of modules
    already imported are in it."""
    return Base.metadata


def _unreachable(engine: Engine, exc: SQLAlchemyError) -> CatalogError:
    where = engine.url.render_as_string(hide_password=True)
    return CatalogError(f"database unreachable at {where} ({type(exc).__name__}): check DATABASE_URL")


def _config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest schema revision this code knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is stamped with (None: not versioned yet)."""
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        raise _unreachable(engine, exc) from exc


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the database to the newest revision; returns (before, after). A database created before
    versioning existed (crsagent tables, no version) is taken as the baseline revision first."""
    before = current_revision(engine)
    try:
        with engine.begin() as conn:
            cfg = _config(conn)
            if before is None and inspect(conn).has_table("items"):
                command.stamp(cfg, BASELINE)
            command.upgrade(cfg, "head")
    except SQLAlchemyError as exc:
        raise _unreachable(engine, exc) from exc
    return before, head_revision()


def write_revision(message: str) -> Path:
    """Write a new migration script for the difference between the models and the newest migration (for
    developers who changed a table); returns its path. The difference is taken against a scratch SQLite
    database built by the migrations alone, never against a live database. The caller imports every table
    module first (see :func:`target_metadata`): a table whose module is not imported would be dropped."""
    with tempfile.TemporaryDirectory(prefix="crsagent-revision-") as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'scratch.db'}")
        with engine.begin() as conn:
            cfg = _config(conn)
            command.upgrade(cfg, "head")
            number = int(head_revision()) + 1
            script = command.revision(cfg, message=message, autogenerate=True, rev_id=f"{number:04d}")
        engine.dispose()
    assert script is not None and not isinstance(script, list)
    return Path(script.path)


#: Key of the PostgreSQL advisory lock that serialises schema creation between processes ("crs" in ASCII).
SCHEMA_LOCK_KEY = 0x637273


def _lock_schema(conn: Connection) -> None:
    """Hold a lock until ``conn``'s transaction ends so that one process at a time creates or checks the schema
    (PostgreSQL: a transaction-level advisory lock; SQLite serialises writers by itself)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})


def ensure_schema(engine: Engine, *, upgrade_outdated: bool = False) -> None:
    """Create the tables of an empty database (by running every migration) and accept an up-to-date one. An
    outdated one is upgraded when ``upgrade_outdated`` (an embedded SQLite home, owned by one user) and
    otherwise refused with :class:`SchemaError` naming the command that upgrades it."""
    head = head_revision()
    if current_revision(engine) == head:
        return
    try:
        with engine.begin() as conn:
            _lock_schema(conn)
            # read again under the lock: another process may have created or upgraded the schema meanwhile
            current = MigrationContext.configure(conn).get_current_revision()
            if current == head:
                return
            if current is None and not inspect(conn).has_table("items"):
                command.upgrade(_config(conn), "head")
                return
    except SQLAlchemyError:
        if current_revision(engine) == head:  # another process created the schema at the same moment
            return
        raise
    if upgrade_outdated:
        try:
            upgrade(engine)
        except CatalogError:
            if current_revision(engine) != head:  # else another process upgraded it at the same moment
                raise
        return
    raise SchemaError(
        f"the database schema is at revision {current or 'unversioned'}, this crsagent needs {head}: "
        "run `crsagent db upgrade` once (back up the database first)"
    )


def init_db(engine: Engine) -> None:
    """Create the tables of a new database, or check that an existing one has this version's schema
    (:func:`ensure_schema`; an embedded SQLite home is upgraded in place, a server database must be upgraded
    with ``crsagent db upgrade``). Unreachable databases raise :class:`CatalogError`."""
    try:
        ensure_schema(engine, upgrade_outdated=engine.dialect.name == "sqlite")
    except SQLAlchemyError as exc:
        raise _unreachable(engine, exc) from exc
