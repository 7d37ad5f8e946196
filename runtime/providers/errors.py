"""Errors a driver raises, mapped onto the domain vocabulary."""

from __future__ import annotations

from runtime import errors


class ProviderUnreachableError(errors.UnavailableError):
    """The backend did not answer (connection refused, timeout, DNS)."""


class BadProviderResponseError(errors.UpstreamError):
    """The backend answered something we cannot use (bad status, garbage body)."""


class RefusedRequestError(errors.RefusedUpstreamError, BadProviderResponseError):
    """The backend refused the request itself (400 or 422); `said` is the start of its answer."""

    def __init__(self, message: str, *, said: bytes) -> None:
        super().__init__(message)
        self.said = said


class ModelMissingError(errors.NotFoundError):
    """The backend does not know the model (for a pull: the registry has no such model)."""


class UnsupportedOperationError(errors.InvalidInputError):
    """The backend kind cannot do this (pulling into an OpenAI server, for instance)."""
