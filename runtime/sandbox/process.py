"""One sandbox worker process as the server sees it: its pipes, its messages, its end.

Does I/O: the process's stdin and stdout, and /proc for its memory.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from contextlib import suppress

from runtime.sandbox.protocol import (
    FromWorker,
    ProtocolError,
    Ready,
    Reply,
    ToWorker,
    frame,
    read_from_worker,
)

log = logging.getLogger("runtime.sandbox.pool")
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class WorkerProcess:
    """One worker process; its reader puts every message in `inbox`, then None when it ends.

    `ready` is set while the worker has a fresh isolate waiting (it says so after each request).
    """

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.inbox: asyncio.Queue[FromWorker | None] = asyncio.Queue()
        self.served = 0
        self.broken = False
        self.ready = False
        self.started = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None  # noqa: S101 - started with a pipe
        try:
            while (message := await read_from_worker(self.process.stdout)) is not None:
                if isinstance(message, Ready):
                    self.ready = True
                    self.started.set()
                else:
                    self.inbox.put_nowait(message)
        except (ProtocolError, OSError) as exc:
            log.warning("sandbox worker %d broke the protocol: %s", self.process.pid, exc)
            self.kill()
        finally:
            self.broken = True
            self.started.set()
            self.inbox.put_nowait(None)

    @property
    def alive(self) -> bool:
        return not self.broken and self.process.returncode is None

    def send(self, message: ToWorker) -> None:
        self.ready = self.ready and isinstance(message, Reply)
        if self.alive and self.process.stdin is not None:
            with suppress(ConnectionError, RuntimeError):
                self.process.stdin.write(frame(message))

    def rss(self) -> int:
        """Resident memory in bytes (0 where /proc is not there)."""
        try:
            with open(f"/proc/{self.process.pid}/statm", "rb") as statm:
                return int(statm.read().split()[1]) * _PAGE
        except (OSError, ValueError, IndexError):
            return 0

    def kill(self) -> None:
        self.broken = True
        with suppress(ProcessLookupError):
            self.process.kill()

    async def death(self) -> str:
        """How the process ended (waits for it)."""
        with suppress(TimeoutError):
            await asyncio.wait_for(self.process.wait(), 1.0)
        code = self.process.returncode
        if code is not None and code < 0:
            with suppress(ValueError):
                return f"killed by {signal.Signals(-code).name}"
        return f"exit status {code}"

    async def stop(self) -> None:
        """Close its stdin (it finishes the request in hand and exits), kill it if it lingers.

        Safe to call more than once, and from several tasks.
        """
        if self.process.stdin is not None and not self.process.stdin.is_closing():
            self.process.stdin.close()
            with suppress(ConnectionError):
                await self.process.stdin.wait_closed()
        try:
            await asyncio.wait_for(self.process.wait(), 2.0)
        except TimeoutError:
            self.kill()
            await self.process.wait()
        await self.forget()

    async def forget(self) -> None:
        """Let go of the reader once the process is gone (it ends at the end of stdout)."""
        if not self._reader.done():
            with suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._reader), 1.0)
            self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)
