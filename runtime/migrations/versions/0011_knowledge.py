"""knowledge: files and folders, content pieces, chunks, keywords, full text search, jobs

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import runtime.db.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = runtime.db.base.UTCDateTime
_JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")

_SQLITE_FTS = (
    "CREATE VIRTUAL TABLE kb_chunks_fts USING fts5(text, content='kb_chunks', content_rowid='id')",
    "CREATE TRIGGER kb_chunks_fts_insert AFTER INSERT ON kb_chunks BEGIN "
    "INSERT INTO kb_chunks_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER kb_chunks_fts_delete AFTER DELETE ON kb_chunks BEGIN "
    "INSERT INTO kb_chunks_fts(kb_chunks_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "END",
)
_POSTGRES_FTS = (
    "ALTER TABLE kb_chunks ADD COLUMN fts_document tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED",
    "CREATE INDEX ix_kb_chunks_tsv ON kb_chunks USING gin (fts_document)",
)


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("job_type", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("leaser_id", sa.String(length=255), nullable=True),
        sa.Column("lease_until", _UTC(), nullable=True),
        sa.Column("not_before", _UTC(), nullable=False),
        sa.Column("created_at", _UTC(), nullable=False),
        sa.Column("updated_at", _UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("job_type", "subject", name=op.f("uq_jobs_job_type")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_job_type"), ["job_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_status"), ["status"], unique=False)
    op.create_table(
        "kb_nodes",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("parent_id", sa.String(length=255), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("meta", _JSON, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("index_state", sa.String(length=16), nullable=False),
        sa.Column("index_error", sa.Text(), nullable=False),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("created_at", _UTC(), nullable=False),
        sa.Column("updated_at", _UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["kb_nodes.id"],
            name=op.f("fk_kb_nodes_parent_id_kb_nodes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_nodes")),
        sa.UniqueConstraint("path", name=op.f("uq_kb_nodes_path")),
    )
    with op.batch_alter_table("kb_nodes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kb_nodes_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_kb_nodes_parent_id"), ["parent_id"], unique=False)
    op.create_table(
        "kb_blobs",
        sa.Column("file_id", sa.String(length=255), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["kb_nodes.id"],
            name=op.f("fk_kb_blobs_file_id_kb_nodes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("file_id", "seq", name=op.f("pk_kb_blobs")),
    )
    op.create_table(
        "kb_chunks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("file_id", sa.String(length=255), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["kb_nodes.id"],
            name=op.f("fk_kb_chunks_file_id_kb_nodes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_chunks")),
        sa.UniqueConstraint("file_id", "seq", name=op.f("uq_kb_chunks_file_id")),
    )
    op.create_table(
        "kb_keywords",
        sa.Column("chunk_id", sa.Integer(), nullable=False),
        sa.Column("keyword", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["chunk_id"],
            ["kb_chunks.id"],
            name=op.f("fk_kb_keywords_chunk_id_kb_chunks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chunk_id", "keyword", name=op.f("pk_kb_keywords")),
    )
    with op.batch_alter_table("kb_keywords", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kb_keywords_keyword"), ["keyword"], unique=False)
    statements = _POSTGRES_FTS if op.get_bind().dialect.name == "postgresql" else _SQLITE_FTS
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_kb_chunks_tsv")
        op.execute("ALTER TABLE kb_chunks DROP COLUMN IF EXISTS fts_document")
    else:
        op.execute("DROP TRIGGER IF EXISTS kb_chunks_fts_insert")
        op.execute("DROP TRIGGER IF EXISTS kb_chunks_fts_delete")
        op.execute("DROP TABLE IF EXISTS kb_chunks_fts")
    with op.batch_alter_table("kb_keywords", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_keywords_keyword"))
    op.drop_table("kb_keywords")
    op.drop_table("kb_chunks")
    op.drop_table("kb_blobs")
    with op.batch_alter_table("kb_nodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_nodes_parent_id"))
        batch_op.drop_index(batch_op.f("ix_kb_nodes_created_at"))
    op.drop_table("kb_nodes")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_status"))
        batch_op.drop_index(batch_op.f("ix_jobs_job_type"))
        batch_op.drop_index(batch_op.f("ix_jobs_created_at"))
    op.drop_table("jobs")
