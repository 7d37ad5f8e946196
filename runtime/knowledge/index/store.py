"""SQL for chunks, their vectors and keywords, and the databases' own full text search."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.db.tables.knowledge import ChunkRow


async def delete_chunks(session: AsyncSession, file_id: str) -> None:
    """Every chunk of the file leaves (its keywords and full text entries with it)."""
    await session.execute(delete(ChunkRow).where(ChunkRow.file_id == file_id))
