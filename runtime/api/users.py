"""/users (admin), /register, /login and /token_refresh: people and their access tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from runtime import errors
from runtime.api.base import ApiStruct, Name, literal, page_request
from runtime.identity import Session, User, UserService, UserSpec

Email = Annotated[str, msgspec.Meta(max_length=320)]
Secret = Annotated[str, msgspec.Meta(max_length=1024)]
Token = Annotated[str, msgspec.Meta(max_length=4096)]
ScopeList = Annotated[list[Annotated[str, msgspec.Meta(max_length=32)]], msgspec.Meta(max_length=8)]


class UserIn(ApiStruct):
    """userservice_CreateUserRequest (and UpdateUserRequest); `scopes` is ours (admin only)."""

    email: Email | None = None
    friendly_name: Name | None = None
    password: Secret | None = None
    allowed_resources: list[Any] | None = None  # accepted; access is given by /access-control
    scopes: ScopeList | None = None

    def to_spec(self, *, scopes: bool = True) -> UserSpec:
        return UserSpec(
            email=self.email,
            friendly_name=self.friendly_name,
            password=self.password,
            scopes=tuple(self.scopes) if scopes and self.scopes is not None else None,
        )


class UserOut(ApiStruct):
    """A user; never a password or its hash."""

    id: str
    email: str
    friendly_name: str
    scopes: list[str]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_domain(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            friendly_name=user.friendly_name,
            scopes=list(user.scopes),
            created_at=user.created_at,
            updated_at=user.updated_at,
        )


class LoginIn(ApiStruct):
    """Body of POST /login."""

    email: Email = ""
    password: Secret = ""


class LoginOut(ApiStruct):
    """A signed access token (send it as `Authorization: Bearer`), its expiry and its user."""

    token: str
    expires_at: datetime
    user: UserOut

    @classmethod
    def from_domain(cls, session: Session) -> LoginOut:
        return cls(
            token=session.token,
            expires_at=session.expires_at,
            user=UserOut.from_domain(session.user),
        )


class TokenRefreshIn(ApiStruct):
    """usersapi_tokenRefreshRequest."""

    token: Token = ""


class TokenRefreshOut(ApiStruct):
    """usersapi_tokenRefreshResponse, with the new token's expiry."""

    token: str
    expires_at: datetime


class UserController(Controller):
    """Users, managed by an admin."""

    path = "/users"

    @post()
    async def create_user(
        self, data: JSONBody[UserIn], users: NamedDependency[UserService]
    ) -> UserOut:
        return UserOut.from_domain(await users.create(data.to_spec()))

    @get()
    async def list_users(
        self,
        users: NamedDependency[UserService],
        limit: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> list[UserOut]:
        found = await users.list_page(page_request(limit, cursor))
        return [UserOut.from_domain(user) for user in found]

    @get("/{user_id:str}")
    async def get_user(
        self, user_id: FromPath[str], users: NamedDependency[UserService]
    ) -> UserOut:
        return UserOut.from_domain(await users.get(user_id))

    @put("/{user_id:str}")
    async def update_user(
        self, user_id: FromPath[str], data: JSONBody[UserIn], users: NamedDependency[UserService]
    ) -> UserOut:
        return UserOut.from_domain(await users.update(user_id, data.to_spec()))

    @delete("/{user_id:str}", status_code=200)
    async def delete_user(
        self, user_id: FromPath[str], users: NamedDependency[UserService]
    ) -> Response[bytes]:
        await users.delete(user_id)
        return literal("deleted")


class LoginController(Controller):
    """Self-registration (when enabled), login and token refresh; open routes."""

    path = "/"

    @post("/register", status_code=201)
    async def register_user(
        self,
        data: JSONBody[UserIn],
        users: NamedDependency[UserService],
        registration: NamedDependency[bool],
    ) -> UserOut:
        if not registration:
            raise errors.ForbiddenError("self-registration is disabled")
        return UserOut.from_domain(await users.create(data.to_spec(scopes=False)))

    @post("/login", status_code=200)
    async def login_user(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[LoginIn],
        users: NamedDependency[UserService],
    ) -> LoginOut:
        address = request.client.host if request.client else ""
        return LoginOut.from_domain(await users.login(data.email, data.password, address))

    @post("/token_refresh", status_code=200)
    async def refresh_token(
        self, data: JSONBody[TokenRefreshIn], users: NamedDependency[UserService]
    ) -> TokenRefreshOut:
        session = await users.refresh(data.token)
        return TokenRefreshOut(token=session.token, expires_at=session.expires_at)
