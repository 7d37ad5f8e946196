"""Auth benchmark: our server's CPU per /v1/chat/completions with no authentication vs with
the admin token, an API key (cached), a rate-limited key (requests, or tokens per minute) and a
group-limited key, same sitting.

Run by hand: `python bench/auth.py [seconds-per-run]`. Three servers run as `runtime-api
serve` pinned to core 0 (two without a token: the second is the control that shows the noise
between two identical processes; one with a token), each on its own SQLite file; the fake
backend and this load generator share core 1. Each variant runs `ROUNDS` times interleaved;
the median CPU per request is reported with its difference from the no-auth baseline. Then
the guard alone is timed in this process (`guard_cost`): the middleware around an app that
answers at once, per request, for each kind of credential.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from runtime.api.auth import Access, access_guard
from runtime.config import Settings
from runtime.db import Database
from runtime.db.migrate import upgrade
from runtime.identity import KeySpec, Limits, UserSpec
from runtime.wiring import build_services

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import run
from proxy import HERE, cpu_seconds, free_port, pinned, register, wait_port

TOKEN = "bench-token"
ROUNDS = 5
CONCURRENCY = 16


def request(headers: dict[str, str]) -> bytes:
    body = json.dumps({"model": "bench", "messages": [{"role": "user", "content": "hi"}]})
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\n{extra}Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body.encode()


async def keys(base: str) -> dict[str, str]:
    """Secrets of a plain key, a rate-limited key and a group-limited key."""
    admin = {"X-API-Key": TOKEN}
    bodies = {
        "key": {"name": "plain", "scopes": ["use"]},
        "key+rpm": {"name": "limited", "scopes": ["use"], "limits": {"rpm": 1_000_000_000}},
        "key+tpm": {"name": "tokens", "scopes": ["use"], "limits": {"tpm": 1_000_000_000}},
        "key+groups": {"name": "grouped", "scopes": ["use"], "groups": ["bench"]},
    }
    async with httpx.AsyncClient(base_url=base, headers=admin, timeout=10) as api:
        found = {}
        for label, body in bodies.items():
            created = await api.post("/keys", json=body)
            created.raise_for_status()
            found[label] = created.json()["secret"]
        return found


def server(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "runtime", "serve", "--port", str(port)]
    return subprocess.Popen(pinned(0, command), env=os.environ | env)


async def cpu_per_request(port: int, pid: int, raw: bytes, seconds: float) -> tuple[float, int]:
    before = cpu_seconds(pid)
    result = await run("127.0.0.1", port, raw, concurrency=CONCURRENCY, seconds=seconds)
    done = max(len(result.latencies), 1)
    return (cpu_seconds(pid) - before) / done, result.errors


async def measure(seconds: float, ports: dict[str, int], pids: dict[str, int]) -> None:
    secrets = await keys(f"http://127.0.0.1:{ports['auth']}")
    variants = {"no auth": ("open", request({})), "no auth (ctl)": ("control", request({}))}
    variants["admin token"] = ("auth", request({"X-API-Key": TOKEN}))
    for label, secret in secrets.items():
        variants[label] = ("auth", request({"Authorization": f"Bearer {secret}"}))
    samples: dict[str, list[float]] = {label: [] for label in variants}
    errors = dict.fromkeys(variants, 0)
    for which, raw in variants.values():  # warm-up
        await run("127.0.0.1", ports[which], raw, concurrency=CONCURRENCY, seconds=0.5)
    for _ in range(ROUNDS):
        for label, (which, raw) in variants.items():
            cpu, failed = await cpu_per_request(ports[which], pids[which], raw, seconds)
            samples[label].append(cpu)
            errors[label] += failed
    base = statistics.median(samples["no auth"])
    print(f"{'variant':<14} {'cpu ms/req':>10} {'added ms':>9} {'ratio':>6} {'errors':>6}")
    for label, values in samples.items():
        cpu = statistics.median(values)
        print(
            f"{label:<14} {cpu * 1000:10.4f} {(cpu - base) * 1000:9.4f} "
            f"{cpu / base:6.3f} {errors[label]:6d}"
        )


async def guard_cost(url: str, calls: int = 20_000) -> None:
    """Microseconds the guard adds per request, in this process, by credential."""
    await upgrade(url)
    settings = Settings(database_url=url, api_token=TOKEN, chains_dir="")
    db = Database(url)
    async with httpx.AsyncClient() as http:
        services, _ = build_services(settings, db, http)
        secrets = {}
        for label, body in (
            ("key", {"name": "k", "scopes": ("use",)}),
            ("key+rpm", {"name": "r", "scopes": ("use",), "limits": Limits(rpm=10**9)}),
            ("key+tpm", {"name": "t", "scopes": ("use",), "limits": Limits(tpm=10**9)}),
            ("key+groups", {"name": "g", "scopes": ("use",), "groups": ("bench",)}),
        ):
            secrets[label] = (await services.keys.create(KeySpec(**body))).secret  # type: ignore[arg-type]
        user = UserSpec(email="bench@example.com", password="bench password")
        await services.users.create(user)
        session = await services.users.login("bench@example.com", "bench password", "local")
        secrets["user token"] = session.token
        parts = (services.keys, services.users, services.access, services.limiter)
        access = Access(TOKEN, *parts, services.confinement)

        async def answered(scope: Any, receive: Any, send: Any) -> None:
            await send({"type": "http.response.start", "status": 200, "headers": []})

        async def sent(message: Any) -> None:
            return None

        guarded = access_guard(access)(answered)
        bare = access_guard(Access("", *parts, services.confinement))
        unguarded = bare(answered)
        cases: dict[str, tuple[Any, bytes]] = {"no auth": (unguarded, b"")}
        cases["admin token"] = (guarded, TOKEN.encode())
        cases |= {label: (guarded, secret.encode()) for label, secret in secrets.items()}
        print(f"{'guard alone':<14} {'us/req':>10} {'added us':>9}")
        base = 0.0
        for label, (app, presented) in cases.items():
            scope = {
                "type": "http",
                "method": "POST",
                "path_template": "/v1/chat/completions",
                "headers": [(b"x-api-key", presented)] if presented else [],
            }
            for _ in range(200):  # warm: caches loaded
                await app(dict(scope), None, sent)
            start = time.process_time()
            for _ in range(calls):
                await app(dict(scope), None, sent)
            each = (time.process_time() - start) / calls * 1e6
            base = base or each
            print(f"{label:<14} {each:10.2f} {each - base:9.2f}")
        await services.limiter.flush()
    await db.dispose()


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    fake_port = free_port()
    ports = {"open": free_port(), "control": free_port(), "auth": free_port()}
    with tempfile.TemporaryDirectory() as tmp:
        fake = subprocess.Popen(
            pinned(
                1,
                [
                    *(sys.executable, "-m", "uvicorn", "fastbackend:app", "--app-dir", str(HERE)),
                    *("--port", str(fake_port), "--log-level", "error", "--no-access-log"),
                    *("--lifespan", "off"),
                ],
            )
        )
        common = {"RUNTIME_RECONCILE_INTERVAL": "5", "RUNTIME_LOG_LEVEL": "WARNING"}
        common["RUNTIME_CHAINS_DIR"] = ""
        servers = {
            which: server(
                port,
                common
                | {"DATABASE_URL": f"sqlite:///{tmp}/{which}.db"}
                | ({"TOKEN": TOKEN} if which == "auth" else {}),
            )
            for which, port in ports.items()
        }
        try:
            for port in (fake_port, *ports.values()):
                wait_port(port)
            os.sched_setaffinity(0, {1})
            backend = f"http://127.0.0.1:{fake_port}/v1"
            for which, port in ports.items():
                admin = {"X-API-Key": TOKEN} if which == "auth" else None
                asyncio.run(register(f"http://127.0.0.1:{port}", backend, admin))
            pids = {which: process.pid for which, process in servers.items()}
            asyncio.run(measure(seconds, ports, pids))
        finally:
            for process in (*servers.values(), fake):
                process.terminate()
                process.wait()
        asyncio.run(guard_cost(f"sqlite+aiosqlite:///{tmp}/guard.db"))


if __name__ == "__main__":
    main()
