"""Lookups that stay cheap as the demand log grows (issue 22, found by the soak): each logged
request looks for the same text from its source in the repeat window. With only (source,
created_at) that read every row of the window, so a match got slower the longer the service
ran; this index makes it a short range.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_demand_requests_source_key_created",
        "demand_requests",
        ["source", "text_key", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_demand_requests_source_key_created", table_name="demand_requests")
