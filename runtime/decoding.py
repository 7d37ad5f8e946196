"""Request bodies decoded the way clients of the reference API expect (SPEC 1.4), in one place.

Object keys match a Struct's wire names exactly or else case-insensitively (Go's
`encoding/json`: `baseURL` fills `baseUrl`), unknown keys are ignored, and the known fields
keep msgspec's strict checks (type, required, enum, range). Nesting deeper than `MAX_DEPTH` and
NUL characters are refused. Errors are `runtime.errors` with `param` naming the field. Pure.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

import msgspec
import msgspec.inspect as mi

from runtime import errors
from runtime.nul import JSON_NUL, contains_nul

T = TypeVar("T")
MAX_DEPTH = 64

# A plan rewrites one decoded value's keys to the wire names of its target type; it returns
# the value itself when nothing had to change. `None` stands for "leave the value as it is".
Plan = Callable[[Any], Any] | None
_PATH = re.compile(r" - at `\$\.?([^`]*)`$")
_MISSING = re.compile(r"^Object missing required field `([^`]+)`")


class Decoder(Generic[T]):
    """Decodes JSON text (or already decoded JSON values) into `T`, leniently about keys."""

    def __init__(self, target: type[T], *, label: str = "") -> None:
        self._typed = msgspec.json.Decoder(target)
        self._target = target
        self._plan = _plan_for(mi.type_info(target), {})
        self._label = label

    def decode(self, body: bytes) -> T:
        """Raises `BadRequestError` (not JSON, too deep, NUL) or `InvalidInputError` (shape)."""
        try:
            value = msgspec.json.decode(body or b"null")
        except msgspec.DecodeError as exc:
            raise errors.BadRequestError(f"invalid json: {exc}") from None
        except RecursionError:
            raise _too_deep() from None
        normal = self._normalise(value, nul=JSON_NUL in body, brackets=_brackets(body))
        try:
            if normal is value:
                return self._typed.decode(body or b"null")
            return self._typed.decode(msgspec.json.encode(normal))
        except msgspec.ValidationError as exc:
            raise self._invalid(exc) from None

    def convert(self, value: Any) -> T:
        """`decode` for a value already decoded (and checked for depth and NUL) as JSON."""
        normal = value if self._plan is None else self._plan(value)
        try:
            return msgspec.convert(normal, self._target)
        except msgspec.ValidationError as exc:
            raise self._invalid(exc) from None

    def _normalise(self, value: Any, *, nul: bool, brackets: int) -> Any:
        if brackets > MAX_DEPTH or nul:
            _scan(value, nul=nul)
        return value if self._plan is None else self._plan(value)

    def _invalid(self, exc: msgspec.ValidationError) -> errors.InvalidInputError:
        text = str(exc)
        prefix = f"{self._label}: " if self._label else ""
        return errors.InvalidInputError(prefix + text, param=error_param(text))


def decoder(target: type[T], label: str = "") -> Decoder[T]:
    """The one decoder for a type (built once: plans and msgspec decoders are reused)."""
    return cast("Decoder[T]", _cached(cast("Any", target), label))


@functools.cache
def _cached(target: type[Any], label: str) -> Decoder[Any]:
    return Decoder(target, label=label)


def error_param(text: str) -> str | None:
    """The field a msgspec validation message is about (`tasks[0].handler`), if any."""
    found = _PATH.search(text)
    path = found.group(1) if found else ""
    missing = _MISSING.match(text)
    if missing:
        path = f"{path}.{missing.group(1)}" if path else missing.group(1)
    return path or None


def _too_deep() -> errors.BadRequestError:
    return errors.BadRequestError(f"invalid json: nested deeper than {MAX_DEPTH} levels")


def _brackets(body: bytes) -> int:
    """An upper bound of the nesting depth, without a parse (`[` and `{` inside strings count)."""
    return body.count(b"{") + body.count(b"[")


def _scan(value: Any, *, nul: bool) -> None:
    """Refuse nesting deeper than `MAX_DEPTH` and (when `nul`) NUL in any string or key."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > MAX_DEPTH:
                raise _too_deep()
            if nul and any(contains_nul(key) for key in item):
                raise _nul_error()
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            if depth > MAX_DEPTH:
                raise _too_deep()
            stack.extend((child, depth + 1) for child in item)
        elif nul and isinstance(item, str) and contains_nul(item):
            raise _nul_error()


def _nul_error() -> errors.BadRequestError:
    return errors.BadRequestError("invalid input: NUL characters (\\u0000) are not accepted")


def _plan_for(info: mi.Type, seen: dict[type, Any]) -> Plan:
    if isinstance(info, mi.Metadata):
        return _plan_for(info.type, seen)
    if isinstance(info, mi.StructType):
        return _struct_plan(info, seen)
    if isinstance(info, mi.ListType | mi.VarTupleType | mi.SetType | mi.FrozenSetType):
        return _list_plan(_plan_for(info.item_type, seen))
    if isinstance(info, mi.DictType):
        return _dict_plan(_plan_for(info.value_type, seen))
    if isinstance(info, mi.UnionType):
        return _union_plan([_plan_for(member, seen) for member in info.types], info.types)
    return None


def _struct_plan(info: mi.StructType, seen: dict[type, Any]) -> Plan:
    if info.cls in seen:  # a recursive type: its plan, once built

        def later(value: Any) -> Any:
            return seen[info.cls](value)

        return later
    children: dict[str, Plan] = {}
    lower: dict[str, str] = {}
    seen[info.cls] = None
    for field in info.fields:
        children[field.encode_name] = _plan_for(field.type, seen)
        lower.setdefault(field.encode_name.lower(), field.encode_name)

    def plan(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        renamed: dict[str, Any] | None = None
        for key, item in value.items():
            name = key if key in children else lower.get(key.lower())
            if name is None:
                continue  # unknown keys are ignored
            child = children[name]
            new = item if child is None else child(item)
            if name != key or new is not item:
                renamed = renamed if renamed is not None else {}
                renamed[key] = (name, new)
        if renamed is None:
            return value
        return _rebuilt(value, renamed)

    seen[info.cls] = plan
    return plan


def _rebuilt(value: dict[str, Any], renamed: dict[str, tuple[str, Any]]) -> dict[str, Any]:
    """The object with keys renamed; an exact key wins over a case-insensitive one."""
    result = {key: item for key, item in value.items() if key not in renamed}
    for key, (name, item) in renamed.items():
        if name == key:
            result[name] = item
        elif name not in value:
            result.setdefault(name, item)
    return result


def _list_plan(child: Plan) -> Plan:
    if child is None:
        return None

    def plan(value: Any) -> Any:
        if not isinstance(value, list):
            return value
        items = [child(item) for item in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items

    return plan


def _dict_plan(child: Plan) -> Plan:
    if child is None:
        return None

    def plan(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        items = {key: child(item) for key, item in value.items()}
        return value if all(items[k] is v for k, v in value.items()) else items

    return plan


def _union_plan(plans: list[Plan], members: tuple[mi.Type, ...]) -> Plan:
    """The first member's plan for an object and the first for an array."""
    objects = next((p for p, m in zip(plans, members, strict=True) if p and _is_object(m)), None)
    arrays = next((p for p, m in zip(plans, members, strict=True) if p and not _is_object(m)), None)
    if objects is None and arrays is None:
        return None

    def plan(value: Any) -> Any:
        if isinstance(value, dict) and objects is not None:
            return objects(value)
        if isinstance(value, list) and arrays is not None:
            return arrays(value)
        return value

    return plan


def _is_object(info: mi.Type) -> bool:
    while isinstance(info, mi.Metadata):
        info = info.type
    return isinstance(info, mi.StructType | mi.DictType)
