"""Keywords of a chunk by term frequency, without a model: stop words and numbers out. Pure."""

from __future__ import annotations

import re
from collections import Counter

WORD = re.compile(r"\w+", re.UNICODE)
MAX_KEYWORD = 64
_STOP_WORDS = """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself no nor not now of off on once only or other our ours out
    over own same she should so some such than that the their theirs them then there these they
    this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours also may might must shall der die das und ist le la
    les des et est el los las y
"""
_STOP = frozenset(_STOP_WORDS.split())


def words(text: str) -> list[str]:
    """The lower-cased words of `text`."""
    return [w.lower() for w in WORD.findall(text)]


def query_terms(text: str, *, limit: int = 32) -> list[str]:
    """The distinct words a keyword search looks for: stop words out, unless nothing else is left.

    A stop word is in almost every chunk: in an OR query it adds almost nothing to the ranking
    but makes the full text search score nearly every chunk.
    """
    found = list(dict.fromkeys(w for w in words(text) if len(w) <= MAX_KEYWORD))
    meaningful = [w for w in found if w not in _STOP]
    return (meaningful or found)[:limit]


def keywords(text: str, *, limit: int = 8) -> list[str]:
    """The most frequent meaningful words of `text`, most frequent first (ties by first seen)."""
    counts = Counter(
        w
        for w in words(text)
        if len(w) > 2 and w not in _STOP and not w.isdigit() and len(w) <= MAX_KEYWORD  # noqa: PLR2004
    )
    return [w for w, _ in counts.most_common(limit)]
