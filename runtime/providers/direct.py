"""Requests to one backend written straight on our transport: the head is built once.

What httpx does per request (URL parsing, header merging, cookies, auth and redirect hooks)
costs more CPU than the whole exchange on a keep-alive connection; a driver's requests differ
only in method, path and body, so the rest of the head is prepared when the driver is made.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from runtime.observability import tracing
from runtime.providers.reading import Reply
from runtime.providers.transport import LeanTransport

_SAFE = "/:?=&%@!$'()*+,;~-._"  # what may stay unescaped in a request target


class Direct:
    """The fixed parts of every request to one base URL, and sending one on the transport."""

    def __init__(self, transport: LeanTransport, base_url: str, headers: dict[str, str]) -> None:
        parts = urlsplit(base_url)
        secure = parts.scheme == "https"
        host = parts.hostname or ""
        port = parts.port or (443 if secure else 80)
        self._transport = transport
        self._key = (parts.scheme, host, port)
        self._prefix = parts.path.rstrip("/")
        default = (secure and port == 443) or (not secure and port == 80)  # noqa: PLR2004
        authority = host if default else f"{host}:{port}"
        if ":" in host:  # an IPv6 literal
            authority = f"[{host}]" if default else f"[{host}]:{port}"
        fixed = {"host": authority, "accept": "*/*", **headers}
        self._head = "".join(f"{name}: {value}\r\n" for name, value in fixed.items()).encode()

    async def send(
        self, method: str, path: str, body: bytes, limit: float, read: float | None
    ) -> Reply:
        """One request; the response's head is read, its body is the caller's to read.

        `limit` bounds connecting, waiting for a connection and writing; `read` each read
        (None: no limit, for streams that may pause).
        """
        target = quote(self._prefix + path, safe=_SAFE).encode()
        head = method.encode() + b" " + target + b" HTTP/1.1\r\n" + self._head
        for name, value in tracing.outbound().items():
            head += f"{name}: {value}\r\n".encode()
        head += b"content-length: " + str(len(body)).encode() + b"\r\n\r\n"
        timeouts = {"connect": limit, "write": limit, "pool": limit, "read": read}
        return await self._transport.roundtrip(self._key, head + body, timeouts)
