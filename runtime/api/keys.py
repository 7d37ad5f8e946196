"""/keys: API keys created (the secret answered once), listed (never the secret), revoked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from runtime.api.base import ApiStruct, Name, literal
from runtime.identity import ApiKey, KeyService, KeySpec, Limits

Positive = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
ScopeName = Annotated[str, msgspec.Meta(max_length=32)]


class LimitsBody(ApiStruct):
    """Requests and tokens per minute (absent: unlimited); tokens count on model routes."""

    rpm: Positive | None = None
    tpm: Positive | None = None


class KeyIn(ApiStruct):
    """Body of POST /keys."""

    name: Name = ""
    scopes: Annotated[list[ScopeName], msgspec.Meta(max_length=8)] = []  # noqa: RUF012
    groups: Annotated[list[Name], msgspec.Meta(max_length=256)] | None = None
    expires_at: datetime | None = None
    limits: LimitsBody | None = None

    def to_spec(self) -> KeySpec:
        limits = self.limits or LimitsBody()
        expires = self.expires_at
        if expires is not None and expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        return KeySpec(
            name=self.name,
            scopes=tuple(self.scopes),
            groups=None if self.groups is None else tuple(self.groups),
            expires_at=expires,
            limits=Limits(rpm=limits.rpm, tpm=limits.tpm),
        )


class KeyOut(ApiStruct):
    """An API key as listed: its prefix identifies it, its secret is never shown again."""

    id: str
    name: str
    prefix: str
    scopes: list[str]
    groups: list[str] | None
    limits: LimitsBody
    expires_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime

    @classmethod
    def from_domain(cls, key: ApiKey) -> KeyOut:
        return cls(
            id=key.id,
            name=key.name,
            prefix=key.prefix,
            scopes=list(key.scopes),
            groups=None if key.groups is None else list(key.groups),
            limits=LimitsBody(rpm=key.limits.rpm, tpm=key.limits.tpm),
            expires_at=key.expires_at,
            last_used_at=key.last_used_at,
            created_at=key.created_at,
        )


class IssuedKeyOut(KeyOut):
    """A key just created, with its secret (`rt-<prefix>-...`): the only time it is shown."""

    secret: str


class KeyController(Controller):
    """API keys: each application its own, with scopes, groups and limits."""

    path = "/keys"

    @post()
    async def create_key(
        self, data: JSONBody[KeyIn], keys: NamedDependency[KeyService]
    ) -> IssuedKeyOut:
        issued = await keys.create(data.to_spec())
        listed = msgspec.structs.asdict(KeyOut.from_domain(issued.key))
        return IssuedKeyOut(**listed, secret=issued.secret)

    @get()
    async def list_keys(self, keys: NamedDependency[KeyService]) -> list[KeyOut]:
        return [KeyOut.from_domain(key) for key in await keys.list_keys()]

    @delete("/{key_id:str}", status_code=200)
    async def revoke_key(
        self, key_id: FromPath[str], keys: NamedDependency[KeyService]
    ) -> Response[bytes]:
        await keys.revoke(key_id)
        return literal("deleted")
