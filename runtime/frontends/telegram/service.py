"""FrontendService: Telegram frontends by id; the bot token is sealed at rest, shown masked."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import msgspec

from runtime import errors
from runtime.chainstore import ChainService
from runtime.db import Database
from runtime.frontends.telegram import store
from runtime.frontends.telegram.types import Frontend, FrontendSpec, FrontendStatus
from runtime.paging import PageRequest
from runtime.providerconfig import SecretBox, mask


class FrontendService:
    """CRUD for frontends; every frontend it returns carries its token masked."""

    def __init__(
        self,
        db: Database,
        secrets: SecretBox,
        chains: ChainService,
        *,
        on_change: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._secrets = secrets
        self._chains = chains
        self._on_change = on_change
        self._clock = clock

    async def _check(self, spec: FrontendSpec) -> None:
        if not spec.bot_token.strip():
            raise errors.InvalidInputError("botToken is required", param="botToken")
        if not spec.chain_id.strip():
            raise errors.InvalidInputError("chainId is required", param="chainId")
        try:
            await self._chains.get(spec.chain_id)
        except errors.NotFoundError:
            raise errors.InvalidInputError(
                f"task chain {spec.chain_id!r} not found", param="chainId"
            ) from None

    async def create(self, spec: FrontendSpec) -> Frontend:
        await self._check(spec)
        now = self._clock()
        frontend = Frontend(
            id=str(uuid.uuid4()),
            user_id=spec.user_id,
            chain_id=spec.chain_id,
            description=spec.description,
            bot_token=self._secrets.seal(spec.bot_token.strip()),
            status=FrontendStatus.PENDING,
            last_error="",
            last_poll_at=None,
            update_offset=0,
            created_at=now,
            updated_at=now,
        )
        async with self._db.transaction(self._on_change) as session:
            return self._masked(await store.create_frontend(session, frontend))

    async def get(self, frontend_id: str) -> Frontend:
        async with self._db.transaction() as session:
            return self._masked(await store.get_frontend(session, frontend_id))

    async def list_page(self, page: PageRequest, user_id: str | None = None) -> list[Frontend]:
        async with self._db.transaction() as session:
            found = await store.list_frontends(session, page, user_id)
        return [self._masked(frontend) for frontend in found]

    async def update(self, frontend_id: str, spec: FrontendSpec) -> Frontend:
        """Replace the configuration; a token sent back as shown (masked) is kept.

        A new token is a new bot: its offset starts over and its status is pending again.
        """
        await self._check(spec)
        async with self._db.transaction(self._on_change) as session:
            current = await store.get_frontend(session, frontend_id)
            changed = msgspec.structs.replace(
                current,
                user_id=spec.user_id,
                chain_id=spec.chain_id,
                description=spec.description,
                updated_at=self._clock(),
            )
            if spec.bot_token != self._masked(current).bot_token:
                changed = msgspec.structs.replace(
                    changed,
                    bot_token=self._secrets.seal(spec.bot_token.strip()),
                    update_offset=0,
                    status=FrontendStatus.PENDING,
                    last_error="",
                )
            return self._masked(await store.update_frontend(session, changed))

    async def delete(self, frontend_id: str) -> None:
        async with self._db.transaction(self._on_change) as session:
            await store.delete_frontend(session, frontend_id)

    def _masked(self, frontend: Frontend) -> Frontend:
        try:
            shown = mask(self._secrets.open(frontend.bot_token))
        except errors.UnavailableError:  # sealed with another key: show nothing of it
            shown = "…"
        return msgspec.structs.replace(frontend, bot_token=shown)
