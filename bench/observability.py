"""What observability costs: server CPU per /v1/chat/completions request, with it vs without.

Run by hand: `python bench/observability.py [seconds-per-run] [rounds]`. Four servers of this tree,
each pinned to core 0, proxy to one fast fake backend (core 1):
- `none`: `bench/unobserved.py`, the server with observability taken out (the baseline);
- `log off`: `RUNTIME_LOG_LEVEL=WARNING`: request ids, metrics, spans off, activity kept in
  memory but not written (flush interval an hour);
- `log on`: the same at INFO, one access line per request (to a file): the issue's target,
  logging + metrics + tracing off;
- `stored`: `log on` with the activity records written every second (the default).
Runs alternate (`rounds`, default 6), so drift hits all alike; it prints the best CPU ms per
request, the added CPU against `none` (best against best), and the median of each round's
added CPU against that round's `none` (this host's speed drifts by up to 2x within minutes:
the paired median is the steadier figure). Then it counts the activity rows kept in the
database.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import post, run
from proxy import HERE, cpu_seconds, free_port, pinned, register, wait_port

ROWS = 5000  # RUNTIME_ACTIVITY_ROWS for the servers of this tree
KINDS = {  # name: (log level, activity flush seconds)
    "none": ("WARNING", "3600"),
    "log off": ("WARNING", "3600"),
    "log on": ("INFO", "3600"),
    "stored": ("INFO", "1"),
}


def server(
    port: int, tmp: str, name: str, level: str, flush: str, under: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "RUNTIME_ACTIVITY_FLUSH_SECONDS": flush,
        "DATABASE_URL": f"sqlite:///{tmp}/{name}.db",
        "RUNTIME_RECONCILE_INTERVAL": "5",
        "RUNTIME_LOG_LEVEL": level,
        "RUNTIME_CHAINS_DIR": "",
        "RUNTIME_ACTIVITY_ROWS": str(ROWS),
        "PYTHONPATH": str(HERE.parent),
    }
    log = Path(tmp, f"{name}.log").open("wb")  # noqa: SIM115 - lives as long as the server
    entry = [str(HERE / "unobserved.py")] if name == "none" else ["-m", "runtime"]
    command = [*under, sys.executable, *entry, "serve", "--port", str(port)]
    return subprocess.Popen(pinned(0, command), env=env, cwd=HERE.parent, stderr=log, stdout=log)


async def cpu_per_request(port: int, pid: int, seconds: float) -> tuple[float, float]:
    body = {"model": "bench", "messages": [{"role": "user", "content": "hi"}]}
    request = post("/v1/chat/completions", json.dumps(body).encode())
    await run("127.0.0.1", port, request, concurrency=16, seconds=0.5)
    before = cpu_seconds(pid)
    result = await run("127.0.0.1", port, request, concurrency=16, seconds=seconds)
    return (cpu_seconds(pid) - before) / max(len(result.latencies), 1), result.rps


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    fake_port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        fake = subprocess.Popen(
            pinned(
                1,
                [
                    sys.executable, "-m", "uvicorn", "fastbackend:app", "--app-dir", str(HERE),
                    "--port", str(fake_port), "--log-level", "error", "--no-access-log",
                    "--lifespan", "off",
                ],
            )
        )  # fmt: skip
        kinds = KINDS
        servers = {}
        try:
            wait_port(fake_port)
            for name, (level, flush) in kinds.items():
                port = free_port()
                file = name.replace(" ", "_")
                servers[name] = (port, server(port, tmp, file, level, flush))
                wait_port(port)
                asyncio.run(
                    register(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{fake_port}/v1")
                )
            if shutil.which("taskset"):
                os.sched_setaffinity(0, {1})
            cpu: dict[str, list[float]] = {name: [] for name in kinds}
            rps: dict[str, list[float]] = {name: [] for name in kinds}
            for _ in range(rounds):
                for name, (port, process) in servers.items():
                    used, rate = asyncio.run(cpu_per_request(port, process.pid, seconds))
                    cpu[name].append(used)
                    rps[name].append(rate)
            base = min(cpu["none"])
            for name in kinds:
                best = min(cpu[name])
                pairs = zip(cpu[name], cpu["none"], strict=True)
                paired = statistics.median(a - b for a, b in pairs)
                print(
                    f"{name:<10} cpu {best * 1000:7.3f} ms/request  {max(rps[name]):7.0f} req/s"
                    f"  added {(best - base) * 1000:+.3f} ms  x{best / base:.2f} of none"
                    f"  paired median {paired * 1000:+.3f} ms"
                )
            asyncio.run(asyncio.sleep(2))  # one more activity write
            with sqlite3.connect(Path(tmp, "stored.db")) as db:
                (rows,) = db.execute("SELECT count(*) FROM activity_requests").fetchone()
            print(
                f"activity rows kept: {rows} (bound {ROWS} plus at most one tenth between prunes)"
            )
        finally:
            for _, process in servers.values():
                process.terminate()
                process.wait()
            fake.terminate()
            fake.wait()


if __name__ == "__main__":
    main()
