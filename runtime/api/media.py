"""Request body media types: JSON as it is, YAML turned into JSON first, the rest refused.

YAML (SPEC 1.4: `application/yaml`, `text/yaml`, `application/x-yaml`, base64 with
`encoding=base64` or `application/x-yaml-base64`) is read safely (`runtime.yamldoc`), up to
`MAX_YAML_BODY` bytes, in a worker thread so that parsing never stalls the event loop; any
other media type is answered 415 before any decoding.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from typing import Any

import msgspec
from litestar import Request
from litestar.types import ASGIApp, Receive, Scope, Send

from runtime import errors, yamldoc
from runtime.api.errors import OLLAMA_PREFIX

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_FORM = "application/x-www-form-urlencoded"
MAX_YAML_BODY = 1024 * 1024  # parsing YAML costs about 1 s a MiB even with libyaml
YAML_TYPES = frozenset(
    {"application/yaml", "text/yaml", "application/x-yaml", "application/x-yaml-base64"}
)


def _media_type(value: str) -> tuple[str, dict[str, str]]:
    media, *rest = value.split(";")
    params = {}
    for param in rest:
        name, _, val = param.partition("=")
        params[name.strip().lower()] = val.strip().strip('"').lower()
    return media.strip().lower(), params


async def require_json(request: Request[Any, Any, Any]) -> None:
    if request.method not in _BODY_METHODS:
        return
    content_type = request.headers.get("content-type")
    if not content_type:
        return
    media, _ = _media_type(content_type)
    if media == _FORM and request.scope["path"].startswith(OLLAMA_PREFIX):
        return  # Ollama reads any body as JSON, and its docs use `curl -d` (a form's type)
    if media == "multipart/form-data" and request.route_handler.opt.get("multipart"):
        return  # an upload route reads its body itself, as a stream (`runtime.api.upload`)
    if media != "application/json" and not media.endswith("+json"):
        raise errors.UnsupportedMediaError(
            f"unsupported content type {media!r}: send application/json or application/yaml"
        )


def yaml_bodies(app: ASGIApp) -> ASGIApp:
    """Middleware: a YAML request body reaches the route as the same document in JSON."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        content_type = _header(scope, b"content-type")
        if scope.get("method") not in _BODY_METHODS or not content_type:
            await app(scope, receive, send)
            return
        media, params = _media_type(content_type)
        if media not in YAML_TYPES:
            await app(scope, receive, send)
            return
        body = await asyncio.to_thread(
            _as_json,
            await _read(receive),
            base64_first=media.endswith("-base64") or params.get("encoding") == "base64",
        )
        headers = [(k, v) for k, v in scope["headers"] if k not in _REPLACED]
        headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if replayed:
                return await receive()  # the disconnect, when the client leaves
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        rewritten: Any = {**scope, "headers": headers}
        await app(rewritten, replay, send)

    return middleware


_REPLACED = frozenset({b"content-type", b"content-length"})


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


async def _read(receive: Receive) -> bytes:
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise errors.InvalidInputError("the client left before sending its body")
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > MAX_YAML_BODY:
            raise errors.TooLargeError(f"YAML request body larger than {MAX_YAML_BODY} bytes")
        if not message.get("more_body", False):
            return b"".join(chunks)


def _as_json(body: bytes, *, base64_first: bool) -> bytes:
    try:
        if base64_first:
            body = base64.b64decode(b"".join(body.split()), validate=True)
        return msgspec.json.encode(yamldoc.load(body))
    except yamldoc.YamlLimitError as exc:
        raise errors.BadRequestError(f"invalid YAML: {exc}") from None
    except (binascii.Error, yamldoc.YamlError) as exc:
        raise errors.InvalidInputError(f"invalid YAML: {exc}") from None
