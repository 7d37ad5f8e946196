"""Keyset pagination over creation time, shared by the stores that list with a cursor.

Rows come newest first; the next page starts strictly before the `createdAt` of the last item.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100


class PageRequest(msgspec.Struct, frozen=True):
    """At most `limit` items created strictly before `cursor` (no cursor: from the newest)."""

    limit: int = DEFAULT_LIMIT
    cursor: datetime | None = None
