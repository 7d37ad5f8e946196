"""Ollama's API shapes (`/api/*`), as our driver sends them and as Ollama clients send them to us.

Pure: Structs only. Answers are written with every field Ollama writes; requests decode what
Ollama's own clients send (`options`, `format` as a word or a JSON schema, `think`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class OllamaFunction(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A tool call's function as Ollama writes it: arguments as an object."""

    name: str
    arguments: dict[str, Any] = msgspec.field(default_factory=dict)
    index: int | None = None


class OllamaToolCall(msgspec.Struct, kw_only=True):
    """A tool call in an Ollama message."""

    function: OllamaFunction


class Message(msgspec.Struct, kw_only=True):
    """A message in Ollama's format: `content` is always written (clients concatenate it).

    The optional parts are left out unless set, as Ollama does (`null` decodes too).
    """

    role: str
    content: str = ""
    images: list[str] | msgspec.UnsetType | None = msgspec.UNSET
    tool_calls: list[OllamaToolCall] | msgspec.UnsetType | None = msgspec.UNSET
    tool_name: str | msgspec.UnsetType | None = msgspec.UNSET
    thinking: str | msgspec.UnsetType | None = msgspec.UNSET


class OllamaChatRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    """POST /api/chat (`stream` defaults to true, as in Ollama)."""

    model: str
    messages: list[Message] = msgspec.field(default_factory=list)
    stream: bool = True
    tools: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    format: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    options: dict[str, Any] | None = None
    think: bool | str | None = None
    keep_alive: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET


class GenerateRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    """POST /api/generate."""

    model: str
    prompt: str = ""
    suffix: str | None = None
    system: str | None = None
    images: list[str] | None = None
    stream: bool = True
    raw: bool = False
    format: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    options: dict[str, Any] | None = None
    think: bool | str | None = None
    keep_alive: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET


class Answer(msgspec.Struct, kw_only=True):
    """What every /api/chat and /api/generate answer line shares.

    The model, and at the end `done` with the reason, counts and durations (ns). `error`
    is written only on an error line: clients take any line holding the key as one.
    """

    model: str = ""
    created_at: str = ""
    done: bool = False
    done_reason: str = ""
    total_duration: int = 0
    load_duration: int = 0
    prompt_eval_count: int = 0
    prompt_eval_duration: int = 0
    eval_count: int = 0
    eval_duration: int = 0
    error: str | msgspec.UnsetType = msgspec.UNSET


class ChatChunk(Answer, kw_only=True):
    """One /api/chat answer (the whole answer, or one NDJSON line of a stream)."""

    message: Message | None = None


class Generated(Answer, kw_only=True):
    """One /api/generate answer (whole, or one NDJSON line)."""

    response: str = ""
    thinking: str | msgspec.UnsetType | None = msgspec.UNSET


class EmbedRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    """POST /api/embed (`input` a text or a list of texts)."""

    model: str
    input: str | list[str] = ""
    truncate: bool = True
    dimensions: int | None = None
    options: dict[str, Any] | None = None
    keep_alive: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET


class Embedded(msgspec.Struct, kw_only=True):
    """The /api/embed answer."""

    model: str = ""
    embeddings: list[list[float]] | None = None
    total_duration: int = 0
    load_duration: int = 0
    prompt_eval_count: int = 0


class LegacyEmbedRequest(msgspec.Struct, kw_only=True):
    """POST /api/embeddings (one `prompt`)."""

    model: str
    prompt: str = ""
    options: dict[str, Any] | None = None


class LegacyEmbedded(msgspec.Struct, kw_only=True):
    """The /api/embeddings answer."""

    embedding: list[float]


class TagDetails(msgspec.Struct, kw_only=True):
    """`details` of an entry in /api/tags, /api/show and /api/ps."""

    parent_model: str = ""
    format: str = ""
    family: str = ""
    families: list[str] | None = None
    parameter_size: str = ""
    quantization_level: str = ""


class Tag(msgspec.Struct, kw_only=True):
    """One model in /api/tags."""

    name: str
    model: str = ""
    modified_at: datetime | None = None
    size: int = 0
    digest: str = ""
    details: TagDetails | None = None


class Tags(msgspec.Struct, kw_only=True):
    """The /api/tags answer."""

    models: list[Tag] | None = None


class ShowRequest(msgspec.Struct, kw_only=True):
    """POST /api/show (`name` is the older spelling of `model`)."""

    model: str = ""
    name: str = ""
    verbose: bool = False


class Show(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The /api/show answer (the parts a client reads)."""

    modelfile: str = ""
    parameters: str = ""
    template: str = ""
    details: TagDetails | None = None
    model_info: dict[str, object] | None = None
    capabilities: list[str] | None = None
    modified_at: datetime | None = None


class Running(msgspec.Struct, kw_only=True):
    """One model in /api/ps."""

    name: str
    model: str
    size: int = 0
    digest: str = ""
    details: TagDetails | None = None
    expires_at: datetime | None = None
    size_vram: int = 0
    context_length: int = 0


class RunningList(msgspec.Struct, kw_only=True):
    """The /api/ps answer."""

    models: list[Running]


class Version(msgspec.Struct, kw_only=True):
    """The /api/version answer."""

    version: str


class PullLine(msgspec.Struct, kw_only=True):
    """One NDJSON line of /api/pull."""

    status: str = ""
    digest: str = ""
    total: int = 0
    completed: int = 0
    error: str = ""


class Error(msgspec.Struct, kw_only=True):
    """Ollama's error body (`{"error": "..."}`), also the last line of a broken stream."""

    error: str
