"""A lean HTTP/1.1 load generator on raw asyncio streams (keep-alive, chunked and SSE aware).

Measures latency, time to first body byte and throughput at a fixed concurrency.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field


@dataclass
class Result:
    """Latencies and first-byte times of one run, in seconds."""

    latencies: list[float] = field(default_factory=list)
    first_bytes: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0

    def pct(self, values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def summary(self) -> dict[str, float]:
        return {
            "rps": self.rps,
            "p50_ms": statistics.median(self.latencies) * 1000 if self.latencies else 0,
            "p99_ms": self.pct(self.latencies, 0.99) * 1000,
            "ttfb_p50_ms": statistics.median(self.first_bytes) * 1000 if self.first_bytes else 0,
        }


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, float]:
    """Read one response; return its status and when its first body byte arrived."""
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    length, chunked = None, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    first = 0.0
    if length is not None:
        await reader.readexactly(length)
        return status, time.perf_counter()
    if chunked:
        while True:
            size = int((await reader.readline()).strip(), 16)
            if not first:
                first = time.perf_counter()
            if size == 0:
                await reader.readline()
                return status, first
            await reader.readexactly(size + 2)
    raise RuntimeError("response without length")


async def _worker(host: str, port: int, request: bytes, deadline: float, result: Result) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            writer.write(request)
            status, first = await _read_response(reader)
            end = time.perf_counter()
            if not 200 <= status < 300:
                result.errors += 1
                continue
            result.latencies.append(end - start)
            result.first_bytes.append(first - start)
    finally:
        writer.close()


async def run(host: str, port: int, request: bytes, *, concurrency: int, seconds: float) -> Result:
    result = Result()
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(
        *(_worker(host, port, request, deadline, result) for _ in range(concurrency))
    )
    result.elapsed = time.perf_counter() - start
    return result


async def count(host: str, port: int, request: bytes, *, concurrency: int, total: int) -> int:
    """Send `total` requests over `concurrency` connections; how many were answered 2xx."""
    left, answered = total, 0

    async def worker() -> None:
        nonlocal left, answered
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while left > 0:
                left -= 1
                writer.write(request)
                status, _ = await _read_response(reader)
                answered += 200 <= status < 300
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return answered


def post(path: str, body: bytes, host: str = "127.0.0.1") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
