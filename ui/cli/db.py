"""``crsagent db current|upgrade``: the database schema version (Alembic migrations in tools/db/migrations)."""

from __future__ import annotations

from typing import Annotated

import typer

from ui.cli.common import cli_command, cli_settings, console, emit_json

db_app = typer.Typer(help="The database schema: show its version, upgrade it.", no_args_is_help=True)


@db_app.command("current")
@cli_command
def current(json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False) -> None:
    """The schema revision of the database (DATABASE_URL or the home's SQLite) and the newest one."""
    # lazy: CLI start-up (SQLAlchemy, Alembic)
    from tools.db.engine import make_engine
    from tools.db.schema import current_revision, head_revision

    engine = make_engine(cli_settings())
    got, head = current_revision(engine), head_revision()
    if json_out:
        emit_json({"current": got, "head": head, "up_to_date": got == head})
    else:
        console.print(f"schema revision: {got or 'none (new or unversioned database)'}; newest: {head}")


@db_app.command("upgrade")
@cli_command
def upgrade(json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False) -> None:
    """Create or migrate the tables to the newest schema (run once before starting upgraded replicas)."""
    # lazy: CLI start-up (SQLAlchemy, Alembic)
    from tools.db.engine import make_engine
    from tools.db.schema import upgrade as run_upgrade

    before, after = run_upgrade(make_engine(cli_settings()))
    if json_out:
        emit_json({"before": before, "after": after})
    else:
        console.print(f"schema: {before or 'none'} -> {after}")


@db_app.command("revision", hidden=True)
@cli_command
def revision(message: Annotated[str, typer.Argument(help="What the migration changes.")]) -> None:
    """(developers) Write the migration script for the tables changed in the models."""
    # lazy: CLI start-up (SQLAlchemy, Alembic). The models compared are the tables of the modules imported here.
    import memory.tables  # noqa: F401  (registers the memory tables on tools.catalog's Base)
    from tools.db.schema import write_revision

    console.print(f"wrote {write_revision(message)}: review it, then `crsagent db upgrade`")
