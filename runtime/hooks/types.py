"""Domain data for remote hooks: the registered hook, its injected argument, its operations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class InjectionArg(msgspec.Struct, frozen=True, kw_only=True):
    """An argument the runtime adds to every call of a hook (`in`: path, query, header or body)."""

    name: str = ""
    value: Any = None
    location: str = msgspec.field(default="", name="in")


class RemoteHook(msgspec.Struct, frozen=True, kw_only=True):
    """A remote tool server: its OpenAPI operations become tools of task chains.

    `headers` values may be credentials: never log them or put them into error messages.
    """

    id: str
    name: str
    endpoint_url: str
    timeout_ms: int
    headers: dict[str, str]
    properties: InjectionArg
    created_at: datetime
    updated_at: datetime


class HookSpec(msgspec.Struct, frozen=True, kw_only=True):
    """What a caller gives to register or update a hook (not yet validated)."""

    name: str
    endpoint_url: str
    timeout_ms: int
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    properties: InjectionArg = msgspec.field(default_factory=InjectionArg)
    id: str = ""


class Parameter(msgspec.Struct, frozen=True, kw_only=True):
    """One declared parameter of an operation (`location`: path, query, header or cookie)."""

    name: str
    location: str
    required: bool = False
    schema: dict[str, Any] = msgspec.field(default_factory=dict)


class Operation(msgspec.Struct, frozen=True, kw_only=True):
    """One callable path and method of a hook's OpenAPI document, named as a tool."""

    tool_name: str
    method: str
    path: str
    description: str = ""
    parameters: tuple[Parameter, ...] = ()
    has_body: bool = False
    body_schema: dict[str, Any] | None = None

    @property
    def sends_body(self) -> bool:
        """Whether calls send a JSON body (POST/PUT/PATCH that declare a request body)."""
        return self.has_body and self.method in BODY_METHODS
