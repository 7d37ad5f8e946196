"""provider key url

A provider key is bound to the URL it was configured for (`base_url`): a backend at another
URL never receives it. Existing keys are bound to their virtual backend's current URL, or the
provider's public URL.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PUBLIC = {
    "openai": "https://api.openai.com/v1",
    "gemini": "https://generativelanguage.googleapis.com",
}


def upgrade() -> None:
    with op.batch_alter_table("provider_configs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("base_url", sa.Text(), nullable=False, server_default=""))
    bind = op.get_bind()
    for provider, url in _PUBLIC.items():
        bind.execute(
            sa.text(
                "UPDATE provider_configs SET base_url = COALESCE("
                "(SELECT base_url FROM llm_backends WHERE llm_backends.id = :provider), :url) "
                "WHERE provider = :provider"
            ),
            {"provider": provider, "url": url},
        )


def downgrade() -> None:
    with op.batch_alter_table("provider_configs", schema=None) as batch_op:
        batch_op.drop_column("base_url")
