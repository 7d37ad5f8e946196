"""Chat-turn benchmark: what a `/chats` turn adds to the same chain run through `/tasks`.

Run by hand: `python bench/chats.py [rounds] [sqlite|postgres]` (postgres starts a throwaway
cluster). Our server (`runtime-api serve`) is pinned to core 0; the fast fake backend, this
client and PostgreSQL share core 1. Twenty chats are filled with 50 turns each; then, turn by
turn (concurrency 1), a chat turn is timed against `POST /tasks` running the shipped `chat`
chain on the very messages the turn sends (the same history, so the same model call). It prints
p50 latency and our server's CPU time per request for both, and the difference: history load,
fitting and storing. Target: at most 2 ms. Then 100 chats stream one turn each at once: every
stream must end with `done` and every turn be stored.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from runtime.chainstore import SHIPPED

sys.path.insert(0, str(Path(__file__).resolve().parent))

from proxy import HERE, cpu_seconds, free_port, pin_tree, pinned, register, wait_port

sys.path.insert(0, str(HERE.parent))
from tests.postgres import PostgresCluster

CHATS = 20
STORED_TURNS = 50
STREAMS = 100
CHAIN = json.loads((SHIPPED / "chat.json").read_text())


async def fill(api: httpx.AsyncClient) -> list[str]:
    """Chats with `STORED_TURNS` turns each, filled concurrently."""
    ids = []
    for n in range(CHATS):
        created = await api.post("/chats", json={"subject": f"bench {n}", "model": "bench"})
        ids.append(created.json()["id"])

    async def turns(chat_id: str) -> None:
        for n in range(STORED_TURNS):
            answered = await api.post(f"/chats/{chat_id}/chat", json={"message": f"question {n}"})
            answered.raise_for_status()

    await asyncio.gather(*(turns(chat_id) for chat_id in ids))
    return ids


async def task_body(api: httpx.AsyncClient, chat_id: str, text: str) -> dict[str, Any]:
    """The /tasks request that runs the chat's chain on the messages its next turn sends."""
    history = (await api.get(f"/chats/{chat_id}")).json()["messages"]
    messages = [{"role": m["role"], "content": m["content"]} for m in history]
    messages.append({"role": "user", "content": text})
    chat_input = {"model": "bench", "messages": messages}
    return {"chain": CHAIN, "inputType": "openai_chat", "input": chat_input}


async def timed(
    api: httpx.AsyncClient, pid: int, requests: list[tuple[str, Any]]
) -> tuple[float, float]:
    """p50 latency and server CPU seconds per request over `requests`."""
    samples = []
    before = cpu_seconds(pid)
    for path, body in requests:
        started = time.perf_counter()
        response = await api.post(path, json=body)
        samples.append(time.perf_counter() - started)
        response.raise_for_status()
    return statistics.median(samples), (cpu_seconds(pid) - before) / len(requests)


async def overhead(base: str, pid: int, rounds: int) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as api:
        started = time.perf_counter()
        ids = await fill(api)
        print(
            f"filled {CHATS} chats x {STORED_TURNS} turns in {time.perf_counter() - started:.1f} s"
        )
        for _ in range(2):  # warm both paths
            await api.post("/tasks", json=await task_body(api, ids[0], "warm"))
        tasks = [("/tasks", await task_body(api, chat_id, "next")) for chat_id in ids]
        turns = [(f"/chats/{chat_id}/chat", {"message": "next"}) for chat_id in ids]
        results: dict[str, list[tuple[float, float]]] = {"tasks": [], "chat": []}
        for _ in range(rounds):  # interleaved, so drift hits both alike
            results["tasks"].append(await timed(api, pid, tasks))
            results["chat"].append(await timed(api, pid, turns))
        task_p50 = statistics.median(r[0] for r in results["tasks"])
        task_cpu = statistics.median(r[1] for r in results["tasks"])
        chat_p50 = statistics.median(r[0] for r in results["chat"])
        chat_cpu = statistics.median(r[1] for r in results["chat"])
        print(
            f"/tasks (baseline), same chain and history: p50 {task_p50 * 1e3:.2f} ms, "
            f"server cpu {task_cpu * 1e3:.2f} ms"
        )
        print(
            f"chat turn at {STORED_TURNS}+ stored turns:      p50 {chat_p50 * 1e3:.2f} ms, "
            f"server cpu {chat_cpu * 1e3:.2f} ms"
        )
        print(
            f"turn adds p50 {(chat_p50 - task_p50) * 1e3:+.2f} ms (x{chat_p50 / task_p50:.2f}), "
            f"server cpu {(chat_cpu - task_cpu) * 1e3:+.2f} ms (x{chat_cpu / task_cpu:.2f})"
        )


async def streams(base: str) -> None:
    """`STREAMS` chats each streaming one turn at once: all complete, all stored."""
    async with httpx.AsyncClient(
        base_url=base, timeout=120, limits=httpx.Limits(max_connections=STREAMS)
    ) as api:
        ids = [
            (await api.post("/chats", json={"subject": "s", "model": "bench"})).json()["id"]
            for _ in range(STREAMS)
        ]

        async def one(chat_id: str) -> bool:
            body = {"message": "stream please", "stream": True}
            last = ""
            async with api.stream("POST", f"/chats/{chat_id}/chat", json=body) as response:
                async for line in response.aiter_lines():
                    if line.startswith("event: "):
                        last = line[7:]
            return last == "done"

        started = time.perf_counter()
        done = await asyncio.gather(*(one(chat_id) for chat_id in ids))
        took = time.perf_counter() - started
        stored = 0
        for chat_id in ids:
            messages = (await api.get(f"/chats/{chat_id}")).json()["messages"]
            stored += len(messages) == 2 and messages[1]["status"] == "complete"
        print(
            f"{STREAMS} streams at once: {sum(done)} ended with done, {stored} turns stored, "
            f"{took:.2f} s"
        )


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    database = sys.argv[2] if len(sys.argv) > 2 else "sqlite"
    cluster = PostgresCluster() if database == "postgres" else None
    fake_port, our_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        url = cluster.start() if cluster else f"sqlite:///{tmp}/bench.db"
        if cluster:  # PostgreSQL works beside the backend, off our server's core
            pin_tree(int((cluster.dir / "data" / "postmaster.pid").read_text().split()[0]), 1)
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
            "DATABASE_URL": url,
            "RUNTIME_RECONCILE_INTERVAL": "5",
            "RUNTIME_LOG_LEVEL": "WARNING",
            "RUNTIME_CHAINS_DIR": str(SHIPPED),
        }
        ours = subprocess.Popen(
            pinned(0, [sys.executable, "-m", "runtime", "serve", "--port", str(our_port)]), env=env
        )
        try:
            wait_port(fake_port)
            wait_port(our_port)
            if shutil.which("taskset"):
                os.sched_setaffinity(0, {1})
            print(f"database: {database}")
            base = f"http://127.0.0.1:{our_port}"
            asyncio.run(register(base, f"http://127.0.0.1:{fake_port}/v1"))
            asyncio.run(overhead(base, ours.pid, rounds))
            asyncio.run(streams(base))
        finally:
            for process in (ours, fake):
                process.terminate()
                process.wait()
            if cluster:
                cluster.stop()


if __name__ == "__main__":
    main()
