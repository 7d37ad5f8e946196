"""One chat turn: the chain run on the fitted history, then the question and answer stored.

A turn holds the chat's turn lease (see `ChatService.open_turn`) from opening until its
outcome is stored, and gives it back in that same transaction. Success stores the question and
the answer together; a failure stores only a failure record; a cancelled turn (the client
left) stores the question and what was generated, marked `interrupted`. The chain's
retrievals are confined to the chat's knowledge folder, and the sources they returned are
stored on the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import NamedTuple

import msgspec

from runtime import errors
from runtime.chats import writes
from runtime.chats.recent import Shown
from runtime.chats.types import Chat, Failure, Message, Role, Status, Usage
from runtime.db import Database
from runtime.execution.chains import ChainChat
from runtime.execution.knowledge import collecting, confined
from runtime.taskengine.chat import OpenAIChatRequest, OpenAIChatResponse
from runtime.taskengine.ports import Source

DeltaSink = Callable[[str], Awaitable[None]]
Clock = Callable[[], datetime]
Remember = Callable[[int, list[Shown]], None]  # the chat's version after our write, what we added


class Answer(NamedTuple):
    """What a turn stores as its answer."""

    content: str
    usage: Usage
    status: Status
    sources: list[Source]


class Turn:
    """An opened turn: `run` it once."""

    def __init__(  # noqa: PLR0913 - the parts of one turn, built by ChatService only
        self,
        db: Database,
        chains: ChainChat,
        clock: Clock,
        chat: Chat,
        request: OpenAIChatRequest,
        *,
        question: str,
        seq: int,
        owner: str,
        remember: Remember = lambda _after, _added: None,
    ) -> None:
        self._db, self._chains, self._clock = db, chains, clock
        self.chat = chat
        self.request = request
        self.question = question
        self._seq = seq
        self._owner = owner
        self._remember = remember
        self.answer_id = str(uuid.uuid4())
        self._parts: list[str] = []

    async def run(self, on_delta: DeltaSink | None = None) -> Message:
        """Run the chain; the stored answer, or the failure raised after it was recorded."""

        async def sink(text: str) -> None:
            self._parts.append(text)
            if on_delta is not None:
                await on_delta(text)

        sources: list[Source] = []
        try:
            # a whole answer is asked for whole: nothing of it exists before it is complete
            streamed = sink if on_delta is not None else None
            with collecting() as sources, confined(self.chat.path):
                response = await self._chains.complete(self.chat.chain_id, self.request, streamed)
            content, usage = _answer(response)
        except asyncio.CancelledError:
            cut = Answer("".join(self._parts), Usage(), Status.INTERRUPTED, sources)
            with contextlib.suppress(errors.NotFoundError):
                await asyncio.shield(self._store(cut))
            raise
        except errors.Error as exc:
            await asyncio.shield(self.fail(exc.message, exc.status))
            raise
        except Exception:
            await asyncio.shield(self.fail(errors.INTERNAL, 500))
            raise
        return await self._store(Answer(content, usage, Status.COMPLETE, sources))

    async def _store(self, answer_of: Answer) -> Message:
        content, usage, status, sources = answer_of
        now = self._clock()
        question = Message(
            id=str(uuid.uuid4()),
            chat_id=self.chat.id,
            seq=self._seq,
            role=Role.USER,
            content=self.question,
            created_at=now,
        )
        answer = Message(
            id=self.answer_id,
            chat_id=self.chat.id,
            seq=self._seq + 1,
            role=Role.ASSISTANT,
            content=content,
            status=status,
            sources=sources,
            usage=usage,
            created_at=now,
        )
        try:
            after = await self._db.write(
                functools.partial(
                    writes.store_turn, messages=[question, answer], now=now, owner=self._owner
                ),
                one_statement=True,
            )
        except errors.ConflictError:  # the chat's row is gone: nothing refers to it any more
            raise errors.NotFoundError(
                f"chat {self.chat.id!r} was deleted while it was answering"
            ) from None
        self._remember(after, [(m.seq, m.role.value, m.content) for m in (question, answer)])
        return answer

    async def fail(self, error: str, status: int) -> None:
        """Record the failed turn and give the lease back; no message is stored."""
        failure = Failure(
            id=str(uuid.uuid4()),
            chat_id=self.chat.id,
            message=self.question,
            error=error,
            status=status,
            created_at=self._clock(),
        )
        with contextlib.suppress(errors.ConflictError):  # unless the chat was deleted meanwhile
            await self._db.write(
                functools.partial(writes.fail_turn, failure=failure, owner=self._owner)
            )


def _answer(response: OpenAIChatResponse) -> tuple[str, Usage]:
    if not response.choices:
        raise errors.UpstreamError("the chain's answer has no choices")
    content = response.choices[0].message.content or ""
    usage = response.usage
    if usage is None:
        return content, Usage()
    return content, msgspec.convert(usage, Usage, from_attributes=True)
