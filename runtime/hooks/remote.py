"""Talks to remote hooks over HTTP: fetches and caches OpenAPI documents, sends invocations.

Failures become `runtime.errors` with the hook named; header values (possibly credentials)
never appear in messages or logs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from runtime import errors
from runtime.hooks.invocation import Invocation
from runtime.hooks.types import RemoteHook

SCHEMA_PATH = "/openapi.json"
_MAX_ERROR_BODY = 1000
_TOO_MANY_REQUESTS = 429
_SERVER_ERROR = 500


class HookResponseError(errors.UpstreamError):
    """The hook answered with a non-2xx status; retryable for 429 and 5xx only."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.upstream_status = status
        self.retryable = status == _TOO_MANY_REQUESTS or status >= _SERVER_ERROR


def failure(hook: RemoteHook, detail: str) -> str:
    return f"execution failed for hook '{hook.name}': {detail}"


def schema_failure(hook: RemoteHook, detail: str) -> str:
    return f"cannot read the OpenAPI schema of hook '{hook.name}': {detail}"


async def fetch_document(
    http: httpx.AsyncClient,
    hook: RemoteHook,
    seconds: float,
    describe: Callable[[RemoteHook, str], str] = schema_failure,
) -> Any:
    """GET `<endpointUrl>/openapi.json`; the parsed document (a JSON object).

    `describe` turns a failure detail into the error message.
    """
    url = hook.endpoint_url.rstrip("/") + SCHEMA_PATH
    headers = {**hook.headers, "Accept": "application/json"}
    try:
        response = await http.get(url, headers=headers, timeout=seconds)
    except httpx.TimeoutException:
        raise errors.UnavailableError(describe(hook, "schema request timed out")) from None
    except httpx.HTTPError as exc:
        raise errors.UnavailableError(
            describe(hook, f"schema request failed: {type(exc).__name__}")
        ) from None
    if not response.is_success:
        raise HookResponseError(
            describe(hook, f"schema request failed with status {response.status_code}"),
            status=response.status_code,
        )
    try:
        document = response.json()
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise errors.UpstreamError(describe(hook, "the schema is not a JSON object"))
    return document


async def send(
    http: httpx.AsyncClient, hook: RemoteHook, call: Invocation, seconds: float
) -> tuple[Any, str]:
    """Send `call`; the result and its data type (`json`, `string`, or `any` for no body)."""
    try:
        response = await http.request(
            call.method,
            call.url,
            params=call.params,
            headers=call.headers,
            content=None if call.body is None else json.dumps(call.body).encode(),
            timeout=seconds,
        )
    except httpx.TimeoutException:
        raise errors.UnavailableError(failure(hook, "request timed out")) from None
    except httpx.HTTPError as exc:
        raise errors.UnavailableError(
            failure(hook, f"request failed: {type(exc).__name__}")
        ) from None
    if not response.is_success:
        body = response.text[:_MAX_ERROR_BODY]
        raise HookResponseError(
            failure(hook, f"API request failed with status {response.status_code}: {body}"),
            status=response.status_code,
        )
    if not response.content:
        return None, "any"
    if "application/json" in response.headers.get("content-type", ""):
        try:
            return response.json(), "json"
        except ValueError:
            raise errors.UpstreamError(failure(hook, "the response is not valid JSON")) from None
    return response.text, "string"


class SchemaCache:
    """OpenAPI documents per hook, kept for `ttl` seconds; a changed hook is refetched."""

    def __init__(self, http: httpx.AsyncClient, *, ttl: float, clock: Callable[[], float]) -> None:
        self._http = http
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[str, tuple[tuple[str, datetime], float, Any]] = {}

    async def document(
        self,
        hook: RemoteHook,
        seconds: float,
        describe: Callable[[RemoteHook, str], str] = schema_failure,
    ) -> Any:
        """The hook's document, from the cache while fresh; failures are not cached."""
        stamp = (hook.endpoint_url, hook.updated_at)
        entry = self._entries.get(hook.id)
        now = self._clock()
        if entry is not None and entry[0] == stamp and now < entry[1]:
            return entry[2]
        document = await fetch_document(self._http, hook, seconds, describe)
        self._entries[hook.id] = (stamp, self._clock() + self._ttl, document)
        return document

    def forget(self, hook_id: str) -> None:
        self._entries.pop(hook_id, None)
