"""Alembic environment: runs on the connection handed in by runtime.db.migrate."""

from __future__ import annotations

from alembic import context

from runtime.db import Base

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline migrations are not supported; use `runtime-api migrate`")
run_migrations_online()
