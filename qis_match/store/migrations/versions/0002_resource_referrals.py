"""Referrals to experts and instruments, and a snapshot of what was referred.

A ticket's referral may now be an institution, an expert or a shared instrument
(``resource_type``), and keeps a snapshot of the contact details handed to the enterprise, so that
the notification slip shows what was referred even after the catalog changes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_referrals") as batch:
        batch.add_column(
            sa.Column("resource_type", sa.String(20), nullable=False, server_default="institution")
        )
        batch.add_column(sa.Column("snapshot", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("ticket_referrals") as batch:
        batch.drop_column("snapshot")
        batch.drop_column("resource_type")
