"""Go-style durations (`300ms`, `30s`, `1m30s`, `1.5h`) as seconds. Pure."""

from __future__ import annotations

import re

from runtime import errors

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_MAX = 24 * 3600.0


def parse_duration(text: str, *, param: str = "leaseDuration") -> float:
    """Seconds in `text`; a malformed, zero or over-a-day duration is a 422 naming `param`."""
    raw = text.strip()
    position, total = 0, 0.0
    while position < len(raw):
        found = _PART.match(raw, position)
        if found is None:
            break
        total += float(found.group(1)) * _UNITS[found.group(2)]
        position = found.end()
    if not raw or position != len(raw):
        raise errors.InvalidInputError(
            f"{param} must be a duration such as 30s, 5m or 1h30m, got {text!r}", param=param
        )
    if not 0 < total <= _MAX:
        raise errors.InvalidInputError(
            f"{param} must be more than 0 and at most 24h, got {text!r}", param=param
        )
    return total
