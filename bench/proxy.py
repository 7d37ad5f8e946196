"""Gateway benchmark: straight to a fast fake backend vs through our /v1/chat/completions,
through the chain-backed /openai/chat/v1/chat/completions (the shipped `chat` chain), and
through Ollama's /api/chat (compared with /v1: the backend speaks OpenAI).

Run by hand: `python bench/proxy.py [seconds-per-run]`, or `python bench/proxy.py --soak N` for
our server's resident memory over N proxied requests. Our server runs as `runtime-api serve`
pinned to core 0; the fake backend and this load generator share core 1. For non-streaming
and 20-chunk streaming requests at concurrency 1, 16 and 64 it prints throughput, p50/p99
latency, time to first byte, and our server's CPU time per request, with the direct run
(the baseline) beside each proxied run; chain runs are also compared with the /v1 run.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from runtime.chainstore import SHIPPED

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import Result, post, run

HERE = Path(__file__).resolve().parent
CONCURRENCY = (1, 16, 64)
ACTIVITY_ROWS = 20_000  # the activity bound of the soaked server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(core: int, command: list[str]) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", str(core), *command]
    return command


def pin_tree(root: int, core: int) -> None:
    """Move `root` and its current children to `core`; children it starts later inherit it."""
    if (os.cpu_count() or 1) < 2:
        return
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid, parent = stat.parent.name, stat.read_text().rsplit(")", 1)[1].split()[1]
            if int(pid) == root or int(parent) == root:
                os.sched_setaffinity(int(pid), {core})
        except (OSError, ValueError):
            continue  # gone meanwhile


def cpu_seconds(pid: int) -> float:
    """CPU time of all of `pid`'s threads so far, to the nanosecond (scheduler accounting).

    /proc/PID/stat counts in clock ticks (10 ms), too coarse for a few dozen requests.
    """
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # a thread that ended meanwhile
    if total == 0:  # no schedstat (kernel without it): the coarse counters
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total / 1e9


def wait_port(port: int, tries: int = 300) -> None:
    for _ in range(tries):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
        except OSError:
            time.sleep(0.05)
        else:
            return
    raise RuntimeError(f"nothing listens on {port}")


async def register(base: str, backend_url: str, headers: dict[str, str] | None = None) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=10, headers=headers) as api:
        group = (await api.post("/groups", json={"name": "bench"})).json()["id"]
        await api.post(
            "/models",
            json={"model": "bench", "contextLength": 8192, "canChat": True, "canStream": True},
        )
        await api.post(f"/model-affinity/{group}/models/bench")
        backend = (
            await api.post(
                "/backends", json={"name": "fast", "baseUrl": backend_url, "type": "openai"}
            )
        ).json()["id"]
        await api.post(f"/backend-affinity/{group}/backends/{backend}")
        for _ in range(200):
            detail = (await api.get(f"/backends/{backend}")).json()
            if detail["pulledModels"]:
                return
            await asyncio.sleep(0.05)
    raise RuntimeError("backend never became routable")


def row(label: str, result: Result, cpu: float | None) -> str:
    s = result.summary()
    cpu_text = f"{cpu * 1000:7.3f}" if cpu is not None else "      -"
    return (
        f"{label:<28} {s['rps']:9.0f} {s['p50_ms']:8.2f} {s['p99_ms']:8.2f} "
        f"{s['ttfb_p50_ms']:8.2f} {cpu_text} {result.errors:6d}"
    )


async def measure(seconds: float, fake_port: int, our_port: int, our_pid: int) -> None:
    body = {"model": "bench", "messages": [{"role": "user", "content": "hi"}]}
    plain = post("/v1/chat/completions", json.dumps(body).encode())
    streamed = post("/v1/chat/completions", json.dumps(body | {"stream": True}).encode())
    chain = "/openai/chat/v1/chat/completions"
    chain_plain = post(chain, json.dumps(body).encode())
    chain_streamed = post(chain, json.dumps(body | {"stream": True}).encode())
    ollama_plain = post("/api/chat", json.dumps(body | {"stream": False}).encode())
    ollama_streamed = post("/api/chat", json.dumps(body | {"stream": True}).encode())
    print(
        f"{'run':<28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ttfb ms':>8} "
        f"{'cpu ms':>7} {'errors':>6}"
    )
    gateway: dict[tuple[bool, int], Result] = {}
    modes = (
        ("plain", plain, False),
        ("stream20", streamed, True),
        ("chain plain", chain_plain, False),
        ("chain stream20", chain_streamed, True),
        ("ollama plain", ollama_plain, False),
        ("ollama stream20", ollama_streamed, True),
    )
    cpus: dict[tuple[bool, int], float] = {}
    for mode, request, stream in modes:
        for concurrency in CONCURRENCY:
            await run("127.0.0.1", our_port, request, concurrency=concurrency, seconds=0.5)
            key = (stream, concurrency)
            if mode.startswith("ollama"):  # the backend speaks OpenAI: compare with /v1 only
                direct = gateway[key]
            else:
                direct = await run(
                    "127.0.0.1", fake_port, request, concurrency=concurrency, seconds=seconds
                )
            before = cpu_seconds(our_pid)
            ours = await run(
                "127.0.0.1", our_port, request, concurrency=concurrency, seconds=seconds
            )
            cpu = (cpu_seconds(our_pid) - before) / max(len(ours.latencies), 1)
            added = ours.summary()["p50_ms"] - direct.summary()["p50_ms"]
            label = "/v1" if mode.startswith("ollama") else "direct"
            baseline_cpu = cpus.get(key) if label == "/v1" else None
            print(row(f"{mode} c={concurrency} {label}", direct, baseline_cpu))
            versus = f"   added p50 {added:.2f} ms, throughput x{ours.rps / direct.rps:.2f}"
            via_v1 = gateway.setdefault(key, ours)
            cpus.setdefault(key, cpu)
            if via_v1 is not ours:
                share = f"x{ours.rps / via_v1.rps:.2f}, cpu x{cpu / cpus[key]:.2f}"
                versus += f", {share} of /v1"
            print(row(f"{mode} c={concurrency} via runtime", ours, cpu) + versus)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def soak(total: int, our_port: int, our_pid: int, database: Path) -> None:
    """Resident memory of our server over `total` proxied requests (half streamed).

    Then the activity rows its database keeps (bounded by `RUNTIME_ACTIVITY_ROWS`).
    """
    body = {"model": "bench", "messages": [{"role": "user", "content": "hi"}]}
    plain = post("/v1/chat/completions", json.dumps(body).encode())
    streamed = post("/v1/chat/completions", json.dumps(body | {"stream": True}).encode())
    await run("127.0.0.1", our_port, plain, concurrency=16, seconds=2)
    start = rss_mib(our_pid)
    done, samples = 0, [start]
    while done < total:
        for request in (plain, streamed):
            result = await run("127.0.0.1", our_port, request, concurrency=16, seconds=5)
            done += len(result.latencies)
        samples.append(rss_mib(our_pid))
        print(f"  {done:>8} requests  rss {samples[-1]:7.1f} MiB")
    growth = (samples[-1] - start) / start * 100
    print(
        f"soak: {done} requests, rss {start:.1f} -> {samples[-1]:.1f} MiB ({growth:+.1f}%), "
        f"max {max(samples):.1f} MiB"
    )
    await asyncio.sleep(3)  # the last activity write
    with sqlite3.connect(database) as db:
        (rows,) = db.execute("SELECT count(*) FROM activity_requests").fetchone()
    print(f"activity rows kept: {rows} (bound {ACTIVITY_ROWS}, plus a tenth between prunes)")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--soak":
        seconds, soak_total = 0.0, int(sys.argv[2])
    else:
        seconds, soak_total = (float(sys.argv[1]) if len(sys.argv) > 1 else 3.0), 0
    fake_port, our_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        fake = subprocess.Popen(
            pinned(
                1,
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "fastbackend:app",
                    "--app-dir",
                    str(HERE),
                    "--port",
                    str(fake_port),
                    "--log-level",
                    "error",
                    "--no-access-log",
                    "--lifespan",
                    "off",
                ],
            )
        )
        env = os.environ | {
            "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
            "RUNTIME_ACTIVITY_ROWS": str(ACTIVITY_ROWS),
            "RUNTIME_RECONCILE_INTERVAL": "5",
            "RUNTIME_LOG_LEVEL": "WARNING",
            "RUNTIME_CHAINS_DIR": str(SHIPPED),
        }
        ours = subprocess.Popen(
            pinned(
                0,
                [
                    sys.executable,
                    "-m",
                    "runtime",
                    "serve",
                    "--port",
                    str(our_port),
                ],
            ),
            env=env,
        )
        try:
            wait_port(fake_port)
            wait_port(our_port)
            if shutil.which("taskset"):
                os.sched_setaffinity(0, {1})
            asyncio.run(
                register(f"http://127.0.0.1:{our_port}", f"http://127.0.0.1:{fake_port}/v1")
            )
            if soak_total:
                asyncio.run(soak(soak_total, our_port, ours.pid, Path(tmp, "bench.db")))
            else:
                asyncio.run(measure(seconds, fake_port, our_port, ours.pid))
        finally:
            for process in (ours, fake):
                process.terminate()
                process.wait()


if __name__ == "__main__":
    main()
