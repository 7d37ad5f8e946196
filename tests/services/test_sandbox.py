"""The sandbox pool with real worker processes: user JavaScript never takes this process down."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from typing import Any

import pytest

from runtime import errors
from runtime.sandbox import Limits, RunStatus, Sandbox
from tests.waiting import eventually

SPIN = "function f(e) { const end = Date.now() + e.ms; while (Date.now() < end) {} return e; }"


async def host(name: str, args: list[Any]) -> Any:
    if name == "sendEvent":
        await asyncio.sleep(0.01)
        return {"success": True, "echo": args}
    raise RuntimeError(f"{name} failed on purpose")


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    pool = Sandbox(Limits(timeout=2.0), processes=1, grace=1.5)  # one worker: the one running
    yield pool
    await pool.close()


def is_running(pid: int) -> bool:
    """Any thread of `pid` on a CPU (V8 runs scripts on a thread of its own)."""
    try:
        states = []
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/stat") as stat:
                states.append(stat.read().rsplit(")", 1)[1].split()[0])
    except OSError:
        return False
    return "R" in states


async def test_scripts_run_in_worker_processes_not_in_ours(sandbox: Sandbox) -> None:
    outcome = await sandbox.run("function f(e) { return {n: e.n + 1}; }", "f", {"n": 1}, host)
    assert (outcome.status, outcome.result) == (RunStatus.SUCCEEDED, {"n": 2})
    assert sandbox.pids()
    assert os.getpid() not in sandbox.pids()


async def test_builtin_calls_are_served_over_the_pipe(sandbox: Sandbox) -> None:
    script = (
        "async function f(e) { const r = await sendEvent('t', {a: 1});"
        " const bad = await executeTask('x'); console.log(bad.error); return r; }"
    )
    outcome = await sandbox.run(script, "f", {}, host)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    assert outcome.result == {"success": True, "echo": ["t", {"a": 1}]}
    assert outcome.logs == ["executeTask failed on purpose"]


async def test_many_runs_and_compile_checks_at_once_all_get_their_own_answer() -> None:
    sandbox = Sandbox(Limits(timeout=5.0), processes=2)
    runs = [
        sandbox.run("function f(e) { return e.i * 2; }", "f", {"i": i}, host) for i in range(40)
    ]
    checks = [sandbox.check("function (" if i % 2 else f"var x{i} = 1;") for i in range(20)]
    answers = await asyncio.gather(*runs, *checks)
    assert [o.result for o in answers[:40]] == [i * 2 for i in range(40)]  # type: ignore[union-attr]
    for i, found in enumerate(answers[40:]):
        assert ("SyntaxError" in found) if i % 2 else found == ""  # type: ignore[operator]
    assert len(sandbox.pids()) <= 2
    await sandbox.close()
    assert sandbox.pids() == []


async def test_a_worker_killed_mid_run_is_recorded_crashed_and_replaced(sandbox: Sandbox) -> None:
    await warm(sandbox)
    run = asyncio.ensure_future(sandbox.run(SPIN, "f", {"ms": 5000}, host))
    busy = await eventually(lambda: _busy(sandbox))
    os.kill(busy, signal.SIGSEGV)
    outcome = await run
    assert outcome.status is RunStatus.CRASHED
    assert "SIGSEGV" in outcome.error
    again = await sandbox.run(SPIN, "f", {"ms": 1}, host)
    assert again.status is RunStatus.SUCCEEDED
    assert busy not in sandbox.pids()


async def test_a_compile_check_survives_dead_workers(sandbox: Sandbox) -> None:
    assert await sandbox.check("var ok = 1;") == ""
    for pid in sandbox.pids():
        os.kill(pid, signal.SIGKILL)
    assert "SyntaxError" in await sandbox.check("function (")
    assert await sandbox.check("var ok = 1;") == ""


async def test_a_worker_that_stops_answering_is_killed_after_the_grace_period(
    sandbox: Sandbox,
) -> None:
    await warm(sandbox)
    run = asyncio.ensure_future(sandbox.run(SPIN, "f", {"ms": 1900}, host))
    busy = await eventually(lambda: _busy(sandbox))
    os.kill(busy, signal.SIGSTOP)  # frozen: not even V8's own time limit can fire
    outcome = await asyncio.wait_for(run, 10.0)
    assert outcome.status is RunStatus.TIMED_OUT
    assert "replaced" in outcome.error
    assert (await sandbox.run(SPIN, "f", {"ms": 1}, host)).status is RunStatus.SUCCEEDED


async def test_a_worker_past_its_memory_cap_is_replaced() -> None:
    pool = Sandbox(Limits(timeout=5.0, memory=1 << 30, worker_memory=160 << 20), processes=1)
    try:
        grow = "const a = []; while (true) a.push(new Array(1e5).fill(7));"
        outcome = await pool.run(grow, "f", {}, host)
        assert outcome.status is RunStatus.OUT_OF_MEMORY
        assert "memory cap of 160 MiB" in outcome.error
        assert (await pool.run("result = 1", "f", {}, host)).result == 1
    finally:
        await pool.close()


async def test_a_sandbox_that_cannot_start_says_so() -> None:
    pool = Sandbox(Limits(), spawn_timeout=0.001)
    try:
        with pytest.raises(errors.UnavailableError, match="did not start"):
            await pool.check("var x = 1;")
        outcome = await pool.run("result = 1", "f", {}, host)
        assert outcome.status is RunStatus.CRASHED
    finally:
        await pool.close()


def environment_of(pid: int) -> bytes:
    with open(f"/proc/{pid}/environ", "rb") as environ:
        return environ.read()


async def warm(sandbox: Sandbox) -> None:
    """The worker started and idle, so once it runs, it is serving us."""
    await sandbox.run("result = 1", "f", {}, host)

    async def idle() -> bool:
        pids = sandbox.pids()
        return len(pids) == 1 and not any(is_running(pid) for pid in pids)

    await eventually(idle)


async def _busy(sandbox: Sandbox) -> int | None:
    return next((pid for pid in sandbox.pids() if is_running(pid)), None)


async def test_integers_of_any_size_reach_the_script_and_come_back(sandbox: Sandbox) -> None:
    outcome = await sandbox.run(
        "function f(e) { return {n: e.n, big: 1e20}; }", "f", {"n": 10**30}, host
    )
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    assert outcome.result == {"n": 1e30, "big": 10**20}


async def test_a_huge_result_fails_the_run_instead_of_reaching_the_server(sandbox: Sandbox) -> None:
    outcome = await sandbox.run("result = 'x'.repeat(5 << 20)", "f", {}, host)
    assert outcome.status is RunStatus.FAILED
    assert "larger than 4 MiB" in outcome.error


async def test_workers_do_not_inherit_the_servers_secrets(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNTIME_SECRET_KEY", "do-not-leak")
    monkeypatch.setenv("DATABASE_URL", "postgresql://user:pw@db/x")
    await sandbox.run("result = 1", "f", {}, host)
    [pid] = sandbox.pids()
    found = environment_of(pid)
    assert b"do-not-leak" not in found
    assert b"DATABASE_URL" not in found


async def test_a_closed_sandbox_starts_no_worker(sandbox: Sandbox) -> None:
    await sandbox.close()
    outcome = await sandbox.run("result = 1", "f", {}, host)
    assert outcome.status is RunStatus.CRASHED
    assert "shut down" in outcome.error
    assert sandbox.pids() == []
