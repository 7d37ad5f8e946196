"""Shared HTTP mechanics for drivers: error mapping and NDJSON reading over httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
import msgspec

from runtime.observability import tracing
from runtime.providers.direct import Direct
from runtime.providers.errors import (
    BadProviderResponseError,
    ModelMissingError,
    ProviderUnreachableError,
    RefusedRequestError,
)
from runtime.providers.reading import Reply
from runtime.providers.transport import LeanTransport

_NOT_FOUND = 404
_REFUSED = (400, 422)  # the request itself was refused
_SAID = 2000  # bytes of a refusal kept, to tell what was refused
_T = TypeVar("_T")


def _excerpt(body: bytes) -> str:
    text = body[:300].decode("utf-8", "replace").strip()
    return text or "<empty body>"


def check_status(
    response: httpx.Response | Reply, body: bytes, what: str, *, refusals: bool = True
) -> None:
    """Raise the provider error matching a non-2xx answer.

    With `refusals`, a 400 or 422 is the request's fault (`RefusedRequestError`).
    """
    if response.is_success:
        return
    message = f"{what}: backend answered {response.status_code}: {_excerpt(body)}"
    if response.status_code == _NOT_FOUND:
        raise ModelMissingError(message)
    if refusals and response.status_code in _REFUSED:
        raise RefusedRequestError(message, said=body[:_SAID])
    raise BadProviderResponseError(message)


@asynccontextmanager
async def reachable(what: str) -> AsyncIterator[None]:
    """Turn transport failures into ProviderUnreachableError with a readable message."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise ProviderUnreachableError(f"{what}: timed out ({type(exc).__name__})") from exc
    except (httpx.TransportError, httpx.StreamError) as exc:
        raise ProviderUnreachableError(f"{what}: {type(exc).__name__}: {exc}") from exc


class JsonApi:
    """JSON requests to one backend: base URL, headers and timeout fixed, errors mapped.

    With `direct` (our transport, when no proxy is configured) requests are written and read
    straight on it: the head is built once per backend, no httpx objects per request.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        *,
        timeout: float,
        headers: dict[str, str] | None = None,
        direct: LeanTransport | None = None,
        refusals: bool = True,
    ) -> None:
        """`refusals`: the backend's 400 and 422 blame the request (see `check_status`)."""
        self.client = client
        self.refusals = refusals
        self.base = base_url.rstrip("/")
        self.timeout = timeout
        self.headers = {"content-type": "application/json", **(headers or {})}
        self._direct = Direct(direct, self.base, self.headers) if direct is not None else None

    async def call(
        self, method: str, path: str, into: type[_T], *, what: str, body: Any = None
    ) -> _T:
        """One request decoded into `into`; every failure is a provider error."""
        response = await self.send(method, path, what=what, body=body)
        try:
            return msgspec.json.decode(response.content, type=into)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise BadProviderResponseError(
                f"{what}: unreadable answer ({exc}): {_excerpt(response.content)}"
            ) from exc

    async def send(
        self, method: str, path: str, *, what: str, body: Any = None, raw: bytes | None = None
    ) -> httpx.Response | Reply:
        """One request with a successful answer; every failure is a provider error.

        `body` is encoded as JSON; `raw` is sent as it is.
        """
        content = raw if body is None else msgspec.json.encode(body)
        async with reachable(what):
            if self._direct is not None:
                reply = await self._direct.send(
                    method, path, content or b"", self.timeout, self.timeout
                )
                await reply.aread()
                check_status(reply, reply.content, what, refusals=self.refusals)
                return reply
            response = await self.client.request(
                method,
                self.base + path,
                content=content,
                headers=self.headers | tracing.outbound(),
                timeout=self.timeout,
            )
        check_status(response, response.content, what, refusals=self.refusals)
        return response

    @asynccontextmanager
    async def stream(
        self, method: str, path: str, *, what: str, raw: bytes, read_timeout: float | None = None
    ) -> AsyncIterator[httpx.Response | Reply]:
        """A streamed request whose status was checked; failures while reading map too."""
        if self._direct is not None:
            async with reachable(what):
                reply = await self._direct.send(method, path, raw, self.timeout, read_timeout)
                try:
                    if not reply.is_success:
                        check_status(reply, await reply.aread(), what, refusals=self.refusals)
                    yield reply
                finally:
                    await reply.aclose()
            return
        timeout = httpx.Timeout(self.timeout, read=read_timeout)
        async with (
            reachable(what),
            self.client.stream(
                method,
                self.base + path,
                content=raw,
                headers=self.headers | tracing.outbound(),
                timeout=timeout,
            ) as response,
        ):
            if not response.is_success:
                check_status(response, await response.aread(), what, refusals=self.refusals)
            yield response


async def ndjson_lines(response: httpx.Response | Reply) -> AsyncIterator[bytes]:
    """Yield each non-empty line of a streamed NDJSON body."""
    async for line in response.aiter_lines():
        if line.strip():
            yield line.encode()
