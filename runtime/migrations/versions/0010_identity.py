"""identity

API keys (only a hash of each secret), users (argon2id password hashes), the shared token
signing key, the windowed counters of rate limits, and access-control entries.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import runtime.db.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("scopes", _JSON, nullable=False),
        sa.Column("groups", _JSON, nullable=True),
        sa.Column("rpm", sa.Integer(), nullable=True),
        sa.Column("tpm", sa.Integer(), nullable=True),
        sa.Column("expires_at", runtime.db.base.UTCDateTime(), nullable=True),
        sa.Column("last_used_at", runtime.db.base.UTCDateTime(), nullable=True),
        sa.Column("created_at", runtime.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_created_at"), ["created_at"], unique=False)
    op.create_table(
        "rate_counts",
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("window", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("subject", "window", name=op.f("pk_rate_counts")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("friendly_name", sa.String(length=255), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("scopes", _JSON, nullable=False),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("created_at", runtime.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", runtime.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_created_at"), ["created_at"], unique=False)
    op.create_table(
        "identity_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_identity_secrets")),
    )
    op.create_table(
        "access_entries",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("identity", sa.String(length=255), nullable=False),
        sa.Column("resource", sa.String(length=512), nullable=False),
        sa.Column("resource_type", sa.String(length=32), nullable=False),
        sa.Column("permission", sa.String(length=16), nullable=False),
        sa.Column("created_at", runtime.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", runtime.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_entries")),
        sa.UniqueConstraint(
            "identity", "resource_type", "resource", name=op.f("uq_access_entries_identity")
        ),
    )
    with op.batch_alter_table("access_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_entries_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_access_entries_identity"), ["identity"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("access_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_entries_identity"))
        batch_op.drop_index(batch_op.f("ix_access_entries_created_at"))
    op.drop_table("access_entries")
    op.drop_table("identity_secrets")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_created_at"))
    op.drop_table("users")
    op.drop_table("rate_counts")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_created_at"))
    op.drop_table("api_keys")
