"""The served OpenAPI document made true: error envelopes, statuses, streams, bodies, security.

Litestar infers paths, parameters and typed bodies from the handlers; `refine` then rewrites
the generated document once, in place: every error status an operation can give answers the
`{"error": {...}}` envelope (Ollama's `{"error": "..."}` under `/api/`), streaming routes say
`text/event-stream` (or NDJSON), routes that read raw bytes get their typed bodies, and each
operation gets its one-line summary from `runtime.api.operations`.
Pure: works on the document's dict.
"""

from __future__ import annotations

import copy
import functools
from http import HTTPStatus
from typing import Any

import msgspec

from runtime.api.chat_shapes import MessageOut
from runtime.api.errors import OLLAMA_PREFIX, ErrorEnvelope
from runtime.api.operations import OPERATIONS, Doc
from runtime.api.scopes import OPEN, required
from runtime.taskengine.schema import ChainDefinition
from runtime.wire import ollama as ow
from runtime.wire.openai import ChatRequest, Completion

_METHODS = ("get", "put", "post", "delete", "patch")
_REF = "#/components/schemas/{name}"
_BODY_ERRORS = (400, 413, 415, 422)  # malformed, too large, wrong media type, wrong shape
_QUERY_ERRORS = (400, 422)  # a malformed or out-of-range parameter
_PATH_ERRORS = (400, 404)  # a malformed or unknown id
_ALWAYS = (500,)  # an unexpected failure, logged, with a generic message
_YAML = ("application/yaml", "text/yaml", "application/x-yaml")

SECURITY_SCHEMES: dict[str, Any] = {
    "ApiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "The configured API token (RUNTIME_API_TOKEN).",
    },
    "Bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "The configured API token as `Authorization: Bearer <token>`.",
    },
}
_REQUIREMENT: list[dict[str, list[str]]] = [{"ApiKey": []}, {"Bearer": []}]


class OllamaError(ow.Error):
    """Ollama's error body, `{"error": "..."}`: every error of the `/api/` routes."""


_MEANING = {
    400: "The request is malformed (invalid JSON, a bad parameter).",
    401: "Missing, wrong, expired or revoked credential (only when a token is configured).",
    403: "The credential lacks the route's scope, or the entity may not be changed.",
    404: "The addressed entity (or model, or chain) does not exist.",
    409: "The change clashes with stored state (a duplicate name).",
    413: "The request body is larger than the server reads.",
    405: "Not offered by this server (the message names the route to use instead).",
    415: "The request body is in a media type the route does not read.",
    422: "A field has the wrong type or value; `param` names it.",
    429: "A configured limit was reached.",
    500: "An unexpected failure; the server logged it.",
    502: "A backend answered with something unusable.",
    503: "Nothing can serve the request right now; retrying later may succeed.",
}


@functools.cache
def _shapes() -> tuple[dict[str, Any], dict[str, Any]]:
    """The named schemas `Doc.body`/`Doc.answer` refer to, and the components they need."""
    refs, components = msgspec.json.schema_components(
        [
            ErrorEnvelope,
            OllamaError,
            ChainDefinition,
            ChatRequest,
            Completion,
            ow.ChatChunk,
            ow.Generated,
            MessageOut,
        ],
        ref_template=_REF,
    )
    envelope, ollama_error, chain, chat_request, chat, ollama_chat, generated, message = refs
    shapes = {
        "ErrorEnvelope": envelope,
        "OllamaError": ollama_error,
        "OllamaChat": ollama_chat,
        "OllamaGenerated": generated,
        "ChainDefinition": chain,
        "ChainList": {"type": "array", "items": chain},
        "ChatCompletionRequest": chat_request,
        "ChatCompletion": chat,
        "ChatMessage": message,
        "AnyJson": {},
        "Bytes": {"type": "string", "format": "binary"},
        "FileUpload": {
            "type": "object",
            "required": ["file"],
            "properties": {
                "file": {"type": "string", "format": "binary"},
                "name": {"type": "string"},
                "parentId": {"type": "string"},
                "metadata": {"type": "string", "description": "A JSON object."},
            },
        },
    }
    return shapes, components


def refine(document: dict[str, Any], *, secured: bool) -> None:
    """Rewrite a generated document in place (see the module docstring)."""
    shapes, components = _shapes()
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in components.items():
        schemas.setdefault(name, copy.deepcopy(schema))
    document["components"]["securitySchemes"] = copy.deepcopy(SECURITY_SCHEMES)
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is not None:
                doc = OPERATIONS.get(f"{method.upper()} {path}")
                guarded = secured and required(method.upper(), path) != OPEN
                _operation(operation, path, doc, shapes, secured=guarded)


def _operation(
    operation: dict[str, Any],
    path: str,
    doc: Doc | None,
    shapes: dict[str, Any],
    *,
    secured: bool,
) -> None:
    if doc is not None:
        operation["summary"] = doc.summary
        if doc.body == "FileUpload":
            content = {"multipart/form-data": {"schema": shapes[doc.body]}}
            operation["requestBody"] = {"required": True, "content": content}
        elif doc.body is not None:
            operation["requestBody"] = _body(shapes[doc.body])
    _yaml_alternatives(operation)
    responses = operation.setdefault("responses", {})
    for status in [code for code in responses if code[0] in "45"]:
        del responses[status]  # Litestar's own `{status_code, detail}` shape
    if doc is not None:
        _answers(responses, doc, shapes)
    operation["security"] = _REQUIREMENT if secured else []
    envelope = shapes["OllamaError" if path.startswith(OLLAMA_PREFIX) else "ErrorEnvelope"]
    for status in sorted(_statuses(operation, path, doc, secured=secured)):
        responses[str(status)] = _error(status, envelope)


def _statuses(operation: dict[str, Any], path: str, doc: Doc | None, *, secured: bool) -> set[int]:
    """The error statuses an operation can give: derived from its inputs, plus its own."""
    statuses = set(_ALWAYS)
    if secured:
        statuses.update((401, 403, 429))  # no credential, not its scope, its rate limit
    places = {parameter.get("in") for parameter in operation.get("parameters", ())}
    if "path" in places or "{" in path:
        statuses.update(_PATH_ERRORS)
    if "query" in places:
        statuses.update(_QUERY_ERRORS)
    if "requestBody" in operation:
        statuses.update(_BODY_ERRORS)
    if doc is not None:
        statuses.update(doc.errors)
    return statuses


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _yaml_alternatives(operation: dict[str, Any]) -> None:
    """Every JSON body may also be sent as YAML (`runtime.api.media`)."""
    content = operation.get("requestBody", {}).get("content", {})
    json_body = content.get("application/json")
    if json_body is not None:
        for media in _YAML:
            content.setdefault(media, copy.deepcopy(json_body))


def _answers(responses: dict[str, Any], doc: Doc, shapes: dict[str, Any]) -> None:
    success = next((code for code in responses if code.startswith("2")), None)
    if success is None:
        return
    content = responses[success].setdefault("content", {})
    if doc.answer == "Bytes":
        content.clear()
        content["*/*"] = {"schema": shapes[doc.answer]}  # the stored content type
    elif doc.answer is not None:
        content["application/json"] = {"schema": shapes[doc.answer]}
    elif doc.stream:
        content.clear()  # a stream only, never a JSON document
    if doc.stream == "ndjson":
        content["application/x-ndjson"] = {
            "schema": {"type": "string", "description": "One JSON object a line."}
        }
    elif doc.stream:
        content["text/event-stream"] = {
            "schema": {"type": "string", "description": "Server-sent events (`data: ...`)."}
        }


def _error(status: int, envelope: dict[str, Any]) -> dict[str, Any]:
    meaning = _MEANING.get(status, HTTPStatus(status).phrase)
    return {"description": meaning, "content": {"application/json": {"schema": envelope}}}


class Refined:
    """Refines the one document an app serves, once, however many renderers ask for it."""

    def __init__(self, *, secured: bool) -> None:
        self._secured = secured
        self._done: dict[str, Any] | None = None

    def __call__(self, document: dict[str, Any]) -> dict[str, Any]:
        if document is not self._done:
            refine(document, secured=self._secured)
            self._done = document
        return document
