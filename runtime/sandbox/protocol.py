"""The pipe protocol between the server and a sandbox worker, and the data both sides share.

A frame is a 4-byte big-endian length and a JSON message (JSON, not msgpack: event data and
results may hold integers of any size). The server sends `Run`, `Check`
and `Reply` (the answer to a builtin call); the worker sends `Ready` once, then `Call` (a
script called a builtin), `Done` (a run ended) and `Checked` (a compile check ended).
Nothing here imports the rest of the server: the worker process loads this module.
"""

from __future__ import annotations

import asyncio
import os
from enum import StrEnum
from typing import Any

import msgspec

MAX_FRAME = 64 << 20  # a frame larger than this means the peer is broken
MAX_RESULT = 4 << 20  # bytes of a run's JSON result
_HEADER = 4


class RunStatus(StrEnum):
    """How a run ended; `crashed`: the worker process died under it."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timeout"
    OUT_OF_MEMORY = "memory"
    CRASHED = "crashed"


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    """Per run: wall time (builtin calls included) and V8 heap; per worker: resident memory."""

    timeout: float = 10.0
    memory: int = 64 << 20
    worker_memory: int = 512 << 20


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    """What a run produced; `result` is the JSON value the script returned (or None)."""

    status: RunStatus
    duration_ms: float
    result: Any = None
    error: str = ""
    logs: list[str] = msgspec.field(default_factory=list)


class Run(msgspec.Struct, tag=True, frozen=True):
    """Server -> worker: run `script` for `event`; `name` is the entry function's name."""

    id: int
    script: str
    name: str
    event: Any


class Check(msgspec.Struct, tag=True, frozen=True):
    """Server -> worker: compile `script` without running it."""

    id: int
    script: str


class Reply(msgspec.Struct, tag=True, frozen=True):
    """Server -> worker: the value a builtin call returned."""

    call: int
    value: Any


class Ready(msgspec.Struct, tag=True, frozen=True):
    """Worker -> server: started, a warm isolate is waiting."""

    pid: int


class Call(msgspec.Struct, tag=True, frozen=True):
    """Worker -> server: the running script called builtin `name`."""

    id: int
    call: int
    name: str
    args: list[Any]


class Done(msgspec.Struct, tag=True, frozen=True):
    """Worker -> server: run `id` ended."""

    id: int
    outcome: Outcome


class Checked(msgspec.Struct, tag=True, frozen=True):
    """Worker -> server: the syntax error of check `id`, or ""."""

    id: int
    error: str


ToWorker = Run | Check | Reply
FromWorker = Ready | Call | Done | Checked

_encoder = msgspec.json.Encoder(enc_hook=str)
_to_worker = msgspec.json.Decoder(ToWorker)
_from_worker = msgspec.json.Decoder(FromWorker)


class ProtocolError(Exception):
    """The peer sent something that is not a frame of this protocol."""


def frame(message: ToWorker | FromWorker) -> bytes:
    body = _encoder.encode(message)
    return len(body).to_bytes(_HEADER, "big") + body


async def _read(reader: asyncio.StreamReader) -> bytes | None:
    try:
        header = await reader.readexactly(_HEADER)
        size = int.from_bytes(header, "big")
        if size > MAX_FRAME:
            raise ProtocolError(f"frame of {size} bytes")
        return await reader.readexactly(size)
    except asyncio.IncompleteReadError:
        return None  # the peer closed its end


async def read_from_worker(reader: asyncio.StreamReader) -> FromWorker | None:
    """The next message of a worker; None once it closed its end."""
    body = await _read(reader)
    try:
        return None if body is None else _from_worker.decode(body)
    except msgspec.DecodeError as exc:
        raise ProtocolError(str(exc)) from None


async def read_from_server(reader: asyncio.StreamReader) -> ToWorker | None:
    """The next message of the server; None once it closed its end."""
    body = await _read(reader)
    return None if body is None else _to_worker.decode(body)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte to a blocking file descriptor (the worker's side of the pipe)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
