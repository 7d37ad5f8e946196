"""The sandbox worker process: `python -m runtime.sandbox.worker '<limits as JSON>'`.

Reads `Run` and `Check` messages on stdin, one at a time, and answers on the stdout it was
started with (then points its own stdout at stderr, so nothing V8 or a library prints can
break a frame). A warm isolate is built before each request arrives, so a run does not pay
for V8's start-up; all of it happens on this process's one thread. The worker exits when the
server closes its stdin, and ignores SIGINT (the server decides when it stops).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sys
from typing import Any

import msgspec

from runtime.sandbox.isolate import Isolate
from runtime.sandbox.protocol import (
    Call,
    Check,
    Checked,
    Done,
    FromWorker,
    Limits,
    Outcome,
    Ready,
    Reply,
    Run,
    RunStatus,
    frame,
    read_from_server,
    write_all,
)


class Worker:
    """Serves one request at a time, each in a fresh isolate; answers builtin replies at once."""

    def __init__(self, loop: asyncio.AbstractEventLoop, limits: Limits, out: int) -> None:
        self._loop = loop
        self._limits = limits
        self._out = out
        self._calls = itertools.count()
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._queue: asyncio.Queue[Run | Check | None] = asyncio.Queue()

    def send(self, message: FromWorker) -> None:
        write_all(self._out, frame(message))

    async def serve(self, reader: asyncio.StreamReader) -> None:
        work = asyncio.ensure_future(self._work())
        while (message := await read_from_server(reader)) is not None:
            if isinstance(message, Reply):
                waiter = self._waiting.pop(message.call, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(message.value)
            else:
                self._queue.put_nowait(message)
        self._queue.put_nowait(None)  # the server is gone: finish the request in hand, then stop
        await work

    async def _work(self) -> None:
        isolate = await Isolate(self._loop, self._limits).open()
        self.send(Ready(pid=os.getpid()))
        while (request := await self._queue.get()) is not None:
            self.send(await self._answer(isolate, request))
            for waiter in self._waiting.values():
                waiter.cancel()
            self._waiting.clear()
            await isolate.close()
            isolate = await Isolate(self._loop, self._limits).open()
            self.send(Ready(pid=os.getpid()))
        await isolate.close()

    async def _answer(self, isolate: Isolate, request: Run | Check) -> Done | Checked:
        """The answer to one request; whatever goes wrong, there is one."""
        try:
            if isinstance(request, Run):
                host = self._host(request.id)
                outcome = await isolate.run(request.script, request.name, request.event, host)
                return Done(id=request.id, outcome=outcome)
            return Checked(id=request.id, error=await isolate.check(request.script))
        except Exception as exc:  # noqa: BLE001 - the server is owed an answer
            error = f"the sandbox failed: {type(exc).__name__}: {exc}"
            if isinstance(request, Check):
                return Checked(id=request.id, error=error)
            return Done(
                id=request.id,
                outcome=Outcome(status=RunStatus.FAILED, duration_ms=0.0, error=error),
            )

    def _host(self, run: int) -> Any:
        async def call(name: str, args: list[Any]) -> Any:
            number = next(self._calls)
            waiter: asyncio.Future[Any] = self._loop.create_future()
            self._waiting[number] = waiter
            self.send(Call(id=run, call=number, name=name, args=args))
            return await waiter

        return call


async def _main(limits: Limits, out: int) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    await Worker(loop, limits, out).serve(reader)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limits = msgspec.json.decode(sys.argv[1], type=Limits) if len(sys.argv) > 1 else Limits()
    out = os.dup(1)
    os.dup2(2, 1)
    try:
        import uvloop  # noqa: PLC0415 - optional: faster pipes where it is installed

        uvloop.run(_main(limits, out))
    except ImportError:
        asyncio.run(_main(limits, out))


if __name__ == "__main__":
    main()
