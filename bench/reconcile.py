"""Reconcile benchmark: one full cycle over 100 Ollama backends with 20 models each, 10 dead.

Run by hand: `python bench/reconcile.py`. Backends 0-89 are served by one fast raw-ASGI fake
(each under its own path prefix); 90-94 refuse connections; 95-99 accept and never answer
(so the per-backend timeout is on the critical path). Prints the cold cycle (every model
described once) and warm cycles (descriptions cached), against the provider timeout.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runtime.affinity import GroupSpec
from runtime.affinity.seed import seed
from runtime.config import Settings
from runtime.db import Database
from runtime.db.migrate import upgrade
from runtime.registry import BackendSpec, ModelSpec
from runtime.state.loop import ReconcileLoop
from runtime.wiring import Services, build_services

BACKENDS, MODELS, REFUSED, HANGING = 100, 20, 5, 5
TIMEOUT = 1.0


def tags_body() -> bytes:
    models = [
        {
            "name": f"model-{n}:latest",
            "model": f"model-{n}:latest",
            "modified_at": "2026-01-01T00:00:00Z",
            "size": 1000 + n,
            "digest": f"sha256:{n:064x}",
            "details": {"format": "gguf", "family": "llama", "parameter_size": "1B"},
        }
        for n in range(MODELS)
    ]
    return json.dumps({"models": models}).encode()


TAGS = tags_body()
SHOW = json.dumps(
    {"capabilities": ["completion"], "model_info": {"llama.context_length": 8192}}
).encode()


async def fake_ollama(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = TAGS if scope["path"].endswith("/api/tags") else SHOW
    while (await receive()).get("more_body"):
        pass
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def listener() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def start_fake() -> tuple[subprocess.Popen[bytes], int]:
    """The fake runs in its own process (pinned to the other core where possible)."""
    sock = listener()
    port = sock.getsockname()[1]
    sock.close()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "reconcile:fake_ollama",
        "--app-dir",
        str(Path(__file__).parent),
        "--port",
        str(port),
        "--log-level",
        "error",
        "--no-access-log",
        "--lifespan",
        "off",
    ]
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        command = ["taskset", "-c", "1", *command]
        os.sched_setaffinity(0, {0})
    process = subprocess.Popen(command)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
        except OSError:
            time.sleep(0.05)
        else:
            return process, port
    raise RuntimeError("fake did not start")


async def declare(services: Services, port: int, refused: list[int], hang_port: int) -> None:
    """One group with every model and every backend (live, refusing or hanging)."""
    group = await services.groups.create(GroupSpec(name="bench"))
    for n in range(MODELS):
        spec = ModelSpec(model=f"model-{n}", context_length=4096, can_chat=True)
        await services.models.create(spec)
        await services.groups.assign_model(group.id, f"model-{n}")
    for n in range(BACKENDS):
        if n < BACKENDS - REFUSED - HANGING:
            base = f"http://127.0.0.1:{port}/b{n}"
        elif n < BACKENDS - HANGING:
            base = f"http://127.0.0.1:{refused[n % REFUSED]}/b{n}"
        else:
            base = f"http://127.0.0.1:{hang_port}/b{n}"
        backend = await services.backends.create(
            BackendSpec(name=f"b{n}", base_url=base, type="ollama")
        )
        await services.groups.assign_backend(group.id, backend.id)


async def main() -> None:
    fake, port = start_fake()
    hang = listener()
    hang.listen(100)
    refused_ports = []
    for _ in range(REFUSED):
        sock = listener()
        refused_ports.append(sock.getsockname()[1])
        sock.close()
    hang_port = hang.getsockname()[1]

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        await upgrade(url)
        settings = Settings(database_url=url, provider_timeout=TIMEOUT)
        db = Database(url)
        async with httpx.AsyncClient() as http:
            services, loops = build_services(settings, db, http)
            await seed(db, settings)
            await declare(services, port, refused_ports, hang_port)
            reconcile = loops["reconcile"]
            assert isinstance(reconcile, ReconcileLoop)
            cold_start = time.perf_counter()
            snapshot = await reconcile.run_once()
            cold = time.perf_counter() - cold_start
            warm = []
            for _ in range(5):
                start = time.perf_counter()
                snapshot = await reconcile.run_once()
                warm.append(time.perf_counter() - start)
        await db.dispose()
        errors = sum(1 for state in snapshot.backends.values() if state.error)
        print("errors:", sorted({s.error[:100] for s in snapshot.backends.values() if s.error}))
        routable = sum(
            1 for s in snapshot.backends.values() if not s.error and len(s.pulled) == MODELS
        )
    fake.terminate()
    fake.wait()
    hang.close()
    print(
        f"backends={BACKENDS} models/backend={MODELS} dead={REFUSED + HANGING} "
        f"(refused {REFUSED}, hanging {HANGING}), provider timeout {TIMEOUT:.1f}s, "
        f"cpu cores={os.cpu_count()}"
    )
    print(f"cold cycle : {cold * 1000:8.1f} ms  (every model described once)")
    print(
        f"warm cycle : {statistics.median(warm) * 1000:8.1f} ms median of {len(warm)}, "
        f"max {max(warm) * 1000:.1f} ms"
    )
    print(f"  of which waiting on hanging backends: {TIMEOUT * 1000:.0f} ms (the timeout)")
    print(
        f"result     : {routable} healthy backends with all {MODELS} models, "
        f"{errors} backends with an error"
    )
    print(
        "target     : one full cycle under 2000 ms ->",
        "MET" if max(cold, *warm) < 2.0 else "NOT MET",
    )


if __name__ == "__main__":
    asyncio.run(main())
