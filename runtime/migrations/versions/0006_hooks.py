"""hooks

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import runtime.db.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "remote_hooks",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("endpoint_url", sa.Text(), nullable=False),
        sa.Column("timeout_ms", sa.Integer(), nullable=False),
        sa.Column(
            "headers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "properties",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", runtime.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", runtime.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remote_hooks")),
        sa.UniqueConstraint("name", name=op.f("uq_remote_hooks_name")),
    )
    with op.batch_alter_table("remote_hooks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_remote_hooks_created_at"), ["created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("remote_hooks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remote_hooks_created_at"))

    op.drop_table("remote_hooks")
