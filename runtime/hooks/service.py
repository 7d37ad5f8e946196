"""Use cases for remote hooks: validated CRUD, their OpenAPI tools, and calls to them.

Documents are fetched lazily (never at registration) and cached per hook for a short TTL;
updating or deleting a hook drops its cached document. Header values are never logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import msgspec

from runtime import errors
from runtime.db import Database
from runtime.hooks import invocation, openapi, remote, store
from runtime.hooks.types import HookSpec, RemoteHook
from runtime.paging import PageRequest
from runtime.providerconfig import mask
from runtime.providers.outbound import OutboundPolicy, check_url

log = logging.getLogger("runtime.hooks")
_INVALID = "invalid remote hook data serverops: unprocessable entity"
DEFAULT_SCHEMA_TTL = 30.0


def validate_hook(spec: HookSpec, policy: OutboundPolicy | None = None) -> None:
    """Check a hook spec. Raises InvalidInputError naming the field at fault."""
    if not spec.name.strip():
        raise errors.InvalidInputError(f"{_INVALID}: name is required", param="name")
    if "." in spec.name:  # tools are offered as `<hook>.<tool>`: the first dot ends the name
        raise errors.InvalidInputError(f"{_INVALID}: name cannot contain '.'", param="name")
    if not spec.endpoint_url.strip():
        raise errors.InvalidInputError(f"{_INVALID}: endpoint URL is required", param="endpointUrl")
    parts = urlsplit(spec.endpoint_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise errors.InvalidInputError(
            f"{_INVALID}: endpoint URL must be an absolute http or https URL",
            param="endpointUrl",
        )
    check_url(spec.endpoint_url, policy or OutboundPolicy(), param="endpointUrl")
    if spec.timeout_ms <= 0:
        raise errors.InvalidInputError(f"{_INVALID}: timeout must be positive", param="timeoutMs")
    for key, value in spec.headers.items():
        if not key.strip():
            raise errors.InvalidInputError(
                f"{_INVALID}: header name cannot be empty", param="headers"
            )
        if not value.strip():
            raise errors.InvalidInputError(
                f"{_INVALID}: header value for {key} cannot be empty", param="headers"
            )


class HookService:
    """Register remote hooks, offer their operations as tools, and call them.

    The task engine adapter uses `tools`, `call_tool` and `run`; the API uses the rest.
    """

    def __init__(
        self,
        db: Database,
        http: httpx.AsyncClient,
        *,
        max_rows: int,
        schema_ttl: float = DEFAULT_SCHEMA_TTL,
        clock: Callable[[], float] = time.monotonic,
        policy: OutboundPolicy | None = None,
    ) -> None:
        self._policy = policy or OutboundPolicy()
        self._db = db
        self._http = http
        self._max_rows = max_rows
        self._cache = remote.SchemaCache(http, ttl=schema_ttl, clock=clock)

    async def create(self, spec: HookSpec) -> RemoteHook:
        """Store a new hook; the client's `id` is kept when non-empty."""
        validate_hook(spec, self._policy)
        now = datetime.now(UTC)
        hook = _hook(spec.id.strip() or str(uuid.uuid4()), spec, created_at=now, updated_at=now)
        async with self._db.transaction() as session:
            if await store.count_hooks(session) >= self._max_rows:
                raise errors.LimitExceededError(f"row limit reached (max {self._max_rows})")
            return await store.create_hook(session, hook)

    async def get(self, hook_id: str) -> RemoteHook:
        async with self._db.transaction() as session:
            return await store.get_hook(session, hook_id)

    async def get_by_name(self, name: str) -> RemoteHook:
        """The hook named `name`. Raises NotFoundError (`unknown hook: <name>`)."""
        async with self._db.transaction() as session:
            hook = await store.find_hook_by_name(session, name)
        if hook is None:
            raise errors.NotFoundError(f"unknown hook: {name}")
        return hook

    async def list_page(self, page: PageRequest) -> list[RemoteHook]:
        async with self._db.transaction() as session:
            return await store.list_hooks(session, page)

    async def update(self, hook_id: str, spec: HookSpec) -> RemoteHook:
        """Replace a hook's fields (its id and creation time stay)."""
        validate_hook(spec, self._policy)
        async with self._db.transaction() as session:
            current = await store.get_hook(session, hook_id)
            spec = msgspec.structs.replace(spec, headers=_unmasked(spec.headers, current.headers))
            changed = _hook(
                current.id, spec, created_at=current.created_at, updated_at=datetime.now(UTC)
            )
            updated = await store.update_hook(session, changed)
        self._cache.forget(hook_id)
        return updated

    async def delete(self, hook_id: str) -> None:
        async with self._db.transaction() as session:
            await store.delete_hook(session, hook_id)
        self._cache.forget(hook_id)

    async def names(self) -> list[str]:
        """Every hook name, sorted."""
        async with self._db.transaction() as session:
            return [hook.name for hook in await store.list_all_hooks(session)]

    async def schemas(self) -> dict[str, Any]:
        """`{hook name: OpenAPI document}`; hooks whose document cannot be read are left out."""
        async with self._db.transaction() as session:
            hooks = await store.list_all_hooks(session)
        documents = await asyncio.gather(*(self._document_or_none(hook) for hook in hooks))
        return {h.name: doc for h, doc in zip(hooks, documents, strict=True) if doc is not None}

    async def tools(self, hook_names: list[str]) -> list[dict[str, Any]]:
        """OpenAI function tools of those hooks, each named `<hook>.<tool>`.

        Raises NotFoundError for an unknown hook (`unknown hook: <name>`), and Unavailable or
        Upstream errors when a hook's OpenAPI document cannot be read.
        """
        found: list[dict[str, Any]] = []
        for name in hook_names:
            hook = await self.get_by_name(name)
            document = await self._document(hook, remote.schema_failure)
            arg = hook.properties
            found.extend(
                openapi.function_tool(op, f"{hook.name}.{op.tool_name}", arg.name, arg.location)
                for op in openapi.operations(document)
            )
        return found

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> tuple[Any, str]:
        """Call the tool `<hook>.<tool>` (split at the first dot) with the model's arguments.

        Returns the result and its data type: `json`, `string`, or `any` (empty reply).
        """
        hook_name, dot, tool_name = name.partition(".")
        if not dot or not hook_name or not tool_name:
            raise errors.NotFoundError(f"tool '{name}' not found: hook tools are <hook>.<tool>")
        return await self._execute(hook_name, tool_name, arguments)

    async def run(
        self,
        hook_name: str,
        tool_name: str,
        args: dict[str, str],
        input: Any,
    ) -> tuple[Any, str]:
        """The `hook` task: call `tool_name` with `{"input": input, **args}`; result and type."""
        return await self._execute(hook_name, tool_name, {"input": input, **args})

    async def _execute(
        self, hook_name: str, tool_name: str, arguments: dict[str, Any]
    ) -> tuple[Any, str]:
        hook = await self.get_by_name(hook_name)
        seconds = hook.timeout_ms / 1000
        deadline = time.monotonic() + seconds
        try:
            async with asyncio.timeout(seconds):
                document = await self._cache.document(hook, seconds, remote.failure)
                operation = openapi.find(document, tool_name)
                if operation is None:
                    raise errors.NotFoundError(
                        remote.failure(hook, f"tool '{tool_name}' not found in the OpenAPI schema")
                    )
                call = invocation.build(hook, operation, arguments)
                left = max(deadline - time.monotonic(), 0.001)
                return await remote.send(self._http, hook, call, left)
        except TimeoutError:
            raise errors.UnavailableError(
                remote.failure(hook, f"timed out after {hook.timeout_ms} ms")
            ) from None

    async def _document(self, hook: RemoteHook, describe: Callable[[RemoteHook, str], str]) -> Any:
        seconds = hook.timeout_ms / 1000
        try:
            async with asyncio.timeout(seconds):
                return await self._cache.document(hook, seconds, describe)
        except TimeoutError:
            raise errors.UnavailableError(describe(hook, "schema request timed out")) from None

    async def _document_or_none(self, hook: RemoteHook) -> Any:
        try:
            return await self._document(hook, remote.schema_failure)
        except errors.Error as exc:
            log.info("%s", exc.message)
            return None


def _unmasked(sent: dict[str, str], stored: dict[str, str]) -> dict[str, str]:
    """Headers to store: a value sent back exactly as we showed it (masked) keeps its secret."""
    return {
        key: stored[key] if key in stored and value == mask(stored[key]) else value
        for key, value in sent.items()
    }


def _hook(
    hook_id: str, spec: HookSpec, *, created_at: datetime, updated_at: datetime
) -> RemoteHook:
    return RemoteHook(
        id=hook_id,
        name=spec.name.strip(),
        endpoint_url=spec.endpoint_url.strip().rstrip("/"),
        timeout_ms=spec.timeout_ms,
        headers=dict(spec.headers),
        properties=spec.properties,
        created_at=created_at,
        updated_at=updated_at,
    )
