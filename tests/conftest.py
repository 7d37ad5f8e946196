"""Test fixtures: the database chosen by --db (SQLite or a real PostgreSQL), settings, app, client.

The schema comes from the Alembic migrations; tables are emptied before each test.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from runtime.app import create_app
from runtime.config import Settings
from runtime.db import Base
from runtime.db.migrate import upgrade
from tests.postgres import PostgresCluster


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="database for the suite; postgres uses RUNTIME_TEST_POSTGRES_URL or starts a cluster",
    )


# every credential the suite hands the server; none may ever reach a log line
SECRETS = (
    "s3cret",
    "sk-test-0123456789abcdef",
    "sk-other-key-999999999999",
    "gk-secret",
    "gk-the-real-secret",
    "observe-s3cret-token",
    "correct horse",
    "battery staple",
    "wrong horse!",
    "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
)
# a whole API key as `POST /keys` mints it: `rt-<8 hex>-<43 url-safe characters>`
API_KEY = re.compile(r"rt-[0-9a-f]{8}-[A-Za-z0-9_-]{43}")


class _Everything(logging.Handler):
    """Keeps the text of every record the whole run logs (tracebacks included)."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # noqa: BLE001 - a record that cannot be formatted holds no text
            self.lines.append(repr(record.msg))


@pytest.fixture(scope="session", autouse=True)
def no_secret_is_ever_logged() -> Iterator[None]:
    """The whole run logs at INFO (access lines included); at the end, no secret is in it."""
    root = logging.getLogger()
    everything = _Everything()
    root.addHandler(everything)
    level = root.level
    root.setLevel(logging.INFO)
    yield
    root.setLevel(level)
    root.removeHandler(everything)
    text = "\n".join(everything.lines)
    leaked = [secret for secret in SECRETS if secret in text] + API_KEY.findall(text)
    assert leaked == [], f"secrets in the log of this run: {leaked}"


@pytest.fixture(scope="session")
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database for the whole session."""
    if request.config.getoption("--db") == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'runtime.db'}"
        asyncio.run(upgrade(url))
        yield url
        return
    given = os.environ.get("RUNTIME_TEST_POSTGRES_URL")
    cluster = None if given else PostgresCluster()
    admin_url = given or cluster.start()  # type: ignore[union-attr]
    try:
        url = asyncio.run(_create_database(admin_url, f"runtime_test_{os.getpid()}"))
        asyncio.run(upgrade(url))
        yield url
    finally:
        if cluster is not None:
            cluster.stop()


@pytest.fixture
def fresh_database_url(database_url: str, tmp_path: Path) -> str:
    """An empty database no migration has touched yet, on the suite's database server."""
    if database_url.startswith("sqlite"):
        return f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    return asyncio.run(_create_database(admin_url, f"runtime_fresh_{os.getpid()}"))


async def _create_database(admin_url: str, name: str) -> str:
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


async def _truncate(url: str) -> None:
    engine = create_async_engine(url)
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                await conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608
    await engine.dispose()


@pytest.fixture
def db_url(database_url: str) -> str:
    """The session database, emptied for this test."""
    asyncio.run(_truncate(database_url))
    return database_url


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, chains_dir="")  # no seeded chains in API tests


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app) as test_client:
        yield test_client


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
