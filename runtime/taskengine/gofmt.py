"""Go `%v` rendering of engine values, used by templates, `string` conversion and the trace.

The reference is a Go server; clients see values printed the way Go's fmt prints them
(`3.5`, `1e+06`, `map[a:1 b:2]`, `[a b]`, `<nil>`). Pure.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec

_EXPONENT_LIMIT = 6  # Go %v (strconv "g", shortest) switches to exponent form at 1e6
_SMALL_EXPONENT = -4


def _special(value: float) -> str | None:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    return None


def go_float(value: float) -> str:
    """Render a float like Go's `%v` (strconv "g", shortest digits)."""
    special = _special(value)
    if special is not None:
        return special
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    exp = len(digits) + int(exponent) - 1
    prefix = "-" if sign else ""
    if exp < _SMALL_EXPONENT or exp >= _EXPONENT_LIMIT:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        body = f"{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    elif exp < 0:
        body = f"0.{'0' * (-exp - 1)}{text}"
    elif len(text) <= exp + 1:
        body = text + "0" * (exp + 1 - len(text))
    else:
        body = f"{text[: exp + 1]}.{text[exp + 1 :]}"
    return prefix + body


def _go_bool(value: bool) -> str:  # noqa: FBT001
    return "true" if value else "false"


def _go_map(value: dict[Any, Any]) -> str:
    items = sorted(value.items(), key=lambda kv: str(kv[0]))
    return "map[" + " ".join(f"{go_value(k)}:{go_value(v)}" for k, v in items) + "]"


def _go_list(value: list[Any] | tuple[Any, ...]) -> str:
    return "[" + " ".join(go_value(v) for v in value) + "]"


def _go_struct(value: msgspec.Struct) -> str:
    fields = (getattr(value, f) for f in value.__struct_fields__)
    return "{" + " ".join(go_value(v) for v in fields) + "}"


_RENDERERS: tuple[tuple[type | tuple[type, ...], Callable[[Any], str]], ...] = (
    (bool, _go_bool),
    (str, str),
    (int, str),
    (float, go_float),
    (dict, _go_map),
    ((list, tuple), _go_list),
    (msgspec.Struct, _go_struct),
)


def go_value(value: Any) -> str:
    """Render any engine value like Go's `%v`."""
    if value is None:
        return "<nil>"
    for kind, renderer in _RENDERERS:
        if isinstance(value, kind):
            return renderer(value)
    return str(value)
