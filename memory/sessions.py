"""Persisted conversations: the LangGraph checkpointer (SQLite under ``CRSAGENT_HOME``, or PostgreSQL)."""

from __future__ import annotations

import sqlite3
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver
from sqlalchemy.engine import make_url

from tools.settings import Settings


def open_checkpointer(settings: Settings) -> tuple[Any, Any]:
    """The LangGraph checkpointer that persists conversations, and the handle to close at the end.

    PostgreSQL when ``DATABASE_URL`` is PostgreSQL (so every app replica shares the conversations; needs
    ``pip install 'crsagent[postgres]'``), else a SQLite file under ``CRSAGENT_HOME``."""
    url = make_url(settings.db_url)
    if url.get_backend_name() == "postgresql":
        try:  # the optional ``postgres`` extra: imported only when DATABASE_URL asks for it
            import psycopg
            from langgraph.checkpoint.postgres import PostgresSaver
            from psycopg.rows import dict_row
            from psycopg_pool import ConnectionPool
        except ImportError as exc:
            raise RuntimeError(
                f"DATABASE_URL is PostgreSQL but {exc.name} is missing: pip install 'crsagent[postgres]'"
            ) from exc
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        kwargs: dict[str, Any] = {"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row}
        with psycopg.connect(
            conninfo, **kwargs
        ) as conn:  # one process at a time creates / migrates the tables
            conn.execute("SELECT pg_advisory_lock(7311)")
            PostgresSaver(conn).setup()  # type: ignore[arg-type]
            conn.execute("SELECT pg_advisory_unlock(7311)")
        pool: ConnectionPool[Any] = ConnectionPool(conninfo, min_size=1, max_size=8, kwargs=kwargs, open=True)
        return PostgresSaver(pool), pool  # type: ignore[arg-type]

    settings.home.mkdir(parents=True, exist_ok=True)
    sqlite_conn = sqlite3.connect(str(settings.checkpoint_path), check_same_thread=False, timeout=30)
    sqlite_conn.execute("PRAGMA journal_mode=WAL")
    return SqliteSaver(sqlite_conn), sqlite_conn
