"""Pure: a hook's OpenAPI v3 document → its operations, and operations → OpenAI function tools.

No I/O. Local `#/...` references are inlined; external references are left as they are.
"""

from __future__ import annotations

import re
from typing import Any

from runtime.hooks.types import Operation, Parameter

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
EXCLUDED_PATHS = frozenset({"/health", "/healthz", "/ready", "/readyz", "/metrics"})
_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]+")
_SEPARATOR = "/n"  # the reference joins description and summary with a literal slash-n
_MAX_REF_DEPTH = 16
PARAM_LOCATIONS = frozenset({"path", "query", "header", "cookie"})


def injection_location(location: str) -> str:
    """Where an injected argument goes: path, query or header as given; anything else is body."""
    return location if location in ("path", "query", "header") else "body"


def operations(document: Any) -> list[Operation]:
    """Every tool a document offers, ordered by path then method; health-like paths excluded."""
    paths = document.get("paths") if isinstance(document, dict) else None
    if not isinstance(paths, dict):
        return []
    found: list[Operation] = []
    for path in sorted(paths):
        item = paths[path]
        if not isinstance(item, dict) or path.lower() in EXCLUDED_PATHS:
            continue
        shared = _parameters(document, item.get("parameters"))
        for method in METHODS:
            spec = item.get(method.lower())
            if isinstance(spec, dict):
                operation = _operation(document, path, method, spec, shared)
                if operation is not None:
                    found.append(operation)
    return found


def tool_name(path: str, method: str, spec: dict[str, Any]) -> str | None:
    """operationId, else a valid `x-tool-name` (invalid: None), else `<last segment>_<method>`."""
    operation_id = spec.get("operationId")
    if isinstance(operation_id, str) and operation_id:
        return operation_id
    custom = spec.get("x-tool-name")
    if custom is not None:
        valid = isinstance(custom, str) and _TOOL_NAME.fullmatch(custom)
        return custom if valid else None
    return f"{path.rstrip('/').rsplit('/', 1)[-1]}_{method.lower()}"


def description(spec: dict[str, Any]) -> str:
    text, summary = str(spec.get("description") or ""), str(spec.get("summary") or "")
    return f"{text}{_SEPARATOR}{summary}" if text else summary


def find(document: Any, name: str) -> Operation | None:
    return next((op for op in operations(document) if op.tool_name == name), None)


def parameters_schema(
    operation: Operation, injected_name: str = "", injected_in: str = ""
) -> dict[str, Any] | None:
    """The JSON schema of a tool's arguments; None when it takes none.

    Path and query parameters, plus the top-level properties of a JSON object body; an
    argument the hook injects (same name and location) is hidden from the model.
    """
    location = injection_location(injected_in) if injected_name else ""
    properties: dict[str, Any] = {}
    required: set[str] = set()
    for param in operation.parameters:
        if param.location not in ("path", "query"):
            continue
        if param.name == injected_name and param.location == location:
            continue
        properties[param.name] = param.schema
        if param.required:
            required.add(param.name)
    body = operation.body_schema if operation.sends_body else None
    if body is not None:
        hidden = injected_name if location == "body" else None
        properties |= {k: v for k, v in _object_properties(body).items() if k != hidden}
        required.update(
            name for name in body.get("required") or () if name in properties and name != hidden
        )
    if not properties:
        return None
    return {"type": "object", "properties": properties, "required": sorted(required)}


def function_tool(
    operation: Operation, name: str, injected_name: str = "", injected_in: str = ""
) -> dict[str, Any]:
    """An OpenAI function tool for `operation`, offered under `name`."""
    function: dict[str, Any] = {"name": name, "description": operation.description}
    schema = parameters_schema(operation, injected_name, injected_in)
    if schema is not None:
        function["parameters"] = schema
    return {"type": "function", "function": function}


def _operation(
    document: dict[str, Any],
    path: str,
    method: str,
    spec: dict[str, Any],
    shared: dict[tuple[str, str], Parameter],
) -> Operation | None:
    name = tool_name(path, method, spec)
    if name is None:
        return None
    params = shared | _parameters(document, spec.get("parameters"))
    body = _resolve(document, spec.get("requestBody"))
    return Operation(
        tool_name=name,
        method=method,
        path=path,
        description=description(spec),
        parameters=tuple(params.values()),
        has_body=isinstance(body, dict),
        body_schema=_json_body(body),
    )


def _parameters(document: dict[str, Any], raw: Any) -> dict[tuple[str, str], Parameter]:
    found: dict[tuple[str, str], Parameter] = {}
    for entry in raw if isinstance(raw, list) else ():
        param = _resolve(document, entry)
        if not isinstance(param, dict):
            continue
        name, location = param.get("name"), param.get("in")
        if not isinstance(name, str) or location not in PARAM_LOCATIONS:
            continue
        schema = _resolve(document, param.get("schema"))
        schema = dict(schema) if isinstance(schema, dict) else {"type": "string"}
        if param.get("description") and "description" not in schema:
            schema["description"] = param["description"]
        required = location == "path" or param.get("required") is True
        found[(location, name)] = Parameter(
            name=name, location=location, required=required, schema=schema
        )
    return found


def _json_body(body: Any) -> dict[str, Any] | None:
    if not isinstance(body, dict) or not isinstance(body.get("content"), dict):
        return None
    media = body["content"].get("application/json")
    schema = media.get("schema") if isinstance(media, dict) else None
    if not isinstance(schema, dict) or not _object_properties(schema):
        return None
    return schema


def _object_properties(schema: dict[str, Any]) -> dict[str, Any]:
    if schema.get("type", "object") != "object":
        return {}
    properties = schema.get("properties")
    return properties if isinstance(properties, dict) else {}


def _resolve(document: dict[str, Any], node: Any, seen: frozenset[str] = frozenset()) -> Any:
    """`node` with every local reference inlined (a reference cycle or deep chain ends in `{}`)."""
    if isinstance(node, list):
        return [_resolve(document, item, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        if ref in seen or len(seen) >= _MAX_REF_DEPTH:
            return {}
        return _resolve(document, _pointer(document, ref), seen | {ref})
    return {key: _resolve(document, value, seen) for key, value in node.items()}


def _pointer(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref[2:].split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or key not in node:
            return {}
        node = node[key]
    return node
