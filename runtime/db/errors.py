"""Translate database exceptions into the domain's error vocabulary, in one place."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.exc import DBAPIError, IntegrityError, NoResultFound

from runtime import errors

LOST = "the database connection was lost; a write it was making may or may not be stored"
# asyncpg's own errors, from lean units (`runtime.db.lean`): a connection that is gone
_GONE = (
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
    asyncpg.CannotConnectNowError,
)


@contextmanager
def translate(conflict: str | None = None) -> Iterator[None]:
    """Re-raise constraint violations as ConflictError and missing rows as NotFoundError.

    A lost database connection is UnavailableError (503): retrying gets a fresh one.

    `conflict` replaces the generic message of a unique-constraint violation.
    """
    try:
        yield
    except (IntegrityError, asyncpg.IntegrityConstraintViolationError) as exc:
        message = _constraint_message(exc)
        if conflict and message.startswith("unique"):
            message = conflict
        raise errors.ConflictError(message) from exc
    except NoResultFound as exc:
        raise errors.NotFoundError("not found") from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise errors.UnavailableError(LOST) from exc
        raise
    except _GONE as exc:
        raise errors.UnavailableError(LOST) from exc


def _constraint_message(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc).lower()
    if "foreign key" in text:
        return "foreign key violation: a referenced entity does not exist"
    if "unique" in text or "duplicate" in text:
        return "unique constraint violation: an entity with this value already exists"
    return "constraint violation"
