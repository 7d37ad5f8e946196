"""The shape of the code: size budget, docstrings, table access only from stores, no drift."""

from __future__ import annotations

import ast
import asyncio
import subprocess
import sys
from pathlib import Path

from alembic import command
from sqlalchemy.ext.asyncio import create_async_engine

from runtime.db.migrate import alembic_config

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "runtime"
HARD_LIMIT = 500
TABLE_MODULE_ALLOWED = (
    "store.py",
    "seed.py",
    "events.py",
    "raw.py",
    "mappings.py",
    "jobs.py",
    "writes.py",
)


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def test_no_module_exceeds_the_size_budget() -> None:
    for root in ("runtime", "tests", "bench"):
        for path in (ROOT / root).rglob("*.py"):
            lines = len(path.read_text().splitlines())
            assert lines <= HARD_LIMIT, f"{path.relative_to(ROOT)} has {lines} lines"


def test_every_module_has_a_docstring() -> None:
    missing = [
        str(p.relative_to(ROOT))
        for p in modules()
        if p.stat().st_size and ast.get_docstring(ast.parse(p.read_text())) is None
    ]
    assert missing == []


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_only_stores_touch_tables() -> None:
    offenders = []
    for path in modules():
        if path.parent.name in ("db", "tables") or path.name in TABLE_MODULE_ALLOWED:
            continue
        if any(name.startswith("runtime.db.tables") for name in imported_modules(path)):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_nothing_reads_the_environment_outside_the_cli_and_config() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in modules()
        if p.name not in ("cli.py", "config.py") and "os.environ" in p.read_text()
    ]
    assert offenders == []


def test_migrations_match_the_tables(db_url: str) -> None:
    """Alembic's `check`: the migrated schema has no drift from the table definitions."""

    async def check() -> None:
        engine = create_async_engine(db_url)
        async with engine.connect() as conn:

            def run(sync_conn: object) -> None:
                config = alembic_config()
                config.attributes["connection"] = sync_conn
                command.check(config)

            await conn.run_sync(run)
        await engine.dispose()

    asyncio.run(check())


def test_the_server_process_never_loads_v8() -> None:
    """User JavaScript runs in sandbox workers; V8 in this process could crash it."""
    imports = "import sys, runtime.cli, runtime.app, runtime.wiring"
    code = f"{imports}; print('py_mini_racer' in sys.modules)"
    found = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert found.stdout.strip() == "False"
