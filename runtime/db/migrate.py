"""Apply the Alembic migrations shipped in runtime/migrations, once per database.

On PostgreSQL the upgrade runs under an advisory lock so replicas can start together.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_LOCK_KEY = 0x6C6C6D72  # "llmr": one advisory lock id for every replica of this service


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema at `url` to `revision`."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            postgres = conn.dialect.name == "postgresql"
            if postgres:
                await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _LOCK_KEY})
                await conn.commit()
            try:
                await conn.run_sync(_run, "upgrade", revision)
                await conn.commit()
            finally:
                if postgres:
                    await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _LOCK_KEY})
                    await conn.commit()
    finally:
        await engine.dispose()


def _run(connection: Connection, action: str, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    getattr(command, action)(config, revision)
