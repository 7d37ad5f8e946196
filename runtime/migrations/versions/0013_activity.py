"""activity

Finished requests and background operations, kept for the activity API's retention window.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import runtime.db.base

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "activity_requests",
        sa.Column("pk", _SERIAL, autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("node", sa.String(length=64), nullable=False),
        sa.Column("started_at", runtime.db.base.UTCDateTime(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("route", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("backend", sa.Text(), nullable=False),
        sa.Column("key_prefix", sa.String(length=64), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_activity_requests")),
    )
    op.create_index("ix_activity_requests_request_id", "activity_requests", ["request_id"])
    op.create_index("ix_activity_requests_started_at", "activity_requests", ["started_at"])
    op.create_table(
        "activity_operations",
        sa.Column("pk", _SERIAL, autoincrement=True, nullable=False),
        sa.Column("op", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("node", sa.String(length=64), nullable=False),
        sa.Column("started_at", runtime.db.base.UTCDateTime(), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_activity_operations")),
    )
    op.create_index(
        "ix_activity_operations_subject", "activity_operations", ["op", "subject", "pk"]
    )
    op.create_index("ix_activity_operations_started_at", "activity_operations", ["started_at"])


def downgrade() -> None:
    op.drop_table("activity_operations")
    op.drop_table("activity_requests")
