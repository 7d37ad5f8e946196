"""The Telegram poller: one worker per frontend, held by one replica at a time (a lease row).

A worker long-polls `getUpdates` from the frontend's durable offset and answers each text
message through the `/chats` chat mapped to its Telegram chat. Per update: the turn is stored,
then the offset is advanced past it, then the answer is sent, so a restart never answers an
update twice (a crash between the offset and the send loses that one reply instead). 429s are
honoured (`retry_after`); status, last error and last poll time are kept on the frontend.
The chats a frontend creates belong to its `userId` (the admin when it has none).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import msgspec

from runtime import errors
from runtime.background import wait_any
from runtime.chats import ChatService
from runtime.db import Database
from runtime.frontends.telegram import store
from runtime.frontends.telegram.botapi import BotApi, BotApiError
from runtime.frontends.telegram.types import Frontend, FrontendStatus, Update
from runtime.identity import Principal
from runtime.identity.types import ADMIN_TOKEN, principal
from runtime.providerconfig import SecretBox

log = logging.getLogger("runtime.telegram")
MAX_TEXT = 4096  # Telegram's limit on one message
_SEND_ATTEMPTS = 5
_BUSY_ATTEMPTS = 20


class PollSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Where the Bot API is and how the workers pace themselves (seconds)."""

    base_url: str
    poll: float = 25.0
    lease: float = 60.0
    claim_every: float = 5.0
    backoff: float = 5.0
    request_timeout: float = 10.0


class TelegramPoller:
    """The background loop: claims free frontends and runs a worker for each it holds."""

    def __init__(  # noqa: PLR0913 - collaborators of one loop, wired once
        self,
        db: Database,
        secrets: SecretBox,
        chats: ChatService,
        http: httpx.AsyncClient,
        settings: PollSettings,
        *,
        owner: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db, self._secrets, self._chats, self._http = db, secrets, chats, http
        self._settings = settings
        self._owner = owner
        self._clock = clock
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for frontends to serve now (one was created or changed)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        running: dict[str, asyncio.Task[None]] = {}
        async with asyncio.TaskGroup() as group:
            while not stop.is_set():
                self._wake.clear()
                for frontend_id in await self._claimable():
                    task = running.get(frontend_id)
                    if task is None or task.done():
                        running[frontend_id] = group.create_task(self._serve(frontend_id, stop))
                await wait_any(stop, self._wake, seconds=self._settings.claim_every)

    async def _claimable(self) -> list[str]:
        async with self._db.transaction() as session:
            return await store.claimable(session, self._clock(), limit=1000)

    async def _serve(self, frontend_id: str, stop: asyncio.Event) -> None:
        """Poll one frontend while this replica holds its lease."""
        try:
            while not stop.is_set():
                frontend = await self._lease(frontend_id)
                if frontend is None:
                    return
                delay = await self.run_once(frontend)
                if delay:
                    await wait_any(stop, seconds=delay)
        finally:
            await asyncio.shield(self._release(frontend_id))

    async def _lease(self, frontend_id: str) -> Frontend | None:
        """Take or renew the lease; the frontend with its plain token, or None if not ours."""
        if not await self._renew(frontend_id):
            return None
        try:
            async with self._db.transaction() as session:
                frontend = await store.get_frontend(session, frontend_id)
        except errors.NotFoundError:  # deleted just now
            return None
        try:
            token = self._secrets.open(frontend.bot_token)
        except errors.UnavailableError as exc:
            await self._record(frontend, FrontendStatus.ERROR, exc.message)
            return None
        return msgspec.structs.replace(frontend, bot_token=token)

    async def _renew(self, frontend_id: str) -> bool:
        now = self._clock()
        until = now + timedelta(seconds=self._settings.lease)
        async with self._db.transaction() as session:
            return await store.take_lease(session, frontend_id, self._owner, now, until)

    async def _release(self, frontend_id: str) -> None:
        async with self._db.transaction() as session:
            await store.release_lease(session, frontend_id, self._owner)

    async def _record(self, frontend: Frontend, status: FrontendStatus, error: str) -> None:
        async with self._db.transaction() as session:
            await store.record_poll(session, frontend.id, self._owner, self._clock(), status, error)

    async def run_once(self, frontend: Frontend) -> float:
        """One poll and the answers to what it brought; seconds to wait before the next."""
        settings = self._settings
        api = BotApi(self._http, settings.base_url, frontend.bot_token, settings.request_timeout)
        try:
            updates, offset = await api.get_updates(frontend.update_offset, settings.poll)
        except BotApiError as exc:
            await self._record(frontend, FrontendStatus.ERROR, exc.message)
            return exc.retry_after if exc.retry_after is not None else settings.backoff
        except errors.Error as exc:
            await self._record(frontend, FrontendStatus.ERROR, exc.message)
            return settings.backoff
        error = ""
        for update in updates:
            if not await self._renew(frontend.id):  # turns take a while: keep the lease fresh
                return 0.0
            reply, failed = await self._turn(frontend, update)
            error = failed or error
            if not await self._advance(frontend, update.update_id + 1):
                return 0.0  # the lease was lost: the next renewal says so
            error = await self._send(api, update.chat_id, reply) or error
        if offset > frontend.update_offset:  # updates without text are confirmed too
            await self._advance(frontend, offset)
        status = FrontendStatus.ERROR if error else FrontendStatus.POLLING
        await self._record(frontend, status, error)
        return 0.0

    async def _advance(self, frontend: Frontend, offset: int) -> bool:
        async with self._db.transaction() as session:
            return await store.advance_offset(session, frontend.id, self._owner, offset)

    async def _turn(self, frontend: Frontend, update: Update) -> tuple[str, str]:
        """The answer to send and the error to record ("" when the turn succeeded)."""
        try:
            chat_id = await self._chat_for(frontend, update.chat_id)
            for _ in range(_BUSY_ATTEMPTS):  # someone is talking in this chat through the API
                try:
                    # the server answering for its bot: every chat it mapped is its to use
                    turn = await self._chats.open_turn(ADMIN_TOKEN, chat_id, update.text)
                    break
                except errors.ConflictError:
                    await asyncio.sleep(self._settings.backoff / 10)
            else:
                raise errors.ConflictError("the chat stayed busy")
            message = await turn.run()
        except errors.Error as exc:
            log.warning("telegram frontend %s could not answer: %s", frontend.id, exc.message)
            return f"Sorry, I could not answer that: {exc.message}", exc.message
        return message.content or "…", ""

    async def _chat_for(self, frontend: Frontend, telegram_chat_id: int) -> str:
        """The `/chats` chat of this Telegram chat, created on its first message."""
        async with self._db.transaction() as session:
            found = await store.find_chat(session, frontend.id, telegram_chat_id)
        if found is not None:
            return found
        subject = f"Telegram chat {telegram_chat_id}"
        chat = await self._chats.create(_owner(frontend), subject, "", frontend.chain_id, None)
        async with self._db.transaction() as session:
            await store.map_chat(session, frontend.id, telegram_chat_id, chat.id)
        return chat.id

    async def _send(self, api: BotApi, chat_id: int, text: str) -> str:
        """Send `text` (in pieces Telegram accepts), waiting out 429s; the error, if any."""
        for start in range(0, max(len(text), 1), MAX_TEXT):
            piece = text[start : start + MAX_TEXT]
            for _ in range(_SEND_ATTEMPTS):
                try:
                    await api.send_message(chat_id, piece)
                    break
                except BotApiError as exc:
                    if exc.retry_after is None:
                        return exc.message
                    await asyncio.sleep(exc.retry_after)
                except errors.Error as exc:
                    return exc.message
            else:
                return "telegram sendMessage: still rate limited"
        return ""


def _owner(frontend: Frontend) -> Principal:
    """Whose the chats of `frontend` are: its user's, else the admin's."""
    if not frontend.user_id:
        return ADMIN_TOKEN
    return principal("user", frontend.user_id, frozenset())
