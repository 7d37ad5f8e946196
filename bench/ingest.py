"""Ingest benchmark: `POST /ingest` through `runtime-api serve`, each answer after the commit.

Run by hand: `python bench/ingest.py [seconds] [sqlite|postgres]` (postgres starts a throwaway
cluster with the installed binaries). Prints events/s and latency at concurrency 1, 16 and 64,
with `POST /events` (one insert instead of two) as the in-run baseline.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from loadgen import post, run  # noqa: E402
from proxy import free_port, pinned, wait_port  # noqa: E402

from tests.postgres import PostgresCluster  # noqa: E402

MAPPING = {
    "path": "bench",
    "eventType": "order.created",
    "eventSource": "bench",
    "aggregateType": "order",
    "aggregateIDField": "order.id",
    "version": 1,
}


async def measure(port: int, seconds: float) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as api:
        assert (await api.post("/mappings", json=MAPPING)).status_code == 201
    ingest = post("/ingest?path=bench", json.dumps({"order": {"id": 7}, "total": 3}).encode())
    event = post(
        "/events",
        json.dumps(
            {
                "event_type": "order.created",
                "event_source": "bench",
                "aggregate_id": "7",
                "aggregate_type": "order",
                "version": 1,
                "data": {"total": 3},
            }
        ).encode(),
    )
    print(f"{'run':<22} {'events/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for concurrency in (1, 16, 64):
        for label, request in (("POST /events", event), ("POST /ingest", ingest)):
            result = await run("127.0.0.1", port, request, concurrency=concurrency, seconds=seconds)
            s = result.summary()
            print(
                f"{label + f' c={concurrency}':<22} {s['rps']:9.0f} {s['p50_ms']:8.2f} "
                f"{s['p99_ms']:8.2f} {result.errors:6d}"
            )


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    database = sys.argv[2] if len(sys.argv) > 2 else "sqlite"
    cluster = PostgresCluster() if database == "postgres" else None
    with tempfile.TemporaryDirectory() as tmp:
        url = cluster.start() if cluster else f"sqlite:///{tmp}/bench.db"
        port = free_port()
        env = os.environ | {"DATABASE_URL": url, "RUNTIME_LOG_LEVEL": "WARNING"}
        server = subprocess.Popen(
            pinned(
                0,
                [
                    sys.executable,
                    "-m",
                    "runtime",
                    "serve",
                    "--port",
                    str(port),
                ],
            ),
            env=env,
        )
        try:
            wait_port(port)
            print(f"database: {database}")
            asyncio.run(measure(port, seconds))
        finally:
            server.terminate()
            server.wait()
            if cluster:
                cluster.stop()


if __name__ == "__main__":
    main()
