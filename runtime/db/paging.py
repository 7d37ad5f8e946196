"""Apply a PageRequest to a SELECT: newest first, strictly older than the cursor."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from runtime.paging import PageRequest


def paged(
    stmt: Select[Any],
    created_at: InstrumentedAttribute[Any],
    key: InstrumentedAttribute[Any],
    page: PageRequest,
) -> Select[Any]:
    if page.cursor is not None:
        stmt = stmt.where(created_at < page.cursor)
    return stmt.order_by(created_at.desc(), key.desc()).limit(page.limit)
