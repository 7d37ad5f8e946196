"""The error vocabulary of the domain: every failure a caller can act on is one of these.

Domain code raises only these (or subclasses); `api/errors.py` turns them into HTTP answers
in one place. Retry facts travel on the error as data.
"""

from __future__ import annotations


class Error(Exception):
    """Base of every domain error; `param` names the input field at fault, if any."""

    status = 500
    retryable = False

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


class NotFoundError(Error):
    """The addressed entity does not exist."""

    status = 404


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


class LimitExceededError(Error):
    """A configured limit (row caps, rate) was reached."""

    status = 429


class UnavailableError(Error):
    """Nothing can serve the request right now; retrying later may succeed."""

    status = 503
    retryable = True


class UpstreamError(Error):
    """A backend answered with something we cannot use."""

    status = 502
    retryable = True


class UnsupportedMediaError(Error):
    """The request body is in a media type the route does not read."""

    status = 415


class TooLargeError(Error):
    """The request body is larger than we read."""

    status = 413
