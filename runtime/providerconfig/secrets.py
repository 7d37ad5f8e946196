"""Encrypt provider API keys at rest and mask them for display.

Without a secret key, values are stored as given (the operator chose not to encrypt).
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from runtime import errors

_PREFIX = "enc:v1:"


class SecretBox:
    """Seals and opens secrets with a key derived from the configured secret."""

    def __init__(self, secret: str) -> None:
        self._fernet: Fernet | None = None
        if secret:
            digest = hashlib.sha256(secret.encode()).digest()
            self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, value: str) -> str:
        if self._fernet is None:
            return value
        return _PREFIX + self._fernet.encrypt(value.encode()).decode()

    def open(self, stored: str) -> str:
        """Return the plaintext; raises UnavailableError when the key cannot decrypt it."""
        if not stored.startswith(_PREFIX):
            return stored
        if self._fernet is None:
            raise errors.UnavailableError("stored secret is encrypted but no secret key is set")
        try:
            return self._fernet.decrypt(stored[len(_PREFIX) :].encode()).decode()
        except InvalidToken:
            raise errors.UnavailableError(
                "stored secret cannot be decrypted with the configured secret key"
            ) from None


def mask(secret: str) -> str:
    """Show enough of a key to recognise it, never the whole: `sk-…abcd`."""
    if len(secret) >= 12:  # noqa: PLR2004 - below this, showing 7 characters gives too much away
        return f"{secret[:3]}…{secret[-4:]}"
    return "…" + secret[-2:] if len(secret) > 4 else "…"  # noqa: PLR2004
