"""The error vocabulary of the domain: every failure a caller can act on is one of these.

Domain code raises only these (or subclasses); `api/errors.py` turns them into HTTP answers
in one place. Retry facts travel on the error as data.
"""

from __future__ import annotations


class Error(Exception):
    """Base of every domain error; `param` names the input field at fault, if any.

    `code` is the envelope's code; None means the one of the status (see `KINDS`).
    """

    status = 500
    retryable = False
    code: str | None = None
    kind: str | None = None  # the envelope's type; None means the one of the status

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


class NotFoundError(Error):
    """The addressed entity does not exist."""

    status = 404


class ModelNotFoundError(NotFoundError):
    """No model of that name is declared anywhere (clients do not retry a 404)."""

    code = "model_not_found"


class ConflictError(Error):
    """The change clashes with stored state (duplicate name, missing reference)."""

    status = 409


class InvalidInputError(Error):
    """The input is well-formed but not acceptable (a field fails validation)."""

    status = 422


class BadRequestError(InvalidInputError):
    """The request itself is malformed or lacks a required parameter."""

    status = 400


class UnauthorizedError(Error):
    """No valid credentials were presented."""

    status = 401


class ForbiddenError(Error):
    """The entity exists but this operation is not allowed on it (immutable defaults)."""

    status = 403


class PermissionDeniedError(ForbiddenError):
    """The credential is valid but does not grant what the route needs (its scope)."""

    code = "permission_denied"
    kind = "permission_error"


class LimitExceededError(Error):
    """A configured limit (row caps, rate) was reached."""

    status = 429


class RateLimitedError(LimitExceededError):
    """A rate limit was reached; `headers` say which, what remains and when to retry."""

    def __init__(self, message: str, *, headers: dict[str, str]) -> None:
        super().__init__(message)
        self.headers = headers


class UnavailableError(Error):
    """Nothing can serve the request right now; retrying later may succeed."""

    status = 503
    retryable = True


class UpstreamError(Error):
    """A backend answered with something we cannot use."""

    status = 502
    retryable = True


class RefusedUpstreamError(UpstreamError):
    """A backend refused the request itself (its 400 or 422).

    The request's fault, not the backend's health: another backend may take it (another kind
    may accept what this one does not), but none is cooled down for it, and when every one
    refuses, the client gets a 400.
    """

    status = 400


class UnsupportedMediaError(Error):
    """The request body is in a media type the route does not read."""

    status = 415


class TooLargeError(Error):
    """The request body is larger than we read."""

    status = 413


class NotOfferedError(Error):
    """The operation exists in a protocol we speak but this server does not offer it.

    A 405 (the client's request, not a server fault: retrying cannot help), never a 5xx.
    """

    status = 405


KINDS = {
    400: ("invalid_request_error", "bad_request"),
    401: ("authentication_error", "unauthorized"),
    403: ("authorization_error", "forbidden"),
    404: ("invalid_request_error", "not_found"),
    405: ("invalid_request_error", "method_not_allowed"),
    409: ("invalid_request_error", "conflict"),
    413: ("invalid_request_error", "request_too_large"),
    415: ("invalid_request_error", "unsupported_media"),
    422: ("invalid_request_error", "unprocessable_entity"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    500: ("api_error", "internal_error"),
    502: ("api_error", "bad_gateway"),
    503: ("api_error", "service_unavailable"),
}
INTERNAL = "internal server error"


def envelope(
    status: int,
    message: str,
    param: str | None = None,
    code: str | None = None,
    kind: str | None = None,
) -> dict[str, dict[str, str | None]]:
    """The OpenAI-style error body `{"error": {...}}`, for HTTP answers and stream events alike."""
    default_kind, default_code = KINDS.get(status, ("api_error", "unknown_error"))
    return {
        "error": {
            "message": message,
            "type": kind or default_kind,
            "code": code or default_code,
            "param": param,
        }
    }


def envelope_of(exc: BaseException) -> dict[str, dict[str, str | None]]:
    """The envelope of any exception: a domain error's own, a generic 500 for anything else."""
    if isinstance(exc, Error):
        return envelope(exc.status, exc.message, exc.param, exc.code, exc.kind)
    return envelope(500, INTERNAL)
