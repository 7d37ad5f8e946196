"""Knowledge benchmark: indexing throughput, index rebuild, and search latency.

Run by hand: `python bench/knowledge.py [chunks] [dims] [sqlite|postgres]` (defaults 20000,
768, sqlite) on a fresh SQLite file or a throwaway PostgreSQL cluster (as `bench/ingest.py`).
Prints, each against a baseline measured in the same run:
* indexing chunks/s end to end (upload, lease, extract, chunk, embed with an instant fake
  embedder, store, job done) against bare `add_chunks` inserts of the same chunks;
* the vector index rebuilt from the database, and RSS;
* hybrid, vector and keyword search p50/p99 at c=1 against a bare numpy scan of the matrix.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runtime.db import Database
from runtime.db.migrate import upgrade
from runtime.identity.acl import AccessService
from runtime.knowledge import FileService, Scope, Upload
from runtime.knowledge.access import Visibility
from runtime.knowledge.index import store as chunk_store
from runtime.knowledge.index.keeper import IndexKeeper
from runtime.knowledge.index.vectors import unit
from runtime.knowledge.indexer import Indexer, IndexPolicy
from runtime.knowledge.pipeline import IndexPipeline
from runtime.knowledge.search import Mode, Query, SearchService
from tests.postgres import PostgresCluster

WORDS = [f"w{n}" for n in range(5000)]
CHUNK = 1000  # characters a chunk
PER_FILE = 50  # chunks a file


class InstantEmbedder:
    """Deterministic vectors at once: a hash of the text seeds the generator."""

    def __init__(self, dims: int) -> None:
        self.dims = dims

    async def embed(self, texts: list[str]) -> list[list[float]]:
        return [self._one(t) for t in texts]

    def _one(self, text: str) -> list[float]:
        seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest())
        return np.random.default_rng(seed).standard_normal(self.dims, np.float32).tolist()


def document(rng: random.Random, chunks: int) -> bytes:
    words, size = [], 0
    while size < chunks * (CHUNK - 120):
        words.append(rng.choice(WORDS))
        size += len(words[-1]) + 1
    return " ".join(words).encode()


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.99) - 1] * 1000


async def index_all(db: Database, total: int, dims: int) -> tuple[float, int]:
    rng = random.Random(7)
    files = FileService(db, Visibility(db, AccessService(db)))
    for n in range(max(1, total // PER_FILE)):
        content = document(rng, PER_FILE)
        await files.create(
            Upload(
                content=io.BytesIO(content),
                size=len(content),
                content_type="text/plain",
                filename=f"doc{n}.txt",
            )
        )
    keeper = IndexKeeper(db, "bench")
    pipeline = IndexPipeline(db, InstantEmbedder(dims), keeper)
    indexer = Indexer(db, pipeline, leaser_id="bench", policy=IndexPolicy(chunk_size=CHUNK))
    started = time.perf_counter()
    while await indexer.run_once():
        pass
    elapsed = time.perf_counter() - started
    return elapsed, keeper.index.size


async def baseline_inserts(db: Database, count: int, dims: int) -> float:
    """The floor: the same number of chunk rows written by the store alone."""
    files = FileService(db, Visibility(db, AccessService(db)))
    entry = await files.create(
        Upload(content=io.BytesIO(b"x"), size=1, content_type="text/plain", filename="floor.txt")
    )
    vector = unit(np.ones(dims)).tobytes()
    rows = [chunk_store.StoredChunk(text="w1 " * 300, vector=vector, keywords=["w1"])] * 500
    started = time.perf_counter()
    for first in range(0, count, len(rows)):
        async with db.transaction() as session:
            await chunk_store.add_chunks(session, entry.node.id, first, rows)
    elapsed = time.perf_counter() - started
    await files.delete(entry.node.id, entry.node.kind)
    return elapsed


async def searches(service: SearchService, mode: Mode, runs: int) -> list[float]:
    rng = random.Random(3)
    times = []
    for _ in range(runs):
        text = " ".join(rng.choice(WORDS) for _ in range(4))
        started = time.perf_counter()
        await service.search(Query(text=text, topk=10, mode=mode, scope=Scope()))
        times.append(time.perf_counter() - started)
    return times


def bare_scan(keeper: IndexKeeper, dims: int, runs: int) -> list[float]:
    rows = keeper.index._rows  # the same matrix, scanned bare
    assert rows is not None
    matrix = rows.matrix[: rows.count]
    times = []
    for n in range(runs):
        query = unit(np.random.default_rng(n).standard_normal(dims))
        started = time.perf_counter()
        scores = matrix @ query
        np.argpartition(-scores, 10)[:10]
        times.append(time.perf_counter() - started)
    return times


def recall(keeper: IndexKeeper, dims: int, runs: int) -> float:
    """Share of the exact top 10 (numpy over every live row) that the index's search returns."""
    rows = keeper.index._rows
    assert rows is not None
    matrix, ids = rows.matrix[: rows.count], rows.ids[: rows.count]
    alive = rows.alive[: rows.count]
    found = 0
    for n in range(runs):
        query = unit(np.random.default_rng(10_000 + n).standard_normal(dims))
        scores = np.where(alive, matrix @ query, -np.inf)
        exact = set(ids[np.argpartition(-scores, 10)[:10]].tolist())
        found += len(exact & {chunk for chunk, _ in keeper.index.search(query, 10)})
    return found / (10 * runs)


async def main(total: int, dims: int, url: str) -> None:
    await upgrade(url)
    db = Database(url)
    elapsed, indexed = await index_all(db, total, dims)
    floor = await baseline_inserts(db, indexed, dims)
    print(f"database: {url.split(':', maxsplit=1)[0]}, {indexed} chunks of {dims} dimensions")
    print(
        f"indexing end to end: {indexed / elapsed:,.0f} chunks/s "
        f"(bare inserts {indexed / floor:,.0f} chunks/s, ratio {floor / elapsed:.2f})"
    )
    embedder = InstantEmbedder(dims)
    keeper = IndexKeeper(db, "bench")
    started = time.perf_counter()
    await keeper.run_once()
    print(
        f"index rebuilt from the database in {time.perf_counter() - started:.2f} s, "
        f"RSS {rss_mib():,.0f} MiB"
    )
    service = SearchService(db, embedder, keeper, Visibility(db, AccessService(db)))
    runs = 200
    bare = percentiles(bare_scan(keeper, dims, runs))
    print(f"bare numpy scan: p50 {bare[0]:.2f} ms, p99 {bare[1]:.2f} ms (baseline)")
    print(f"vector recall@10 against the bare exact scan: {recall(keeper, dims, runs):.3f}")
    for mode in Mode:
        p50, p99 = percentiles(await searches(service, mode, runs))
        print(
            f"{mode.value:>7} search c=1: p50 {p50:.2f} ms, p99 {p99:.2f} ms "
            f"({p50 / bare[0]:.1f}x / {p99 / bare[1]:.1f}x the bare scan)"
        )
    p50, p99 = percentiles(await during_indexing(db, service, keeper, dims, runs))
    print(f" hybrid search while indexing: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    await db.dispose()


async def during_indexing(
    db: Database, service: SearchService, keeper: IndexKeeper, dims: int, runs: int
) -> list[float]:
    """Hybrid searches while the indexer works through 40 more files in the same process."""
    rng = random.Random(11)
    files = FileService(db, Visibility(db, AccessService(db)))
    for n in range(40):
        content = document(rng, PER_FILE)
        await files.create(
            Upload(content=io.BytesIO(content), size=len(content), content_type="text/plain",
                   filename=f"more{n}.txt")
        )  # fmt: skip
    pipeline = IndexPipeline(db, InstantEmbedder(dims), keeper)
    indexer = Indexer(db, pipeline, leaser_id="bench-2", policy=IndexPolicy(chunk_size=CHUNK))

    async def index() -> None:
        while await indexer.run_once():
            pass

    work = asyncio.ensure_future(index())
    times = await searches(service, Mode.HYBRID, runs)
    await work
    return times


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    dimensions = int(sys.argv[2]) if len(sys.argv) > 2 else 768
    cluster = PostgresCluster() if sys.argv[3:] == ["postgres"] else None
    try:
        database = (
            cluster.start()
            if cluster
            else f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='kbench')}/bench.db"
        )
        asyncio.run(main(size, dimensions, database))
    finally:
        if cluster is not None:
            cluster.stop()
