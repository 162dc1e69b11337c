"""Alembic environment for crsagent's database (catalog, interactions and memory tables).

Run through :mod:`tools.db.schema` (``crsagent db upgrade``); the engine is handed over in
``config.attributes["connection"]``, so no URL or ini file is read here. Comparing with the models
(autogenerate, ``alembic check``) sees the tables of the modules its caller imported (see
:func:`tools.db.schema.target_metadata`).
"""

from __future__ import annotations

from alembic import context

from tools.db.schema import target_metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection, target_metadata=target_metadata(), render_as_batch=True, compare_type=True
)
with context.begin_transaction():
    context.run_migrations()
