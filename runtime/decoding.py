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
from runtime.nul import JSON_NUL, contains_nul, escape_nul

T = TypeVar("T")
MAX_DEPTH = 64

# A plan rewrites one decoded value (at a depth) to the wire names of its target type and
# checks its depth; it returns the value itself when nothing had to change.
Plan = Callable[[Any, int], Any]
_PATH = re.compile(r" - at `\$\.?([^`]*)`$")
_MISSING = re.compile(r"^Object missing required field `([^`]+)`")


class Decoder(Generic[T]):
    """Decodes JSON text (or already decoded JSON values) into `T`, leniently about keys."""

    def __init__(self, target: type[T], *, label: str = "", keep_nul: bool = False) -> None:
        self._target = target
        self._plan = _plan_for(mi.type_info(target), {})
        self._label = label
        self._keep_nul = keep_nul

    def decode(self, body: bytes) -> T:
        """Raises `BadRequestError` (not JSON, too deep, NUL) or `InvalidInputError` (shape)."""
        try:
            value = msgspec.json.decode(body or b"null")
        except msgspec.DecodeError as exc:
            raise errors.BadRequestError(f"invalid json: {exc}") from None
        except RecursionError:
            raise _too_deep() from None
        if JSON_NUL in body:
            value = escape_nul(value) if self._keep_nul else _refuse_nul(value)
        return self._converted(self._plan(value, 0))

    def convert(self, value: Any) -> T:
        """`decode` for a value already decoded as JSON (a dict, a list, a scalar)."""
        return self._converted(self._plan(value, 0))

    def _converted(self, value: Any) -> T:
        try:
            return msgspec.convert(value, self._target)
        except msgspec.ValidationError as exc:
            text = str(exc)
            prefix = f"{self._label}: " if self._label else ""
            raise errors.InvalidInputError(prefix + text, param=error_param(text)) from None


def decoder(target: type[T], label: str = "", *, keep_nul: bool = False) -> Decoder[T]:
    r"""The one decoder for a type (built once: plans are reused).

    `keep_nul`: NUL in strings is kept as the text `\u0000` instead of being refused (for
    payloads stored as received, which PostgreSQL could not hold with a NUL).
    """
    return cast("Decoder[T]", _cached(cast("Any", target), label, keep_nul))


@functools.cache
def _cached(target: type[Any], label: str, keep_nul: bool) -> Decoder[Any]:  # noqa: FBT001
    return Decoder(target, label=label, keep_nul=keep_nul)


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


def _refuse_nul(value: Any) -> Any:
    """The value, unless a string or key in it holds NUL."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if any(contains_nul(key) for key in item):
                raise _nul_error()
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and contains_nul(item):
            raise _nul_error()
    return value


def _nul_error() -> errors.BadRequestError:
    return errors.BadRequestError("invalid input: NUL characters (\\u0000) are not accepted")


def _free(value: Any, depth: int) -> Any:
    """A value of no fixed shape (`Any`): only its depth is checked."""
    kind = type(value)
    if kind is dict:
        if depth >= MAX_DEPTH:
            raise _too_deep()
        for item in value.values():
            if type(item) in _CONTAINERS:
                _free(item, depth + 1)
    elif kind is list:
        if depth >= MAX_DEPTH:
            raise _too_deep()
        for item in value:
            if type(item) in _CONTAINERS:
                _free(item, depth + 1)
    return value


_CONTAINERS = frozenset({dict, list})


def _scalar(value: Any, depth: int) -> Any:
    """A value msgspec checks on its own (a container there is refused by its type)."""
    return value


def _raw(value: Any, depth: int) -> Any:
    """`msgspec.Raw` fields (passed through untouched) hold their JSON text."""
    return msgspec.Raw(msgspec.json.encode(_free(value, depth)))


_SCALARS = (
    mi.StrType
    | mi.IntType
    | mi.FloatType
    | mi.BoolType
    | mi.NoneType
    | mi.DateTimeType
    | mi.DateType
    | mi.TimeType
    | mi.EnumType
    | mi.LiteralType
    | mi.UUIDType
    | mi.DecimalType
)


def _plan_for(info: mi.Type, seen: dict[type, Any]) -> Plan:  # noqa: PLR0911 - one per kind
    if isinstance(info, mi.Metadata):
        return _plan_for(info.type, seen)
    if isinstance(info, mi.StructType):
        return _struct_plan(info, seen)
    if isinstance(info, mi.ListType | mi.VarTupleType | mi.SetType | mi.FrozenSetType):
        return _list_plan(_plan_for(info.item_type, seen))
    if isinstance(info, mi.DictType):
        return _dict_plan(_plan_for(info.value_type, seen))
    if isinstance(info, mi.UnionType):
        return _union_plan([(_plan_for(m, seen), m) for m in info.types])
    if isinstance(info, mi.RawType):
        return _raw
    if isinstance(info, _SCALARS):
        return _scalar
    return _free


def _struct_plan(info: mi.StructType, seen: dict[type, Any]) -> Plan:
    if info.cls in seen:  # a recursive type: its plan, once built

        def later(value: Any, depth: int) -> Any:
            return seen[info.cls](value, depth)

        return later
    seen[info.cls] = None
    children = {f.encode_name: _plan_for(f.type, seen) for f in info.fields}
    known = frozenset(children)
    # fields whose values may hold something to rename or measure; Raw ones always change
    nested = tuple((n, c, c is _raw) for n, c in children.items() if c is not _scalar)
    lower: dict[str, str] = {}
    for name in children:
        lower.setdefault(name.lower(), name)

    def plan(value: Any, depth: int) -> Any:
        if type(value) is not dict:
            return value
        if depth >= MAX_DEPTH:
            raise _too_deep()
        if known.issuperset(value):  # the usual case: every key spelled as we spell it
            return _checked(value, nested, depth)
        return _renamed(value, children, lower, depth)

    seen[info.cls] = plan
    return plan


_ABSENT = object()


def _checked(value: dict[str, Any], nested: tuple[tuple[str, Plan, bool], ...], depth: int) -> Any:
    """An object whose keys are all spelled right: only its nested values are planned."""
    changed: dict[str, Any] | None = None
    for name, child, always in nested:
        item = value.get(name, _ABSENT)
        if item is _ABSENT or not (always or type(item) in _CONTAINERS):
            continue
        new = child(item, depth + 1)
        if new is not item:
            changed = changed if changed is not None else dict(value)
            changed[name] = new
    return value if changed is None else changed


def _renamed(
    value: dict[str, Any], children: dict[str, Plan], lower: dict[str, str], depth: int
) -> dict[str, Any]:
    """The object with its keys spelled as the Struct does; an exact key wins over another."""
    result: dict[str, Any] = {}
    for key, item in value.items():
        name = key if key in children else lower.get(key.lower())
        if name is None or (name != key and name in value):
            continue  # unknown keys are ignored
        result[name] = children[name](item, depth + 1)
    return result


def _list_plan(child: Plan) -> Plan:
    def plan(value: Any, depth: int) -> Any:
        if not isinstance(value, list):
            return value
        if depth >= MAX_DEPTH:
            raise _too_deep()
        changed: list[Any] | None = None
        for index, item in enumerate(value):
            new = child(item, depth + 1)
            if new is not item:
                changed = changed if changed is not None else list(value)
                changed[index] = new
        return value if changed is None else changed

    return _scalar if child is _scalar else plan


def _dict_plan(child: Plan) -> Plan:
    def plan(value: Any, depth: int) -> Any:
        if not isinstance(value, dict):
            return value
        if depth >= MAX_DEPTH:
            raise _too_deep()
        changed: dict[str, Any] | None = None
        for key, item in value.items():
            new = child(item, depth + 1)
            if new is not item:
                changed = changed if changed is not None else dict(value)
                changed[key] = new
        return value if changed is None else changed

    return _scalar if child is _scalar else plan


def _union_plan(members: list[tuple[Plan, mi.Type]]) -> Plan:
    """The first object-like member's plan for an object, the first array-like one's for an array.

    A value no member can hold is left to msgspec, which refuses it.
    """
    objects = next((p for p, m in members if _is_object(m)), _scalar)
    arrays = next((p for p, m in members if _is_array(m)), _scalar)
    if objects is _scalar and arrays is _scalar:
        return _scalar  # `str | None` and the like: nothing inside to rename or measure

    def plan(value: Any, depth: int) -> Any:
        if isinstance(value, dict):
            return objects(value, depth)
        if isinstance(value, list):
            return arrays(value, depth)
        return value

    return plan


def _is_object(info: mi.Type) -> bool:
    while isinstance(info, mi.Metadata):
        info = info.type
    return isinstance(info, mi.StructType | mi.DictType | mi.AnyType)


def _is_array(info: mi.Type) -> bool:
    while isinstance(info, mi.Metadata):
        info = info.type
    return isinstance(
        info, mi.ListType | mi.VarTupleType | mi.SetType | mi.FrozenSetType | mi.AnyType
    )
