"""Rate limits applied to one request: requests per minute, and tokens per minute on model routes.

`limited` takes the request's uses before it runs (`RateLimitedError`, a 429, past a limit) and
returns the `send` that adds the `X-RateLimit-*` headers (`X-RateLimit-*-Tokens` for tokens).
Tokens are charged what the request's calls used (`RequestRecord.tokens`: the backends' reported
usage, else the prompt estimates) just before the answer's last body message goes out, so the
client never sees the end of an answer before its tokens count; a request that ends otherwise
(an error raised through, the client gone) is charged by `Metered.charge` in the guard.
"""

from __future__ import annotations

from litestar.types import Message, Send

from runtime import errors
from runtime.identity import Principal, RateLimiter
from runtime.identity.limits import headers
from runtime.observability.record import current


class Metered:
    """The `send` of a limited request: adds the headers, charges tokens before the end."""

    __slots__ = ("_limiter", "_raw", "_send", "_subject", "_tpm", "charged")

    def __init__(
        self, limiter: RateLimiter, send: Send, found: dict[str, str], tpm: int | None, who: str
    ) -> None:
        self._limiter = limiter
        self._send = send
        self._raw = [(name.encode(), value.encode()) for name, value in found.items()]
        self._tpm = tpm
        self._subject = f"tokens:{who}"
        self.charged = tpm is None

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", ()), *self._raw]
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            await self.charge()
        await self._send(message)

    async def charge(self) -> None:
        """Charge the request's tokens, once (nothing without a tokens limit)."""
        if self.charged or self._tpm is None:
            return
        self.charged = True
        record = current.get()
        if record is not None:
            await self._limiter.charge(self._subject, self._tpm, record.tokens)


async def limited(limiter: RateLimiter, who: Principal, tpm: int | None, send: Send) -> Metered:
    """Take one request (and check `tpm`, on a model route); `RateLimitedError` past a limit.

    Tokens are refused once this minute's window already holds `tpm` of them.
    """
    subject = f"{who.kind}:{who.id}"
    found: dict[str, str] = {}
    # tokens first: a request refused for tokens does not use up one of the minute's requests
    if tpm is not None:
        quota = await limiter.take(f"tokens:{subject}", tpm, 0)
        found |= headers(quota, "-tokens")
        if not quota.allowed:
            if who.limits.rpm is not None:  # the requests window as it is, none taken
                found |= headers(await limiter.take(subject, who.limits.rpm, 0))
            raise errors.RateLimitedError(
                f"rate limit reached: {tpm} tokens per minute", headers=found
            )
    if who.limits.rpm is not None:
        quota = await limiter.take(subject, who.limits.rpm)
        found |= headers(quota)
        if not quota.allowed:
            raise errors.RateLimitedError(
                f"rate limit reached: {who.limits.rpm} requests per minute", headers=found
            )
    return Metered(limiter, send, found, tpm, subject)
