"""One V8 isolate per run, inside a worker process (never in the server).

mini-racer is not safe when isolates are built on one thread while others are freed on
another, so every isolate is created, used and disposed on the worker's one thread (the
thread of its event loop). The script reaches the host only through the `host` callable;
builtins return Promises, and pending builtin calls are awaited before the run ends.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import Any

from py_mini_racer import JSEvalException, JSPromise, JSPromiseError, MiniRacer, mini_racer

from runtime.sandbox.protocol import MAX_RESULT, Limits, Outcome, RunStatus

HostCall = Callable[[str, list[Any]], Awaitable[Any]]
MAX_LOG_LINES = 200
MAX_LOG_LINE = 2000
_LOG_READ_TIMEOUT = 0.5

# defines `__runtime.run` in a fresh isolate; `host(name, argsJSON)` is the script's one way out
_PRELUDE = """(function (maxLines, maxLine) {
  const pending = new Set();
  const logs = [];
  const text = (v) => {
    if (typeof v === "string") return v;
    try { const s = JSON.stringify(v); return s === undefined ? String(v) : s; }
    catch (e) { return String(v); }
  };
  const log = (...args) => {
    if (logs.length < maxLines) logs.push(args.map(text).join(" ").slice(0, maxLine));
  };
  let host = null;
  const builtin = (name) => (...args) => {
    const p = host(name, JSON.stringify(args)).then((r) => JSON.parse(r));
    pending.add(p);
    p.finally(() => pending.delete(p));
    return p;
  };
  const install = (event) => {
    globalThis.console = { log, info: log, warn: log, error: log, debug: log };
    for (const name of ["sendEvent", "executeTask", "callTaskChain", "executeTaskChain"]) {
      globalThis[name] = builtin(name);
    }
    globalThis.event = event;
    globalThis.result = null;
  };
  const reply = (value) => {
    const out = value === undefined || value === null ? null : JSON.stringify(value);
    return JSON.stringify({ out, logs });
  };
  const settle = async (value) => {
    const settled = await value;
    while (pending.size > 0) await Promise.allSettled([...pending]);
    return reply(settled);
  };
  // a script that neither awaits nor calls builtins is answered without a Promise
  const bind = (bridge) => { host = bridge; };
  const run = ({ event, script, name, tail }) => {
    install(event);
    let entry = (0, eval)(script + tail);
    if (entry === undefined) entry = globalThis[name];
    let value = globalThis.result;
    if (entry !== undefined) {
      if (typeof entry !== "function") throw new TypeError(name + " is not a function");
      value = entry(globalThis.event);
    }
    const thenable = value !== null && typeof value === "object"
      && typeof value.then === "function";
    return thenable || pending.size > 0 ? settle(value) : reply(value);
  };
  Object.defineProperty(globalThis, "__runtime", {
    value: Object.freeze({ bind, run, logs: () => JSON.stringify(logs) }),
    enumerable: false, writable: false, configurable: false,
  });
})"""

_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_CHECK = (
    "(function (src) { try { new Function(src); return ''; } catch (e) { return String(e); } })"
)


class Isolate:
    """A V8 isolate for one run or check: prelude installed, host bridge bound."""

    def __init__(self, loop: asyncio.AbstractEventLoop, limits: Limits) -> None:
        self.limits = limits
        self._manager: AbstractContextManager[MiniRacer] = mini_racer(event_loop=loop)
        self.racer = self._manager.__enter__()
        self.racer.set_hard_memory_limit(limits.memory)
        prelude: Any = self.racer.eval(_PRELUDE)
        prelude(MAX_LOG_LINES, MAX_LOG_LINE)
        # compiles the prelude; leaves only the globals every run sets again
        self.racer.eval('__runtime.run({"event": null, "script": "", "name": "", "tail": ""})')
        self.host: HostCall | None = None
        self._wrap: AbstractAsyncContextManager[Any] | None = None

    async def open(self) -> Isolate:
        self._wrap = self.racer.wrap_py_function(self._call)
        bind: Any = self.racer.eval("__runtime.bind")
        bind(await self._wrap.__aenter__())
        return self

    async def _call(self, name: Any, args: Any) -> str:
        try:
            assert self.host is not None  # noqa: S101 - set before the script runs
            decoded = json.loads(str(args))
            value = await self.host(str(name), decoded if isinstance(decoded, list) else [])
        except Exception as exc:  # noqa: BLE001 - a builtin never throws into the script
            value = {"success": False, "error": str(exc)}
        return json.dumps(value, default=str)

    async def close(self) -> None:
        """Dispose of the isolate, on the thread that built it."""
        if self._wrap is not None:
            await self._wrap.__aexit__(None, None, None)
        self._manager.__exit__(None, None, None)

    async def check(self, script: str) -> str:
        """The syntax error of `script`, or "" when it compiles."""
        check = await self.racer.eval_cancelable(_CHECK)
        found = await asyncio.wait_for(check.cancelable()(script), self.limits.timeout)  # type: ignore[union-attr]
        return str(found)

    async def run(self, script: str, name: str, event: Any, host: HostCall) -> Outcome:
        """Run `script` for `event`; never raises for anything the script does."""
        started = time.perf_counter()
        self.host = host
        logs: list[str] = []
        timeout = self.limits.timeout
        try:
            value, logs = await asyncio.wait_for(self._execute(script, name, event), timeout)
            status, result, error = RunStatus.SUCCEEDED, value, ""
        except TimeoutError:
            status, result, error = (
                RunStatus.TIMED_OUT,
                None,
                f"time limit of {timeout:g} s exceeded",
            )
        except (JSEvalException, JSPromiseError, _ScriptError) as exc:
            status, result, error = RunStatus.FAILED, None, _first_lines(str(exc))
        if self.racer.was_hard_memory_limit_reached():
            status, result = RunStatus.OUT_OF_MEMORY, None
            error = f"memory limit of {self.limits.memory >> 20} MiB exceeded"
        elif status is not RunStatus.SUCCEEDED:
            logs = await self._logs()
        elapsed = (time.perf_counter() - started) * 1000
        return Outcome(status=status, duration_ms=elapsed, result=result, error=error, logs=logs)

    async def _execute(self, script: str, name: str, event: Any) -> tuple[Any, list[str]]:
        tail = (
            f"\n;typeof {name} === 'undefined' ? undefined : {name}"
            if _IDENTIFIER.match(name)
            else ""
        )
        call = {"event": event, "script": script, "name": name, "tail": tail}
        code = f"__runtime.run({json.dumps(call, default=str)})"
        found = await self.racer.eval_cancelable(code)
        if isinstance(found, JSPromise):
            found = await found
        reply = json.loads(str(found))
        out = reply["out"]
        logs = [str(line) for line in reply["logs"]]
        if out is not None and len(out) > MAX_RESULT:
            raise _ScriptError(f"the result is larger than {MAX_RESULT >> 20} MiB")
        try:
            return (None if out is None else json.loads(out)), logs
        except ValueError:
            raise _ScriptError("the result is not JSON") from None

    async def _logs(self) -> list[str]:
        """The console output of a run that did not finish (it lives in the isolate)."""
        try:
            found = await asyncio.wait_for(
                self.racer.eval_cancelable("__runtime.logs()"), _LOG_READ_TIMEOUT
            )
            lines = json.loads(str(found))
        except (TimeoutError, JSEvalException, ValueError):
            return []
        return [str(line) for line in lines] if isinstance(lines, list) else []


class _ScriptError(Exception):
    """The script's result could not be used."""


def _first_lines(message: str, lines: int = 6) -> str:
    return "\n".join(message.strip().splitlines()[:lines])
