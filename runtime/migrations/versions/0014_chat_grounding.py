"""chat grounding and ownership

A chat's knowledge folder (`path`, "" when not grounded) and the identity that created it
(`owner`; chats made before owners were kept belong to the admin token).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("owner", sa.String(length=255), nullable=False, server_default="admin-token")
        )
        batch_op.add_column(
            sa.Column("path", sa.String(length=1024), nullable=False, server_default="")
        )
        batch_op.create_index(batch_op.f("ix_chats_owner"), ["owner"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chats_owner"))
        batch_op.drop_column("path")
        batch_op.drop_column("owner")
