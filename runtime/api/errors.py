"""The one mapping from exceptions to HTTP answers with the OpenAI-style error envelope.

Handlers are found through the exception's MRO, so a subclass of a domain error inherits
its status. Anything unexpected is logged with its traceback and answered with a generic 500.
Under `OLLAMA_PREFIX` (Ollama's client API) the same statuses carry Ollama's `{"error": "..."}`.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

from runtime import errors
from runtime.api.auth import UNAUTHORIZED, Known
from runtime.wire.ollama import Error as OllamaError

log = logging.getLogger("runtime.api")
_UNKNOWN_FIELD = re.compile(r"unknown field `([^`]+)`")
OLLAMA_PREFIX = "/api/"


class ErrorBody(msgspec.Struct):
    """The inner object of the error envelope."""

    message: str
    type: str
    code: str
    param: str | None = None


class ErrorEnvelope(msgspec.Struct):
    """`{"error": {...}}`, the body of every error response."""

    error: ErrorBody


def error_response(
    status: int,
    message: str,
    param: str | None = None,
    code: str | None = None,
    kind: str | None = None,
) -> Response[ErrorEnvelope]:
    body = msgspec.convert(errors.envelope(status, message, param, code, kind), ErrorEnvelope)
    return Response(body, status_code=status)


Answer = Response[ErrorEnvelope] | Response[OllamaError]


def _answer(
    request: Request[Any, Any, Any],
    status: int,
    message: str,
    param: str | None = None,
    code: str | None = None,
    kind: str | None = None,
) -> Answer:
    """The error response in the shape of the API the path belongs to."""
    if request.scope["path"].startswith(OLLAMA_PREFIX):
        return Response(OllamaError(error=message), status_code=status)
    return error_response(status, message, param, code, kind)


def _domain(request: Request[Any, Any, Any], exc: errors.Error) -> Answer:
    response = _answer(request, exc.status, exc.message, exc.param, exc.code, exc.kind)
    if isinstance(exc, errors.RateLimitedError):
        response.headers.update(exc.headers)
    return response


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Answer:
    """Body decoding: malformed JSON is a 400; well-formed JSON of the wrong shape is a 422."""
    detail = _first_detail(exc)
    if detail is None:
        return _answer(request, 400, f"invalid json: {exc.detail}")
    message, param = detail
    return _answer(request, 422, message, param)


def _first_detail(exc: ValidationException) -> tuple[str, str | None] | None:
    extra = exc.extra
    if isinstance(extra, list) and extra and isinstance(extra[0], dict):
        message = str(extra[0].get("message", exc.detail))
        key = extra[0].get("key")
        unknown = _UNKNOWN_FIELD.search(message)
        if unknown:
            return message, unknown.group(1)
        return message, str(key) if key and key != "data" else None
    return None


def _http(request: Request[Any, Any, Any], exc: HTTPException, known: Known | None) -> Answer:
    if known and exc.status_code in (404, 405) and not known(request.scope):
        # without the key, a caller learns nothing about which paths exist
        return _answer(request, 401, UNAUTHORIZED)
    message = exc.detail
    if exc.status_code == 404:  # noqa: PLR2004
        message = "serverops: not found"
    elif exc.status_code == 400:  # noqa: PLR2004 - Litestar's body decoding failures
        message = f"invalid json: {exc.detail}"
    response = _answer(request, exc.status_code, message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Answer:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _answer(request, 500, errors.INTERNAL)


def exception_handlers(known: Known | None = None) -> ExceptionHandlersMap:
    """The handlers, registered once in `create_app`.

    `known` tells whether a request's credential is valid (None: no authentication).
    """
    return {
        errors.Error: _domain,
        ValidationException: _validation,
        HTTPException: lambda request, exc: _http(request, exc, known),
        Exception: _unexpected,
    }
