"""A turn's statements are compiled once: each one SQLAlchemy can cache (no compile per call)."""

from __future__ import annotations

from sqlalchemy.sql.base import Executable

from runtime.chats import writes


def test_every_statement_a_turn_sends_has_a_cache_key() -> None:
    built = [value for value in vars(writes).values() if isinstance(value, Executable)]
    built.append(writes._added_then_finished(2))  # the PostgreSQL store of question and answer
    assert len(built) > 5
    uncached = [str(statement) for statement in built if statement._generate_cache_key() is None]
    assert uncached == []
