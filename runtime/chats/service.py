"""ChatService: chats, instructions, feedback, and opening turns under the chat's turn lease.

Two turns on one chat never interleave: opening a turn takes a lease on the chat row (one
conditional UPDATE, so it holds across replicas on PostgreSQL too); a second turn while the
first runs is refused with 409. A lease left by a crashed replica expires after `turn_lease`.
A chat belongs to the identity that created it: others reach it only through an access
entry on it (`view` reads its history, `edit` sends turns, `manage` deletes), admins always;
to anyone else it does not exist (404).
"""

from __future__ import annotations

import contextlib
import functools
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection

from runtime import errors
from runtime.cache import TtlCache
from runtime.chainstore import ChainService
from runtime.chats import fit, store, writes
from runtime.chats.recent import Histories, Owners
from runtime.chats.turn import Clock, Turn
from runtime.chats.types import Chat, Feedback, History, Message, Rating, Role
from runtime.db import Database
from runtime.execution.chains import ChainChat
from runtime.identity import Principal
from runtime.identity.acl import AccessService
from runtime.knowledge import FileService
from runtime.knowledge.names import normalise_prefix
from runtime.paging import PageRequest
from runtime.registry import Model, ModelService
from runtime.taskengine.chat import OpenAIChatRequest, OpenAIMessage

DEFAULT_CHAIN = "chat"
GROUNDED_CHAIN = "rag"  # what a chat grounded in a knowledge folder runs by default
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
        files: FileService,
        access: AccessService,
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
        self._files = files
        self._access = access
        self._owners = Owners()  # chats' owners, read on every turn, never changed
        # context windows of models, read on every turn, changed rarely
        self._windows: TtlCache[str, Model | None] = TtlCache(WINDOW_TTL)
        self._histories = Histories()  # what this replica last read or wrote of each chat
        self._default_model, self._default_context = default_model
        self._lease = timedelta(seconds=turn_lease)
        self._owner = owner
        self._clock = clock

    async def create(
        self, who: Principal, subject: str, model: str, chain_id: str, path: str | None
    ) -> Chat:
        """A new chat of `who`'s, grounded in the folder `path` when one is given.

        Raises InvalidInputError when the chain or the folder does not exist.
        """
        folder = (normalise_prefix(path) or "/") if path else ""  # "/": the whole base
        if folder and not await self._files.folder_exists(folder):
            raise errors.InvalidInputError(f"knowledge folder {path!r} not found", param="path")
        chain_id = chain_id or (GROUNDED_CHAIN if folder else DEFAULT_CHAIN)
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
            owner=who.id,
            path=folder,
            created_at=now,
            updated_at=now,
        )
        async with self._db.transaction() as session:
            await store.create_chat(session, chat)
        self._owners.put(chat.id, chat.owner)
        return chat

    async def list_page(self, who: Principal, page: PageRequest) -> list[Chat]:
        """The chats `who` may view: an admin every one, others their own and those shared."""
        shown = None
        if not who.allows("admin"):
            shown = (who.id, await self._access.granted(who.id, "chat"))
        async with self._db.transaction() as session:
            return await store.list_chats(session, page, shown)

    async def history(self, who: Principal, chat_id: str) -> History:
        await self._authorize(who, chat_id, "view")
        async with self._db.transaction() as session:
            chat = await store.get_chat(session, chat_id)
            messages = await store.list_messages(session, chat_id)
            failures = await store.list_failures(session, chat_id, FAILURES_SHOWN)
        return History(chat=chat, messages=messages, failures=failures)

    async def delete(self, who: Principal, chat_id: str) -> None:
        await self._authorize(who, chat_id, "manage")
        async with self._db.transaction() as session:
            await store.delete_chat(session, chat_id)
        self._owners.forget(chat_id)

    async def instruct(self, who: Principal, chat_id: str, text: str) -> Message:
        """Add a system instruction that every later turn is given."""
        if not text.strip():
            raise errors.InvalidInputError("instruction is empty", param="instruction")
        await self._authorize(who, chat_id, "edit")
        now = self._clock()

        def add(conn: Connection) -> Message:
            if writes.touch_chat(conn, chat_id, now) < 0:
                raise errors.NotFoundError(f"chat {chat_id!r} not found")
            message = Message(
                id=str(uuid.uuid4()),
                chat_id=chat_id,
                seq=writes.next_seq(conn, chat_id),
                role=Role.SYSTEM,
                content=text,
                created_at=now,
            )
            writes.add_messages(conn, [message])
            return message

        return await self._db.write(add)

    async def rate(
        self, who: Principal, chat_id: str, message_id: str, rating: Rating, comment: str
    ) -> Message:
        await self._authorize(who, chat_id, "edit")
        feedback = Feedback(rating=rating, comment=comment, created_at=self._clock())
        async with self._db.transaction() as session:
            return await store.rate_message(session, chat_id, message_id, feedback)

    async def open_turn(self, who: Principal, chat_id: str, text: str) -> Turn:
        """Take the chat's turn lease and prepare the request the chain is given.

        Raises NotFoundError, PermissionDeniedError (`who` may only view the chat),
        ConflictError (a turn is running) or InvalidInputError (an empty message, or one that
        does not fit the model's window with the instructions).
        """
        if not text.strip():
            raise errors.InvalidInputError("message is empty", param="message")
        await self._authorize(who, chat_id, "edit")
        now = self._clock()
        known = self._histories.version(chat_id)
        try:
            claimed = await self._db.write(
                functools.partial(
                    writes.claim_turn, chat_id=chat_id, owner=self._owner, now=now,
                    until=now + self._lease, known=known,
                ),
                undo=functools.partial(writes.release_claim, owner=self._owner),  # caller left
                one_statement=True,
            )  # fmt: skip
        except errors.NotFoundError:
            raise
        except Exception:  # the claim is committed before its reads: a failed read gives it back
            with contextlib.suppress(Exception):
                await self._db.write(
                    functools.partial(writes.release, chat_id=chat_id, owner=self._owner),
                    one_statement=True,
                )
            raise
        if claimed is None:
            raise errors.ConflictError(
                f"chat {chat_id!r} is answering another message; send this one when "
                "that answer is done"
            )
        chat, version, stored = claimed
        try:  # refused (or the client left): the turn never started, the lease goes back
            if stored is None:
                stored = self._histories.get(chat_id, version)
            if stored is None:  # forgotten while the claim ran: read it again
                stored = await self._db.write(
                    functools.partial(writes.shown, chat_id=chat_id), one_statement=True
                )
            self._histories.put(chat_id, version, stored)
            pairs = [(role, content) for _, role, content in stored]
            # outside the claim's transaction: the window may be read in one of its own
            shown = fit.fit(pairs, text, fit.budget(await self._context_length(chat.model)))
        except BaseException:
            await self._db.write(
                functools.partial(
                    writes.touch_chat, chat_id=chat_id, now=chat.updated_at, release=self._owner
                ),
                one_statement=True,
            )
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

    async def _authorize(self, who: Principal, chat_id: str, needed: str) -> None:
        """Refuse unless `who` may act with `needed` on the chat (404 if it may not view it)."""
        if who.allows("admin"):
            return
        owner = self._owners.get(chat_id)
        if owner is None:
            async with self._db.transaction() as session:
                owner = await store.find_owner(session, chat_id)
            if owner is None:
                raise errors.NotFoundError(f"chat {chat_id!r} not found", param="id")
            self._owners.put(chat_id, owner)
        await self._access.require(who, "chat", chat_id, needed, owner=owner)

    async def _context_length(self, model: str) -> int:
        """The declared context window of the chat's model (or the default chat model's)."""
        name = model or self._default_model
        if not name:
            return self._default_context
        found = await self._windows.get(name, self._models.find)
        return found.context_length if found is not None else self._default_context
