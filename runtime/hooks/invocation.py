"""Pure: the HTTP request for one call of a hook operation, built from the call's arguments.

Spec parameters are taken from the arguments by location, the hook's injected argument and
headers are applied, and what remains becomes the JSON body of POST/PUT/PATCH operations.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import quote

import msgspec

from runtime.hooks.openapi import injection_location
from runtime.hooks.types import Operation, RemoteHook

_PLAIN_BELOW = 1e21  # integral floats up to here print without an exponent


class Invocation(msgspec.Struct, frozen=True, kw_only=True):
    """An HTTP request ready to send; `headers` may hold credentials (never log them)."""

    method: str
    url: str
    params: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any] | None = None


def go_string(value: Any) -> str:
    """`value` as text, close to Go's `%v` of the decoded JSON value (null: `<nil>`).

    Unlike Go, integral numbers never switch to exponent form (`1000000`, not `1e+06`).
    """
    if value is None:
        text = "<nil>"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        whole = math.isfinite(value) and value.is_integer() and abs(value) < _PLAIN_BELOW
        text = str(int(value)) if whole else repr(value)
    elif isinstance(value, str | int):
        text = str(value)
    else:
        text = json.dumps(value, separators=(",", ":"))
    return text


def build(hook: RemoteHook, operation: Operation, arguments: dict[str, Any]) -> Invocation:
    """The request for `operation` with `arguments` (the hook's injection overrides them)."""
    remaining = dict(arguments)
    injected = hook.properties
    location = injection_location(injected.location) if injected.name else ""
    if location == "body":
        remaining[injected.name] = go_string(injected.value)
    elif location:
        remaining.pop(injected.name, None)
    path, params = _take_parameters(operation, remaining)
    headers = dict(hook.headers)
    value = go_string(injected.value)
    if location == "path":
        path = _substitute(path, injected.name, value)
    elif location == "query":
        params[injected.name] = value
    elif location == "header":
        headers[injected.name] = value
    headers["Accept"] = "application/json"
    body = remaining if operation.sends_body and remaining else None
    if body is not None:
        headers["Content-Type"] = "application/json"
    return Invocation(
        method=operation.method,
        url=hook.endpoint_url.rstrip("/") + path,
        params=params,
        headers=headers,
        body=body,
    )


def _take_parameters(operation: Operation, remaining: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """Move the operation's declared parameters out of `remaining` into the path and query.

    Header and cookie parameters are removed and not sent.
    """
    path, params = operation.path, {}
    for param in operation.parameters:
        if param.name not in remaining:
            continue
        value = remaining.pop(param.name)
        if param.location == "path":
            path = _substitute(path, param.name, go_string(value))
        elif param.location == "query":
            params[param.name] = go_string(value)
    return path, params


def _substitute(path: str, name: str, value: str) -> str:
    return path.replace("{" + name + "}", quote(value, safe=""))
