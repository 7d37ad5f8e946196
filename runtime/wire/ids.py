"""Ids of answers and tool calls, minted in one place. Pure (but random)."""

from __future__ import annotations

import secrets
import string
import uuid

_ALPHABET = string.ascii_lowercase + string.digits


def completion_id() -> str:
    """`chatcmpl-<24 hex>`: a chat completion translated from a non-OpenAI backend."""
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


def text_completion_id() -> str:
    """`cmpl-<24 hex>`: a legacy text completion."""
    return f"cmpl-{uuid.uuid4().hex[:24]}"


def call_id() -> str:
    """`call_<24 hex>`: a tool call whose backend gave it no id."""
    return f"call_{uuid.uuid4().hex[:24]}"


def random_suffix(length: int = 4) -> str:
    """A short random suffix of lowercase letters and digits (chain answers' ids, SPEC 9.2).

    From `secrets.token_bytes`: one call, not one `secrets.choice` per character (9 µs).
    """
    return "".join(_ALPHABET[byte % len(_ALPHABET)] for byte in secrets.token_bytes(length))


def chain_completion_id(unix_nanos: int) -> str:
    """`chatcmpl-<unix-nanos>-<4 chars>`: the answer of a chain's convert step (SPEC 9.3)."""
    return f"chatcmpl-{unix_nanos}-{random_suffix()}"


def chain_route_id(unix_seconds: int) -> str:
    """`<unix-seconds>-<4 chars>`: the answer of a chain's OpenAI route (SPEC 9.2)."""
    return f"{unix_seconds}-{random_suffix()}"
