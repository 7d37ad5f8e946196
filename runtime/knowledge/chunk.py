"""Split text into overlapping chunks, cut at paragraph, line or word breaks. Pure."""

from __future__ import annotations

import re

_SPACE = re.compile(r"[ \t\r\f\v]+")


def chunks(text: str, *, size: int = 1000, overlap: int = 150) -> list[str]:
    """Pieces of at most `size` characters; each starts `overlap` characters before the last end.

    A cut prefers a blank line, then a line break, then a space in the last third of a piece.
    """
    clean = _SPACE.sub(" ", text).strip()
    if not clean:
        return []
    pieces: list[str] = []
    start = 0
    while start < len(clean):
        end = min(start + size, len(clean))
        if end < len(clean):
            end = _break(clean, start + size * 2 // 3, end)
        piece = clean[start:end].strip()
        if piece:
            pieces.append(piece)
        if end >= len(clean):
            break
        start = max(end - overlap, start + 1)
        while start < end and not clean[start - 1].isspace():
            start += 1  # begin the overlap on a word
    return pieces


def _break(text: str, low: int, high: int) -> int:
    for mark in ("\n\n", "\n", " "):
        found = text.rfind(mark, low, high)
        if found > 0:
            return found + len(mark)
    return high
