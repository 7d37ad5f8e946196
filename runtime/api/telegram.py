"""/telegram-frontends: Telegram bots answering through a chain; tokens are only shown masked."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from runtime.api.base import ApiStruct, Description, Name, literal, page_request
from runtime.frontends.telegram.service import FrontendService
from runtime.frontends.telegram.types import Frontend, FrontendSpec


class FrontendIn(ApiStruct):
    """Body of POST and PUT: a token sent back masked (as shown) keeps the stored one."""

    bot_token: Description = ""
    chain_id: Name = ""
    description: Description = ""
    user_id: Name = ""

    def to_domain(self) -> FrontendSpec:
        return FrontendSpec(
            bot_token=self.bot_token,
            chain_id=self.chain_id.strip(),
            description=self.description,
            user_id=self.user_id,
        )


class FrontendOut(ApiStruct):
    """A frontend and its poller's state: `pending`, `polling` or `error` (see lastError)."""

    id: str
    user_id: str
    chain_id: str
    description: str
    bot_token: str
    status: str
    last_error: str
    last_poll_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_domain(cls, frontend: Frontend) -> FrontendOut:
        return cls(
            id=frontend.id,
            user_id=frontend.user_id,
            chain_id=frontend.chain_id,
            description=frontend.description,
            bot_token=frontend.bot_token,
            status=frontend.status.value,
            last_error=frontend.last_error,
            last_poll_at=frontend.last_poll_at,
            created_at=frontend.created_at,
            updated_at=frontend.updated_at,
        )


class TelegramController(Controller):
    """Telegram frontends by id and by owning user."""

    path = "/telegram-frontends"

    @post(status_code=201)
    async def create_telegram_frontend(
        self, data: JSONBody[FrontendIn], telegram: NamedDependency[FrontendService]
    ) -> FrontendOut:
        return FrontendOut.from_domain(await telegram.create(data.to_domain()))

    @get()
    async def list_telegram_frontends(
        self,
        telegram: NamedDependency[FrontendService],
        limit: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> list[FrontendOut]:
        found = await telegram.list_page(page_request(limit, cursor))
        return [FrontendOut.from_domain(f) for f in found]

    @get("/users/{user_id:str}")
    async def list_user_telegram_frontends(
        self,
        user_id: FromPath[str],
        telegram: NamedDependency[FrontendService],
        limit: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> list[FrontendOut]:
        found = await telegram.list_page(page_request(limit, cursor), user_id=user_id)
        return [FrontendOut.from_domain(f) for f in found]

    @get("/{frontend_id:str}")
    async def get_telegram_frontend(
        self, frontend_id: FromPath[str], telegram: NamedDependency[FrontendService]
    ) -> FrontendOut:
        return FrontendOut.from_domain(await telegram.get(frontend_id))

    @put("/{frontend_id:str}")
    async def update_telegram_frontend(
        self,
        frontend_id: FromPath[str],
        data: JSONBody[FrontendIn],
        telegram: NamedDependency[FrontendService],
    ) -> FrontendOut:
        return FrontendOut.from_domain(await telegram.update(frontend_id, data.to_domain()))

    @delete("/{frontend_id:str}", status_code=200)
    async def delete_telegram_frontend(
        self, frontend_id: FromPath[str], telegram: NamedDependency[FrontendService]
    ) -> Response[bytes]:
        await telegram.delete(frontend_id)
        return literal(f"telegram frontend {frontend_id} deleted")
