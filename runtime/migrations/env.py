"""Alembic environment: runs on the connection handed in by runtime.db.migrate."""

from __future__ import annotations

from alembic import context

from runtime.db import Base

PARTITION_PREFIXES = ("events_p_", "events_default")
# full text search of chunks: SQLite's FTS5 table (and its shadow tables); on PostgreSQL the
# generated `fts_document` tsvector column and its GIN index
SEARCH_PREFIXES = ("kb_chunks_fts", "ix_kb_chunks_tsv", "fts_document")

config = context.config


def _not_a_partition(name: str | None, type_: str, _parents: object) -> bool:
    """Day partitions of `events` are created at run time, not described by the models.

    Neither is full text search, which the models cannot describe on both databases.
    """
    if name is not None and name.startswith(SEARCH_PREFIXES):
        return False
    return not (type_ == "table" and name is not None and name.startswith(PARTITION_PREFIXES))


def run_migrations_online() -> None:
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_name=_not_a_partition,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline migrations are not supported; use `runtime-api migrate`")
run_migrations_online()
