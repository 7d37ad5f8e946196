"""ChatService: chats, instructions, feedback, and opening turns under the chat's turn lease.

Two turns on one chat never interleave: opening a turn takes a lease on the chat row (one
conditional UPDATE, so it holds across replicas on PostgreSQL too); a second turn while the
first runs is refused with 409. A lease left by a crashed replica expires after `turn_lease`.
"""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime, timedelta

from runtime import errors
from runtime.cache import TtlCache
from runtime.chainstore import ChainService
from runtime.chats import fit, store
from runtime.chats.recent import Histories
from runtime.chats.turn import Clock, Turn
from runtime.chats.types import Chat, Feedback, History, Message, Rating, Role
from runtime.db import Database
from runtime.execution.chains import ChainChat
from runtime.paging import PageRequest
from runtime.registry import Model, ModelService
from runtime.taskengine.chat import OpenAIChatRequest, OpenAIMessage

DEFAULT_CHAIN = "chat"
FAILURES_SHOWN = 20
WINDOW_TTL = 10.0  # seconds a model's declared context window is reused


class ChatService:
    """Chats and their history; turns are opened here and run by `Turn`."""

    def __init__(  # noqa: PLR0913 - collaborators and the few knobs of a turn
        self,
        db: Database,
        chains: ChainService,
        chain_chat: ChainChat,
        models: ModelService,
        *,
        default_model: tuple[str, int],
        turn_lease: float,
        owner: str,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._chains = chains
        self._chain_chat = chain_chat
        self._models = models
        # context windows of models, read on every turn, changed rarely
        self._windows: TtlCache[str, Model | None] = TtlCache(WINDOW_TTL)
        self._histories = Histories()  # what this replica last read or wrote of each chat
        self._default_model, self._default_context = default_model
        self._lease = timedelta(seconds=turn_lease)
        self._owner = owner
        self._clock = clock

    async def create(self, subject: str, model: str, chain_id: str, path: str | None) -> Chat:
        chain_id = chain_for(chain_id, path)
        try:
            await self._chains.get(chain_id)
        except errors.NotFoundError:
            raise errors.InvalidInputError(
                f"task chain {chain_id!r} not found", param="chainId"
            ) from None
        now = self._clock()
        chat = Chat(
            id=str(uuid.uuid4()),
            subject=subject,
            model=model,
            chain_id=chain_id,
            created_at=now,
            updated_at=now,
        )
        async with self._db.transaction() as session:
            return await store.create_chat(session, chat)

    async def list_page(self, page: PageRequest) -> list[Chat]:
        async with self._db.transaction() as session:
            return await store.list_chats(session, page)

    async def history(self, chat_id: str) -> History:
        async with self._db.transaction() as session:
            chat = await store.get_chat(session, chat_id)
            messages = await store.list_messages(session, chat_id)
            failures = await store.list_failures(session, chat_id, FAILURES_SHOWN)
        return History(chat=chat, messages=messages, failures=failures)

    async def delete(self, chat_id: str) -> None:
        async with self._db.transaction() as session:
            await store.delete_chat(session, chat_id)

    async def instruct(self, chat_id: str, text: str) -> Message:
        """Add a system instruction that every later turn is given."""
        if not text.strip():
            raise errors.InvalidInputError("instruction is empty", param="instruction")
        now = self._clock()
        async with self._db.transaction() as session:
            await store.get_chat(session, chat_id)
            message = Message(
                id=str(uuid.uuid4()),
                chat_id=chat_id,
                seq=await store.next_seq(session, chat_id),
                role=Role.SYSTEM,
                content=text,
                created_at=now,
            )
            await store.add_messages(session, [message])
            await store.touch_chat(session, chat_id, now)
        return message

    async def rate(self, chat_id: str, message_id: str, rating: Rating, comment: str) -> Message:
        feedback = Feedback(rating=rating, comment=comment, created_at=self._clock())
        async with self._db.transaction() as session:
            return await store.rate_message(session, chat_id, message_id, feedback)

    async def open_turn(self, chat_id: str, text: str) -> Turn:
        """Take the chat's turn lease and prepare the request the chain is given.

        Raises NotFoundError, ConflictError (a turn is running) or InvalidInputError (an empty
        message, or one that does not fit the model's window with the instructions).
        """
        if not text.strip():
            raise errors.InvalidInputError("message is empty", param="message")
        now = self._clock()
        async with self._db.transaction() as session:
            claimed = await store.claim_turn(session, chat_id, self._owner, now, now + self._lease)
            if claimed is None:
                raise errors.ConflictError(
                    f"chat {chat_id!r} is answering another message; send this one when "
                    "that answer is done"
                )
            chat, version = claimed
            stored = self._histories.get(chat_id, version)
            if stored is None:
                stored = await store.list_shown(session, chat_id)
                self._histories.put(chat_id, version, stored)
        pairs = [(role, content) for _, role, content in stored]
        try:  # outside the transaction: the window may be read in a transaction of its own
            shown = fit.fit(pairs, text, fit.budget(await self._context_length(chat.model)))
        except BaseException:  # refused (or the client left): the turn never started
            async with self._db.transaction() as session:
                await store.touch_chat(session, chat_id, chat.updated_at, release=self._owner)
            raise
        messages = [OpenAIMessage(role=role, content=content) for role, content in shown]
        messages.append(OpenAIMessage(role=Role.USER.value, content=text))
        return Turn(
            self._db,
            self._chain_chat,
            self._clock,
            chat,
            OpenAIChatRequest(model=chat.model, messages=messages),
            question=text,
            seq=stored[-1][0] + 1 if stored else 0,
            owner=self._owner,
            remember=functools.partial(self._histories.extend, chat_id, version),
        )

    async def _context_length(self, model: str) -> int:
        """The declared context window of the chat's model (or the default chat model's)."""
        name = model or self._default_model
        if not name:
            return self._default_context
        found = await self._windows.get(name, self._models.find)
        return found.context_length if found is not None else self._default_context


def chain_for(chain_id: str, path: str | None) -> str:
    """The chain a new chat runs: the one asked for, else the shipped `chat` chain.

    This is where a chat grounded in a knowledge folder (`path`) would get the `rag` chain;
    knowledge retrieval is not part of this server yet, so a path is refused.
    """
    if path:
        raise errors.InvalidInputError(
            "grounding a chat in a knowledge path is not available on this server yet",
            param="path",
        )
    return chain_id or DEFAULT_CHAIN
