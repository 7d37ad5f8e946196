"""The writes of a turn, as units for `Database.write`: plain functions of a Core connection.

A turn is two short write transactions (claim the chat; store the outcome and give the claim
back). They run as whole units (one step on SQLite's writer thread), which costs a fraction of
the same statements sent one by one through the asyncio layer. Each statement is built once
with bound parameters.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple, cast

import msgspec
from sqlalchemy import (
    Connection,
    Table,
    Update,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    update,
)

from runtime.chats.recent import Shown
from runtime.chats.store import CHAT_COLUMNS, chat_of
from runtime.chats.types import Chat, Failure, Message
from runtime.db.tables.chats import ChatFailureRow, ChatMessageRow, ChatRow
from runtime.errors import NotFoundError

_CHATS = cast(Table, ChatRow.__table__)
_MESSAGES = cast(Table, ChatMessageRow.__table__)
_FAILURES = cast(Table, ChatFailureRow.__table__)
_INSERT = insert(_MESSAGES)
_INSERT_FAILURE = insert(_FAILURES)
_EXISTS = select(_CHATS.c.id).where(_CHATS.c.id == bindparam("p_id"))
_LAST_SEQ = select(func.max(_MESSAGES.c.seq)).where(_MESSAGES.c.chat_id == bindparam("p_id"))
_MINE = _CHATS.c.turn_owner == bindparam("p_owner")
_TOUCH = (
    update(_CHATS)
    .where(_CHATS.c.id == bindparam("p_id"))
    .values(updated_at=bindparam("p_now"), version=_CHATS.c.version + 1)
    .returning(_CHATS.c.version)
)
_FINISH = _TOUCH.values(  # only our own lease: one that ran out may be another turn's now
    turn_owner=case((_MINE, None), else_=_CHATS.c.turn_owner),
    turn_until=case((_MINE, None), else_=_CHATS.c.turn_until),
)
_RELEASE = (
    update(_CHATS)
    .where(_CHATS.c.id == bindparam("p_id"), _MINE)
    .values(turn_owner=None, turn_until=None)
)
_CLAIM = (
    update(_CHATS)
    .where(
        _CHATS.c.id == bindparam("p_id"),
        or_(_CHATS.c.turn_owner.is_(None), _CHATS.c.turn_until < bindparam("p_now")),
    )
    .values(turn_owner=bindparam("p_owner"), turn_until=bindparam("p_until"))
    .returning(*CHAT_COLUMNS, _CHATS.c.version)
)
_SHOWN = (
    select(_MESSAGES.c.seq, _MESSAGES.c.role, _MESSAGES.c.content)
    .where(_MESSAGES.c.chat_id == bindparam("p_id"))
    .order_by(_MESSAGES.c.seq)
)


class Claimed(NamedTuple):
    """A claimed chat, its version, and its messages unless the caller holds that version."""

    chat: Chat
    version: int
    shown: list[Shown] | None


def claim_turn(
    conn: Connection, chat_id: str, owner: str, now: datetime, until: datetime, known: int | None
) -> Claimed | None:
    """Take the chat's turn lease: the chat, or None if another turn holds it.

    One conditional UPDATE on both databases: on PostgreSQL a concurrent claim waits on the
    row lock, then re-checks the condition and finds the lease taken. The messages are read
    only when the chat's version is not `known`. Raises NotFoundError when there is no chat.
    """
    params = {"p_id": chat_id, "p_now": now, "p_owner": owner, "p_until": until}
    row = conn.execute(_CLAIM, params).first()
    if row is None:
        if conn.execute(_EXISTS, {"p_id": chat_id}).first() is None:
            raise NotFoundError(f"chat {chat_id!r} not found")  # missing (404), not busy (409)
        return None
    version = int(row.version)
    return Claimed(chat_of(row), version, None if version == known else shown(conn, chat_id))


def release(conn: Connection, chat_id: str, owner: str) -> None:
    """Give back the chat's turn lease if `owner` holds it."""
    conn.execute(_RELEASE, {"p_id": chat_id, "p_owner": owner})


def release_claim(claimed: Claimed | None, owner: str) -> Callable[[Connection], None]:
    """The unit that gives back a claim its caller no longer wants (nothing if none was won)."""

    def give_back(conn: Connection) -> None:
        if claimed is not None:
            release(conn, claimed.chat.id, owner)

    return give_back


def shown(conn: Connection, chat_id: str) -> list[Shown]:
    """(seq, role, content) of every message, in order: what a turn may show the model."""
    return [(seq, role, content) for seq, role, content in conn.execute(_SHOWN, {"p_id": chat_id})]


def next_seq(conn: Connection, chat_id: str) -> int:
    """The position after the chat's last message."""
    last = conn.execute(_LAST_SEQ, {"p_id": chat_id}).scalar()
    return 0 if last is None else int(last) + 1


_FIELDS = (
    "id", "chat_id", "seq", "role", "content", "status", "sources", "prompt_tokens",
    "completion_tokens", "created_at",
)  # fmt: skip


def _row(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "chat_id": message.chat_id,
        "seq": message.seq,
        "role": message.role.value,
        "content": message.content,
        "status": message.status.value,
        "sources": msgspec.to_builtins(message.sources),
        "prompt_tokens": message.usage.prompt_tokens,
        "completion_tokens": message.usage.completion_tokens,
        "created_at": message.created_at,
    }


def add_messages(conn: Connection, messages: list[Message]) -> None:
    """Append messages (one INSERT for all of them)."""
    conn.execute(_INSERT, [_row(message) for message in messages])


@functools.cache
def _added_then_finished(count: int) -> Update:
    """PostgreSQL: `count` messages inserted and the turn finished, in one statement.

    One single-row INSERT per message, each a CTE: a multi-row VALUES of bound parameters
    would be compiled again on every call (SQLAlchemy cannot cache it).
    """
    statement = _FINISH
    for n in range(count):
        row = {name: bindparam(f"m{n}_{name}", type_=_MESSAGES.c[name].type) for name in _FIELDS}
        statement = statement.add_cte(insert(_MESSAGES).values(row).cte(f"added{n}"))
    return statement


def touch_chat(conn: Connection, chat_id: str, now: datetime, *, release: str | None = None) -> int:
    """Count a write to the chat at `now`; its new version, -1 if it is gone.

    With `release`, also give back the turn lease that owner holds.
    """
    if release is None:
        found = conn.execute(_TOUCH, {"p_id": chat_id, "p_now": now}).scalar()
    else:
        params = {"p_id": chat_id, "p_now": now, "p_owner": release}
        found = conn.execute(_FINISH, params).scalar()
    return -1 if found is None else int(found)


def store_turn(conn: Connection, messages: list[Message], now: datetime, owner: str) -> int:
    """A turn's messages stored and its lease given back; the chat's new version (-1: gone).

    On PostgreSQL this is one statement (a data-modifying CTE), for `write(one_statement=True)`.
    """
    chat_id = messages[0].chat_id
    if conn.dialect.name != "postgresql":
        add_messages(conn, messages)
        return touch_chat(conn, chat_id, now, release=owner)
    params = {"p_id": chat_id, "p_now": now, "p_owner": owner}
    for n, message in enumerate(messages):
        params |= {f"m{n}_{name}": value for name, value in _row(message).items()}
    found = conn.execute(_added_then_finished(len(messages)), params).scalar()
    return -1 if found is None else int(found)


def fail_turn(conn: Connection, failure: Failure, owner: str) -> None:
    """A failed turn recorded and its lease given back."""
    conn.execute(
        _INSERT_FAILURE,
        {
            "id": failure.id,
            "chat_id": failure.chat_id,
            "message": failure.message,
            "error": failure.error,
            "status": failure.status,
            "created_at": failure.created_at,
        },
    )
    conn.execute(_RELEASE, {"p_id": failure.chat_id, "p_owner": owner})
