"""The demand log: every recorded match, one row per request and one per need, and the link from
a ticket to the request that produced it.

Analysts read it to find where demand is not met (找差距、补短板). Only redacted text is stored.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "demand_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.String(32), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(100)),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("province", sa.String(50)),
        sa.Column("city", sa.String(50)),
        sa.Column("district", sa.String(50)),
        sa.Column("adcode", sa.String(12)),
        sa.Column("enterprise", sa.String(200)),
        sa.Column("industry_code", sa.String(4)),
        sa.Column("industry_name", sa.String(100)),
        sa.Column("industry_section", sa.String(2)),
        sa.Column("n_needs", sa.Integer, nullable=False),
        sa.Column("abstained", sa.Boolean, nullable=False),
        sa.Column("abstain_reason", sa.Text),
        sa.Column("needs_review", sa.Boolean, nullable=False),
        sa.Column("review_reasons", sa.JSON, nullable=False),
        sa.Column("top_score", sa.Float),
        sa.Column("top_locality", sa.String(20)),
        sa.Column("index_version", sa.String(64)),
        sa.Column("catalog_version", sa.String(64)),
        sa.Column("elapsed_ms", sa.Float),
        sa.Column("entities", sa.JSON, nullable=False),
    )
    op.create_index("ix_demand_requests_created_at", "demand_requests", ["created_at"])
    op.create_index("ix_demand_requests_city", "demand_requests", ["province", "city"])
    op.create_table(
        "demand_needs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "request_pk",
            sa.Integer,
            sa.ForeignKey("demand_requests.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("sub_service", sa.String(60)),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("resource_type", sa.String(20), nullable=False),
        sa.Column("text", sa.Text),
        sa.Column("flagged", sa.Boolean, nullable=False),
        sa.Column("n_referrals", sa.Integer, nullable=False),
        sa.Column("n_same_city", sa.Integer, nullable=False),
        sa.Column("n_same_province", sa.Integer, nullable=False),
        sa.Column("top_resource_id", sa.String(64)),
        sa.Column("top_institution_id", sa.String(64)),
        sa.Column("top_name", sa.String(200)),
        sa.Column("top_score", sa.Float),
        sa.Column("top_relevance", sa.Float),
        sa.Column("top_locality", sa.String(20)),
        sa.Column("top_distance_km", sa.Float),
    )
    op.create_index("ix_demand_needs_request_pk", "demand_needs", ["request_pk"])
    op.create_index("ix_demand_needs_category", "demand_needs", ["category", "sub_service"])
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("request_id", sa.String(32)))
        batch.create_index("ix_tickets_request_id", ["request_id"])


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_request_id")
        batch.drop_column("request_id")
    op.drop_table("demand_needs")
    op.drop_table("demand_requests")
