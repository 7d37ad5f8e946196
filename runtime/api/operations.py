"""What the OpenAPI document says about each operation beyond what Litestar infers.

One line of text per operation, the error statuses its service can raise on top of those
`runtime.api.openapi` derives from its inputs, and the bodies read by hand. Pure data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Doc:
    """One operation: its summary, its extra error statuses, and what it reads or streams.

    `body` and `answer` name a schema in `runtime.api.openapi.SHAPES` for routes that read
    or write raw bytes; `stream` marks a streamed answer (always or on request): True for
    `text/event-stream`, `"ndjson"` for `application/x-ndjson` (one JSON object a line).
    """

    summary: str
    errors: tuple[int, ...] = ()
    body: str | None = None
    answer: str | None = None
    stream: bool | Literal["ndjson"] = False


_WRITE = (409, 429)  # a duplicate name, a row cap reached
_LLM = (404, 502, 503)  # unknown model or chain, a backend's bad answer, nobody can serve it
_MANAGED = (405,)  # Ollama's model management: refused, naming our routes

OPERATIONS: dict[str, Doc] = {
    "GET /files": Doc("List the files and folders under a path"),
    "POST /files": Doc(
        "Upload a file (multipart) and queue its indexing", (404, 409), body="FileUpload"
    ),
    "GET /files/{file_id}": Doc("Get a file with its indexing state"),
    "PUT /files/{file_id}": Doc(
        "Replace a file's content (multipart) and index it again", body="FileUpload"
    ),
    "GET /files/{file_id}/download": Doc("Download a file's content", answer="Bytes"),
    "PUT /files/{file_id}/move": Doc("Move a file into another folder", (409,)),
    "PUT /files/{file_id}/name": Doc("Rename a file", (409,)),
    "DELETE /files/{file_id}": Doc("Delete a file and its chunks"),
    "POST /folders": Doc("Create a folder", (404, 409)),
    "PUT /folders/{folder_id}/move": Doc("Move a folder (not into itself)", (409,)),
    "PUT /folders/{folder_id}/name": Doc("Rename a folder", (409,)),
    "DELETE /folders/{folder_id}": Doc("Delete a folder with everything in it"),
    "GET /jobs/pending": Doc("List the jobs a leaser could take now"),
    "GET /jobs/in-progress": Doc("List the jobs under a running lease"),
    "PATCH /jobs/{job_id}/done": Doc("Finish a leased job", (409,)),
    "PATCH /jobs/{job_id}/failed": Doc("Fail a leased job (retried until out of attempts)", (409,)),
    "POST /index": Doc(
        "Store an external worker's chunks of a file it holds the job of", (*_LLM, 409)
    ),
    "GET /search": Doc("Search indexed chunks (hybrid, vector or keyword)", (503,)),
    "GET /keywords": Doc("List the keywords extracted from indexed chunks"),
    "POST /leases": Doc("Lease the oldest due job of the given types (204: none)"),
    "POST /backend-affinity/{group_id}/backends/{backend_id}": Doc(
        "Add a backend to a group", (404, 409)
    ),
    "DELETE /backend-affinity/{group_id}/backends/{backend_id}": Doc(
        "Remove a backend from a group"
    ),
    "GET /backend-affinity/{group_id}/groups": Doc("List the groups a backend belongs to"),
    "GET /backend-affinity/{group_id}/backends": Doc("List the backends of a group"),
    "GET /backends": Doc("List backends with their observed state"),
    "POST /backends": Doc("Register a backend", _WRITE),
    "GET /backends/{backend_id}": Doc("Get a backend with its observed state"),
    "PUT /backends/{backend_id}": Doc("Update a backend", (409,)),
    "DELETE /backends/{backend_id}": Doc("Delete a backend"),
    "POST /openai/{chain_id}/v1/chat/completions": Doc(
        "Answer an OpenAI chat request with a stored chain",
        _LLM,
        body="ChatCompletionRequest",
        answer="ChatCompletion",
        stream=True,
    ),
    "GET /openai/{chain_id}/v1/models": Doc("List models in OpenAI's format (chain route)"),
    "GET /taskchains/{chain_id}": Doc("Get a task chain", answer="ChainDefinition"),
    "PUT /taskchains/{chain_id}": Doc(
        "Replace a task chain", body="ChainDefinition", answer="ChainDefinition"
    ),
    "DELETE /taskchains/{chain_id}": Doc("Delete a task chain"),
    "GET /taskchains": Doc("List task chains", answer="ChainList"),
    "POST /chats": Doc(
        "Create a chat of the caller's on a chain (default `chat`), or grounded in a knowledge "
        "folder (`path`: default chain `rag`, retrieval confined to the folder)"
    ),
    "GET /chats": Doc("List the chats the caller may view (own or shared), newest first"),
    "GET /chats/{chat_id}": Doc(
        "Get a chat with its history (answers with their sources) and latest failed turns"
    ),
    "DELETE /chats/{chat_id}": Doc("Delete a chat and its history"),
    "POST /chats/{chat_id}/chat": Doc(
        "Send a message: the chain answers with the chat's history (JSON, or events when "
        "streamed: start, delta, done with the sources retrieved, or error)",
        (409, *_LLM),
        answer="ChatMessage",
        stream=True,
    ),
    "POST /chats/{chat_id}/instruction": Doc("Add a system instruction for every later turn"),
    "POST /chats/{chat_id}/messages/{message_id}/feedback": Doc("Rate an answer (up or down)"),
    "POST /telegram-frontends": Doc("Connect a Telegram bot to a chain"),
    "GET /telegram-frontends": Doc("List Telegram frontends (tokens masked)"),
    "GET /telegram-frontends/{frontend_id}": Doc("Get a Telegram frontend and its poller state"),
    "PUT /telegram-frontends/{frontend_id}": Doc("Update a Telegram frontend"),
    "DELETE /telegram-frontends/{frontend_id}": Doc("Delete a Telegram frontend"),
    "GET /telegram-frontends/users/{user_id}": Doc("List a user's Telegram frontends"),
    "POST /taskchains": Doc(
        "Create or replace a task chain", _WRITE, body="ChainDefinition", answer="ChainDefinition"
    ),
    "POST /events": Doc("Append a domain event", (409,)),
    "GET /events/type": Doc("List events of one type in a time range"),
    "DELETE /events/type": Doc("Delete the events of one type"),
    "GET /events/types": Doc("List the event types seen"),
    "GET /events/aggregate": Doc("List the events of one aggregate"),
    "GET /events/source": Doc("List the events from one source"),
    "GET /events/stream/{event_type}": Doc("Stream new events of one type", stream=True),
    "POST /embed": Doc("Embed a text with the default embedding model", _LLM),
    "POST /execute": Doc("Answer one prompt with the default task model", _LLM),
    "GET /defaultmodel": Doc("Get the default embedding model"),
    "POST /executor/sync": Doc("Reload the function triggers now"),
    "GET /functions": Doc("List functions"),
    "POST /functions": Doc("Create a function (its code is compile-checked)", _WRITE),
    "GET /functions/{name}": Doc("Get a function"),
    "PUT /functions/{name}": Doc("Update a function"),
    "DELETE /functions/{name}": Doc("Delete a function"),
    "GET /functions/{name}/runs": Doc("List a function's recent runs"),
    "GET /group-by-name/{name}": Doc("Get a group by name"),
    "GET /group-by-purpose/{purpose}": Doc("List the groups of one purpose"),
    "GET /groups": Doc("List groups"),
    "POST /groups": Doc("Create a group", _WRITE),
    "GET /groups/{group_id}": Doc("Get a group"),
    "PUT /groups/{group_id}": Doc("Update a group", (403, 409)),
    "DELETE /groups/{group_id}": Doc("Delete a group", (403,)),
    "GET /hooks/remote": Doc("List remote hooks", (404,)),  # a malformed limit, as the reference
    "POST /hooks/remote": Doc("Register a remote hook", _WRITE),
    "GET /hooks/remote/{hook_id}": Doc("Get a remote hook"),
    "PUT /hooks/remote/{hook_id}": Doc("Update a remote hook", (409,)),
    "DELETE /hooks/remote/{hook_id}": Doc("Delete a remote hook"),
    "GET /hooks/remote/by-name/{name}": Doc("Get a remote hook by name"),
    "GET /hooks/schemas": Doc("List the tool schemas of every hook", (502, 503)),
    "POST /keys": Doc("Create an API key (its secret is answered once)", _WRITE),
    "GET /keys": Doc("List API keys (never their secrets)"),
    "DELETE /keys/{key_id}": Doc("Revoke an API key on every replica", (404,)),
    "POST /users": Doc("Create a user (admin)", _WRITE),
    "GET /users": Doc("List users (admin)"),
    "GET /users/{user_id}": Doc("Get a user (admin)"),
    "PUT /users/{user_id}": Doc("Update a user; a new password revokes its tokens", (409,)),
    "DELETE /users/{user_id}": Doc("Delete a user, revoking its tokens"),
    "POST /register": Doc("Register as a user (when self-registration is enabled)", (403, 409)),
    "POST /login": Doc("Log in with email and password for an access token", (401, 429)),
    "POST /token_refresh": Doc("Exchange a valid access token for a fresh one", (401,)),
    "POST /ui/login": Doc("Log in a browser session (an HttpOnly cookie)", (401, 429)),
    "POST /ui/register": Doc("Register and log in a browser session", (403, 409, 429)),
    "POST /ui/token_refresh": Doc("Renew the browser session's token", (401,)),
    "GET /ui/me": Doc("Get the user signed in to this session", (401,)),
    "POST /ui/logout": Doc("Log out, revoking the user's tokens (204)", (401,)),
    "POST /access-control": Doc("Grant an identity a permission on a resource", (409,)),
    "GET /access-control": Doc("List access-control entries, optionally of one identity"),
    "GET /access-control/{entry_id}": Doc("Get an access-control entry"),
    "PUT /access-control/{entry_id}": Doc("Change an access-control entry", (409,)),
    "DELETE /access-control/{entry_id}": Doc("Delete an access-control entry"),
    "GET /permissions": Doc("List the permission levels (none, view, edit, manage)"),
    "GET /raw-events": Doc("List raw payloads in a time range"),
    "POST /raw-events": Doc("Store a raw payload"),
    "GET /raw-events/{nid}": Doc("Get a raw payload by number"),
    "POST /ingest": Doc("Ingest a payload through its mapping", (404,), body="AnyJson"),
    "POST /replay": Doc("Replay a stored raw payload through its mapping", (404,)),
    "GET /mappings": Doc("List event mappings"),
    "POST /mappings": Doc("Create an event mapping", _WRITE),
    "GET /mapping": Doc("Get an event mapping by path", (404,)),
    "PUT /mapping": Doc("Update an event mapping", (404,)),
    "DELETE /mapping": Doc("Delete an event mapping", (404,)),
    "POST /sync": Doc("Reload the event mappings now"),
    "POST /model-affinity/{group_id}/models/{model_id}": Doc("Add a model to a group", (409,)),
    "DELETE /model-affinity/{group_id}/models/{model_id}": Doc(
        "Remove a model from a group", (403,)
    ),
    "GET /model-affinity/{group_id}/models": Doc("List the models of a group"),
    "GET /model-affinity/{group_id}/groups": Doc("List the groups a model belongs to"),
    "GET /models": Doc("List declared models"),
    "POST /models": Doc("Declare a model", _WRITE),
    "DELETE /models/{model}": Doc("Delete a declared model", (403,)),
    "PUT /models/{model_id}": Doc("Update a declared model", (403, 409)),
    "POST /v1/chat/completions": Doc(
        "Create an OpenAI chat completion, routed by model",
        _LLM,
        body="ChatCompletionRequest",
        answer="ChatCompletion",
        stream=True,
    ),
    "GET /v1/models": Doc("List the models that can be served now, in OpenAI's format"),
    "GET /openai/v1/models": Doc("List the models that can be served now (alias)"),
    "GET /v1/models/{model_id}": Doc("Get one model that can be served now", (404,)),
    "POST /v1/completions": Doc(
        "Complete a prompt (served as a chat turn); streams with `stream: true`", _LLM, stream=True
    ),
    "POST /v1/embeddings": Doc("Embed a text or a list of texts", _LLM),
    "GET /api/version": Doc("Get the Ollama API level this server speaks"),
    "GET /api/tags": Doc("List the models served now, in Ollama's format"),
    "GET /api/ps": Doc("List the models served now, in Ollama's running-models format"),
    "POST /api/show": Doc("Show a served model's details and capabilities (Ollama)", (404,)),
    "POST /api/chat": Doc(
        "Answer an Ollama chat request, routed by model",
        _LLM,
        answer="OllamaChat",
        stream="ndjson",
    ),
    "POST /api/generate": Doc(
        "Answer an Ollama prompt, routed by model", _LLM, answer="OllamaGenerated", stream="ndjson"
    ),
    "POST /api/embed": Doc("Embed texts for an Ollama client, routed by model", _LLM),
    "POST /api/embeddings": Doc("Embed one text (Ollama's older embeddings route)", _LLM),
    "POST /api/pull": Doc("Refused: models are pulled through groups", _MANAGED),
    "POST /api/push": Doc("Refused: models are managed through groups", _MANAGED),
    "POST /api/create": Doc("Refused: models are managed through groups", _MANAGED),
    "POST /api/copy": Doc("Refused: models are managed through groups", _MANAGED),
    "DELETE /api/delete": Doc("Refused: models are removed through groups", _MANAGED),
    "POST /providers/{provider_type}/configure": Doc("Configure a cloud provider's key"),
    "GET /providers/{provider_type}/config": Doc("Get a cloud provider's configuration"),
    "DELETE /providers/{provider_type}/config": Doc("Delete a cloud provider's configuration"),
    "GET /providers/{provider_type}/status": Doc("Tell whether a cloud provider is configured"),
    "GET /providers/configs": Doc("List cloud provider configurations"),
    "DELETE /queue/cancel": Doc("Cancel model downloads by backend URL or model"),
    "GET /queue": Doc("List the model download queue"),
    "DELETE /queue/{model}": Doc("Remove a model's downloads from the queue"),
    "GET /queue/inProgress": Doc("Stream model download progress", stream=True),
    "GET /state": Doc("Get the observed state of every backend"),
    "GET /supported": Doc("List the supported hook types"),
    "GET /health": Doc("Tell that the process is alive"),
    "GET /version": Doc("Get the version and identity of this process"),
    "GET /metrics": Doc("Prometheus metrics of this process (text format)"),
    "GET /system/resources": Doc("This process's CPU, memory, connections, loop lag, pools"),
    "GET /system/services": Doc("Readiness: the database, backends, loops and sandbox", (503,)),
    "GET /activity/requests": Doc("List recent requests, newest first", (400,)),
    "GET /activity/requests/{request_id}": Doc("Get one request: timings, routing, attempts"),
    "GET /activity/requests/{request_id}/state": Doc("Get the captured steps of a chain run"),
    "GET /activity/operations": Doc("List recent background operations, newest first", (400,)),
    "GET /activity/operations/{op}/{subject}": Doc(
        "List the operations of one kind on one subject", (400,)
    ),
    "GET /activity/alerts": Doc("List what needs a person now"),
    "GET /activity/stateful-requests": Doc("List the requests running in this process"),
    "POST /tasks": Doc("Run a chain given in the request", _LLM),
    "GET /event-triggers": Doc("List event triggers"),
    "POST /event-triggers": Doc("Create an event trigger", (*_WRITE, 404)),
    "GET /event-triggers/{name}": Doc("Get an event trigger"),
    "PUT /event-triggers/{name}": Doc("Update an event trigger"),
    "DELETE /event-triggers/{name}": Doc("Delete an event trigger"),
    "GET /event-triggers/event-type/{event_type}": Doc("List the triggers of one event type"),
    "GET /event-triggers/function/{function}": Doc("List the triggers of one function"),
}
