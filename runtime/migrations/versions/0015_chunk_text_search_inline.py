"""full text documents of chunks stay in their rows (PostgreSQL)

Ranking a keyword match reads the chunk's `fts_document`. At a default tuple target of about
2 KB, a tsvector of a 1,000-character chunk was moved to the TOAST table, so ranking each
match cost an index lookup and two page reads there. With a 4 KB target and MAIN storage the
vector (3 KB of float32 for 768 dimensions, incompressible) is what moves out, and the tsvector
stays in the row, uncompressed. Rows stored before keep their layout until they are written
again (reindexing a file does; `VACUUM FULL kb_chunks` lays out every row at once).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE kb_chunks SET (toast_tuple_target = 4080)")
        op.execute("ALTER TABLE kb_chunks ALTER COLUMN fts_document SET STORAGE MAIN")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE kb_chunks ALTER COLUMN fts_document SET STORAGE EXTENDED")
        op.execute("ALTER TABLE kb_chunks RESET (toast_tuple_target)")
