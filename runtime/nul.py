r"""NUL characters: found in input (refused there) and escaped in what we store.

PostgreSQL's text and JSONB cannot hold U+0000, so output we must keep (a function's result
or log, an ingested payload) stores each NUL as the six characters `\u0000`. Pure.
"""

from __future__ import annotations

from typing import Any

NUL = "\x00"
ESCAPED = "\\u0000"
JSON_NUL = b"\\u0000"  # how JSON text spells a NUL inside a string (raw NUL bytes are invalid)


def contains_nul(text: str) -> bool:
    return NUL in text


def escape_nul(value: Any) -> Any:
    r"""The value with every NUL in its strings and keys written as `\u0000`."""
    if isinstance(value, str):
        return value.replace(NUL, ESCAPED) if NUL in value else value
    if isinstance(value, dict):
        return {escape_nul(key): escape_nul(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [escape_nul(item) for item in value]
    return value
