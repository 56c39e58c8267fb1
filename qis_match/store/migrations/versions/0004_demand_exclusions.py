"""Poisoned demand (issue 22): each logged request says where it came from (a pseudonym of the
client, never its address) and a key of its text, so that a repeated text from one source and a
burst from one source are marked ``excluded`` (kept, never counted by the analyses).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("demand_requests") as batch:
        batch.add_column(sa.Column("source", sa.String(32)))
        batch.add_column(sa.Column("text_key", sa.String(32)))
        batch.add_column(sa.Column("excluded", sa.String(16)))
    op.create_index(
        "ix_demand_requests_source_created", "demand_requests", ["source", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_demand_requests_source_created", table_name="demand_requests")
    with op.batch_alter_table("demand_requests") as batch:
        batch.drop_column("excluded")
        batch.drop_column("text_key")
        batch.drop_column("source")
