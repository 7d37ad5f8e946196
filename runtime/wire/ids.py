"""Ids of requests, answers and tool calls, minted in one place. Pure (but random).

None of them is a secret: they come from a pseudo-random generator seeded once from the
operating system, which costs a fraction of a system call per id (`os.urandom` took up to
24 µs a call on a loaded machine here).
"""

from __future__ import annotations

import os
import random
import string

_ALPHABET = string.ascii_lowercase + string.digits
_random = random.Random(os.urandom(32))  # noqa: S311 - ids, not secrets
os.register_at_fork(after_in_child=lambda: _random.seed(os.urandom(32)))  # no shared sequence


def request_id() -> str:
    """32 hex digits: a request's id when the client sent none."""
    return format(_random.getrandbits(128), "032x")


def _hex24() -> str:
    return format(_random.getrandbits(96), "024x")


def completion_id() -> str:
    """`chatcmpl-<24 hex>`: a chat completion translated from a non-OpenAI backend."""
    return f"chatcmpl-{_hex24()}"


def text_completion_id() -> str:
    """`cmpl-<24 hex>`: a legacy text completion."""
    return f"cmpl-{_hex24()}"


def call_id() -> str:
    """`call_<24 hex>`: a tool call whose backend gave it no id."""
    return f"call_{_hex24()}"


def random_suffix(length: int = 4) -> str:
    """A short random suffix of lowercase letters and digits (chain answers' ids, SPEC 9.2)."""
    return "".join(_random.choices(_ALPHABET, k=length))


def chain_completion_id(unix_nanos: int) -> str:
    """`chatcmpl-<unix-nanos>-<4 chars>`: the answer of a chain's convert step (SPEC 9.3)."""
    return f"chatcmpl-{unix_nanos}-{random_suffix()}"


def chain_route_id(unix_seconds: int) -> str:
    """`<unix-seconds>-<4 chars>`: the answer of a chain's OpenAI route (SPEC 9.2)."""
    return f"{unix_seconds}-{random_suffix()}"
