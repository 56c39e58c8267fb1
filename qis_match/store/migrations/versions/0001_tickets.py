"""Tickets, the institutions chosen per need, status events and feedback.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("deadline", sa.DateTime(), nullable=False),
        sa.Column("request_text", sa.Text, nullable=False),
        sa.Column("enterprise", sa.String(200)),
        sa.Column("province", sa.String(50)),
        sa.Column("city", sa.String(50)),
        sa.Column("adcode", sa.String(12)),
        sa.Column("needs", sa.JSON, nullable=False),
        sa.Column("entities", sa.JSON, nullable=False),
        sa.Column("index_version", sa.String(64)),
        sa.Column("catalog_version", sa.String(64)),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_tickets_created_at", "tickets", ["created_at"])
    op.create_index("ix_tickets_status", "tickets", ["status"])
    op.create_index("ix_tickets_deadline", "tickets", ["deadline"])
    op.create_table(
        "ticket_referrals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "ticket_id", sa.Integer, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("sub_service", sa.String(60)),
        sa.Column("institution_id", sa.String(64), nullable=False),
        sa.Column("institution_name", sa.String(200), nullable=False),
        sa.Column("rank", sa.Integer),
        sa.Column("top_institution_id", sa.String(64)),
        sa.Column("override_reason", sa.Text),
    )
    op.create_index("ix_ticket_referrals_ticket_id", "ticket_referrals", ["ticket_id"])
    op.create_index("ix_ticket_referrals_institution_id", "ticket_referrals", ["institution_id"])
    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "ticket_id", sa.Integer, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("from_status", sa.String(20)),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("note", sa.Text),
    )
    op.create_index("ix_ticket_events_ticket_id", "ticket_events", ["ticket_id"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "ticket_id", sa.Integer, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("rating", sa.Integer, nullable=False),
        sa.Column("institution_used", sa.String(64)),
        sa.Column("override_reason", sa.Text),
        sa.Column("comment", sa.Text),
    )
    op.create_index("ix_feedback_ticket_id", "feedback", ["ticket_id"])


def downgrade() -> None:
    for table in ("feedback", "ticket_events", "ticket_referrals", "tickets"):
        op.drop_table(table)
