"""Domain data of functions and triggers: definitions, dispatch jobs and run records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from runtime.sandbox import RunStatus

SCRIPT_TYPES = ("goja", "javascript")  # `goja` (the reference's name) runs as JavaScript too
TRIGGER_TYPE = "function"


class Function(msgspec.Struct, frozen=True, kw_only=True):
    """A user script; when it defines a global named like the function, that is the entry."""

    name: str
    description: str = ""
    script_type: str = "goja"
    script: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Trigger(msgspec.Struct, frozen=True, kw_only=True):
    """Runs `function` for every stored event whose type is `listen_for`."""

    name: str
    description: str = ""
    listen_for: str = ""
    type: str = TRIGGER_TYPE
    function: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Job(msgspec.Struct, frozen=True, kw_only=True):
    """An event to deliver to a trigger's function; `depth` counts events derived by scripts."""

    id: int
    trigger_name: str
    function_name: str
    event: dict[str, Any]
    depth: int
    attempts: int


class Run(msgspec.Struct, frozen=True, kw_only=True):
    """The record of one function execution."""

    id: str
    function_name: str
    trigger_name: str
    event_id: str
    event_type: str
    attempt: int
    status: RunStatus
    started_at: datetime
    duration_ms: float
    error: str = ""
    logs: list[str] = msgspec.field(default_factory=list)
    result: Any = None
