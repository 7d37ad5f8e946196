"""The one token estimate, for text no backend has counted yet (4 characters a token). Pure."""

from __future__ import annotations

CHARS_PER_TOKEN = 4


def estimate(chars: int) -> int:
    """Tokens for `chars` characters of text, rounded up (0 for no text)."""
    return -(-chars // CHARS_PER_TOKEN)


def estimate_text(text: str) -> int:
    """Tokens of one text."""
    return estimate(len(text))
