"""item origin: which source put an item in the catalog (redial, inspired or movielens)

A MovieLens-only film is grounded in free text only with a year, quotes or title case. The loaded catalog's
checksum is forgotten, so the next ``crsagent index`` (or start) reloads the catalog and fills the column.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 12:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=16), server_default="", nullable=False))
    op.execute("DELETE FROM meta WHERE key = 'catalog_checksum'")  # reload the catalog to fill the column


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("origin")
