"""The server's side of the sandbox: a small supervised pool of worker processes.

A worker serves one run or compile check at a time. A worker that dies (a segfault or abort in
V8, an OOM kill, a `kill` by an operator), overruns the time limit by more than a grace
period, or grows past its resident-memory cap is killed if need be and replaced by a fresh
one at the next request; the request it held ends as `crashed`, `timeout` or `memory`. Workers
start when first needed and are recycled after `max_runs` requests.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import sys
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager, suppress
from typing import Any

import msgspec

from runtime import errors
from runtime.sandbox.process import WorkerProcess
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
)

log = logging.getLogger(__name__)
HostCall = Callable[[str, list[Any]], Awaitable[Any]]
_WATCH = 0.25  # how often a busy worker's memory is looked at
_QUIET = Ready(pid=0)  # stands for "no message within _WATCH"
_REAP = 1.0  # how long close waits for killed processes to be gone


class Sandbox:
    """Runs scripts and compile checks in worker processes, never in this one."""

    def __init__(
        self,
        limits: Limits,
        *,
        processes: int = 2,
        max_runs: int = 10_000,
        grace: float = 2.0,
        spawn_timeout: float = 10.0,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        self.limits = limits
        self._slots = asyncio.Semaphore(processes)
        self._processes = processes
        self._spawning = 0
        self._max_runs = max_runs
        self._grace = grace
        self._spawn_timeout = spawn_timeout
        self._idle: deque[WorkerProcess] = deque()  # longest idle first: its isolate is built
        self._workers: set[WorkerProcess] = set()
        self._starting: set[WorkerProcess] = set()  # processes not ready yet
        self._spawned: set[WorkerProcess] = set()  # every process that may still be alive
        self._chores: set[asyncio.Task[None]] = set()
        self._ids = itertools.count(1)
        self._closed = False
        self._environment = environment or {}  # the workers' whole environment

    @property
    def longest(self) -> float:
        """The longest a run can take in seconds: start a worker, run, overrun by the grace."""
        return self._spawn_timeout + self.limits.timeout + self._grace

    @property
    def closed(self) -> bool:
        return self._closed

    def pids(self) -> list[int]:
        """The process ids of the live workers."""
        return sorted(w.process.pid for w in self._workers if w.alive)

    async def run(self, script: str, name: str, event: Any, host: HostCall) -> Outcome:
        """Run `script` for `event`; never raises for anything the script or its worker does."""
        started = time.perf_counter()
        request = Run(id=next(self._ids), script=script, name=name, event=event)
        try:
            async with self._lease() as worker:
                answer = await self._exchange(worker, request, host)
        except errors.UnavailableError as exc:
            answer = Outcome(status=RunStatus.CRASHED, duration_ms=0.0, error=exc.message)
        outcome = answer.outcome if isinstance(answer, Done) else answer
        assert isinstance(outcome, Outcome)  # noqa: S101 - a run is answered by Done
        elapsed = (time.perf_counter() - started) * 1000
        return msgspec.structs.replace(outcome, duration_ms=elapsed)

    async def check(self, script: str) -> str:
        """The syntax error of `script`, or ""; a worker that dies under it is replaced once."""
        failure = ""
        for _ in range(2):
            async with self._lease() as worker:
                answer = await self._exchange(worker, Check(id=next(self._ids), script=script))
            if isinstance(answer, Checked):
                return answer.error
            failure = answer.error if isinstance(answer, Outcome) else ""
        raise errors.UnavailableError(
            f"the JavaScript sandbox could not check the script: {failure}"
        )

    async def close(self) -> None:
        """Stop every worker; bounded, it never raises and leaves no worker process behind.

        Workers still starting hold no request and are killed at once. The others are asked to
        stop (their stdin closes) and get the grace period; any still there then is killed.
        Cancelling close (a shutdown cut short) only cuts that wait short: what is left is
        killed and close returns normally, so the caller's own cleanup still runs.
        """
        self._closed = True
        for worker in list(self._starting):
            worker.kill()
        try:
            async with asyncio.timeout(self._grace):
                await self._drain()
        except TimeoutError:
            log.warning("sandbox workers still running %gs into shutdown: killed", self._grace)
        except asyncio.CancelledError:
            _uncancel()
            log.info("sandbox shutdown cut short: its workers are killed")
        finally:
            await self._kill_rest()

    async def _drain(self) -> None:
        while self._workers or self._chores or self._starting:
            workers = list(self._workers)
            self._idle.clear()
            self._workers.clear()
            stopping = [w.stop() for w in workers]
            starting = [w.started.wait() for w in self._starting]  # killed: they end now
            await asyncio.gather(*stopping, *starting, *self._chores, return_exceptions=True)
            await asyncio.sleep(0)  # lets the tasks that started them see it and let go

    async def _kill_rest(self) -> None:
        self._idle.clear()
        self._workers.clear()
        for chore in self._chores:
            chore.cancel()
        left = [w for w in self._spawned if w.process.returncode is None]
        for worker in left:
            worker.kill()
        try:
            reaped = asyncio.gather(*(w.process.wait() for w in left), return_exceptions=True)
            await asyncio.wait_for(reaped, _REAP)
        except TimeoutError:
            log.warning("sandbox workers killed at shutdown did not exit within %gs", _REAP)
        except asyncio.CancelledError:
            _uncancel()

    @asynccontextmanager
    async def _lease(self) -> AsyncIterator[WorkerProcess]:
        async with self._slots:
            worker = await self._idle_or_new()
            try:
                yield worker
            finally:
                worker.served += 1
                keep = len(self._workers) <= self._processes and worker.served < self._max_runs
                if keep and not self._closed and worker.alive and not self._too_big(worker):
                    self._idle.append(worker)
                else:
                    self._retire(worker)

    async def _idle_or_new(self) -> WorkerProcess:
        """A ready worker, else the longest idle one, else a new one; keeps one spare started."""
        for dead in [w for w in self._idle if not w.alive]:
            self._idle.remove(dead)
            self._retire(dead)
        worker = next((w for w in self._idle if w.ready), None)
        if worker is not None:
            self._idle.remove(worker)
        else:
            worker = self._idle.popleft() if self._idle else await self._spawn()
        if not self._closed and len(self._workers) + self._spawning < self._processes:
            self._spawning += 1  # counted now: two leases in one tick start one spare
            task = asyncio.ensure_future(self._spare())
            self._chores.add(task)
            task.add_done_callback(self._chores.discard)
        return worker

    async def _spare(self) -> None:
        with suppress(errors.UnavailableError):
            self._idle.append(await self._spawn(counted=True))

    async def _spawn(self, *, counted: bool = False) -> WorkerProcess:
        if self._closed:
            raise errors.UnavailableError("the JavaScript sandbox is shut down")
        if not counted:
            self._spawning += 1
        try:
            return await self._start()
        finally:
            self._spawning -= 1

    async def _start(self) -> WorkerProcess:
        limits = msgspec.json.encode(self.limits).decode()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "runtime.sandbox.worker",
            limits,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=dict(self._environment),
            start_new_session=True,  # a terminal's or a unit's signals are for the server
        )
        worker = WorkerProcess(process)
        self._spawned = {w for w in self._spawned if w.process.returncode is None} | {worker}
        self._starting.add(worker)
        if self._closed:  # closed while the process was being created
            worker.kill()
        try:
            with suppress(TimeoutError):
                await asyncio.wait_for(worker.started.wait(), self._spawn_timeout)
        except BaseException:  # cancelled while it starts: it must not outlive us
            worker.kill()
            await asyncio.shield(worker.stop())
            raise
        finally:
            self._starting.discard(worker)
        if self._closed or not worker.ready:
            worker.kill()
            reason = await worker.death()
            await worker.stop()
            if self._closed:
                raise errors.UnavailableError("the JavaScript sandbox is shut down")
            raise errors.UnavailableError(f"the JavaScript sandbox did not start ({reason})")
        self._workers.add(worker)
        return worker

    def _too_big(self, worker: WorkerProcess) -> bool:
        return worker.rss() > self.limits.worker_memory

    def _retire(self, worker: WorkerProcess) -> None:
        self._workers.discard(worker)
        task = asyncio.ensure_future(worker.stop())
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)

    async def _exchange(
        self, worker: WorkerProcess, request: Run | Check, host: HostCall | None = None
    ) -> FromWorker | Outcome:
        """Send `request` and serve its builtin calls until it is answered (or the worker fails)."""
        deadline = asyncio.get_running_loop().time() + self.limits.timeout + self._grace
        calls: set[asyncio.Task[None]] = set()
        worker.send(request)
        try:
            while True:
                message = await self._next(worker, deadline)
                if isinstance(message, Call) and message.id == request.id and host is not None:
                    task = asyncio.ensure_future(_answer(worker, message, host))
                    calls.add(task)
                    task.add_done_callback(calls.discard)
                elif isinstance(message, Outcome | Done | Checked) and answers(message, request):
                    return message
        except asyncio.CancelledError:
            worker.kill()  # it may be mid-run; a fresh one serves the next request
            raise
        finally:
            for task in calls:
                task.cancel()

    async def _next(self, worker: WorkerProcess, deadline: float) -> FromWorker | Outcome:
        """The worker's next message, or why there will be none (the worker is then killed)."""
        loop = asyncio.get_running_loop()
        looked = loop.time()
        while (remaining := deadline - loop.time()) > 0:
            try:
                message = await asyncio.wait_for(worker.inbox.get(), min(remaining, _WATCH))
            except TimeoutError:
                message = _QUIET
            if message is _QUIET or loop.time() - looked >= _WATCH:  # busy with builtins or not
                looked = loop.time()
                if self._too_big(worker):
                    worker.kill()
                    cap = self.limits.worker_memory >> 20
                    error = f"the sandbox worker grew past its memory cap of {cap} MiB"
                    return _failed(RunStatus.OUT_OF_MEMORY, error)
            if message is _QUIET:
                continue
            if message is not None:
                return message
            reason = await worker.death()
            log.warning("sandbox worker %d died (%s) under a request", worker.process.pid, reason)
            return _failed(RunStatus.CRASHED, f"the sandbox worker died ({reason})")
        worker.kill()
        limit = f"{self.limits.timeout:g} s"
        error = f"time limit of {limit} exceeded; the worker did not stop and was replaced"
        return _failed(RunStatus.TIMED_OUT, error)


def answers(message: Outcome | Done | Checked, request: Run | Check) -> bool:
    """A failure (always about the request in hand), or the answer to this very request."""
    return isinstance(message, Outcome) or message.id == request.id


def _uncancel() -> None:
    """The cancellation was handled: the task goes on as if it had not been cancelled."""
    task = asyncio.current_task()
    if task is not None:
        task.uncancel()


def _failed(status: RunStatus, error: str) -> Outcome:
    return Outcome(status=status, duration_ms=0.0, error=error)


async def _answer(worker: WorkerProcess, call: Call, host: HostCall) -> None:
    try:
        value = await host(call.name, call.args)
    except Exception as exc:  # noqa: BLE001 - a builtin never throws into the script
        value = {"success": False, "error": str(exc)}
    worker.send(Reply(call=call.call, value=value))
