"""The vector index: derived, per-process state holding every chunk's unit vector.

Exact cosine search over one matrix (numpy). Rows are appended in place (capacity doubles
when full) and a removed file's rows are only marked dead, so a change costs what it adds,
never a copy of the whole matrix; dead rows are compacted away once they are half of it. The
database stays the source of truth: results are checked against it before they are shown.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

log = logging.getLogger("runtime.knowledge")
Matrix = npt.NDArray[np.float32]
SMALL = 4_000_000  # components of a matrix scanned without BLAS
_FIRST_CAPACITY = 1024


def unit(vector: Sequence[float]) -> Matrix:
    """`vector` as float32 scaled to length 1 (a zero vector stays zero)."""
    array = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(array))
    return array / norm if norm > 0 else array


class _Rows:
    """The matrix and, row by row, the chunk id, the file and whether the row is alive."""

    def __init__(self, capacity: int, dims: int) -> None:
        self.matrix: Matrix = np.zeros((capacity, dims), np.float32)
        self.ids = np.zeros(capacity, np.int64)
        self.files: list[str] = [""] * capacity
        self.alive = np.zeros(capacity, bool)
        self.count = 0


class VectorIndex:
    """Unit vectors of chunks by file; `search` is CPU work, run in a worker thread if large."""

    def __init__(self) -> None:
        self._rows: _Rows | None = None
        self._where: dict[str, list[int]] = {}  # file id -> its rows
        self._live = 0
        self._lock = threading.Lock()

    @property
    def dims(self) -> int:
        return 0 if self._rows is None else int(self._rows.matrix.shape[1])

    @property
    def size(self) -> int:
        return self._live

    def put(self, file_id: str, ids: Sequence[int], vectors: Sequence[bytes]) -> None:
        """The file's chunks are these (replacing what the index held for it)."""
        self.drop([file_id])
        if not ids:
            return
        matrix = np.vstack([np.frombuffer(v, dtype=np.float32) for v in vectors])
        with self._lock:
            if self._rows is None or self._live == 0:
                self._rows = _Rows(max(_FIRST_CAPACITY, len(ids)), matrix.shape[1])
                self._where = {}
            rows = self._rows
            if matrix.shape[1] != rows.matrix.shape[1]:
                log.warning(
                    "file %s has %d-dimensional vectors, the index %d: left out",
                    file_id, matrix.shape[1], rows.matrix.shape[1],
                )  # fmt: skip
                return
            if rows.count + len(ids) > len(rows.ids):
                rows = self._rows = self._copy(rows, (rows.count + len(ids)) * 2)
            start, end = rows.count, rows.count + len(ids)
            rows.matrix[start:end] = matrix
            rows.ids[start:end] = ids
            rows.files[start:end] = [file_id] * len(ids)
            rows.alive[start:end] = True
            rows.count = end  # last: a search running now sees whole rows only
            self._where[file_id] = list(range(start, end))
            self._live += len(ids)

    def drop(self, file_ids: Iterable[str]) -> None:
        with self._lock:
            rows = self._rows
            for file_id in file_ids:
                positions = self._where.pop(file_id, None)
                if positions and rows is not None:
                    rows.alive[positions] = False
                    self._live -= len(positions)
            if rows is not None and rows.count > _FIRST_CAPACITY and self._live < rows.count // 2:
                self._rows = self._copy(rows, max(_FIRST_CAPACITY, self._live * 2))

    def clear(self) -> None:
        with self._lock:
            self._rows, self._where, self._live = None, {}, 0

    def _copy(self, rows: _Rows, capacity: int) -> _Rows:
        """The live rows in a new matrix of `capacity` rows (callers hold the lock)."""
        keep = np.flatnonzero(rows.alive[: rows.count])
        fresh = _Rows(capacity, rows.matrix.shape[1])
        fresh.matrix[: len(keep)] = rows.matrix[keep]
        fresh.ids[: len(keep)] = rows.ids[keep]
        fresh.alive[: len(keep)] = True
        fresh.count = len(keep)
        where: dict[str, list[int]] = {}
        for position, row in enumerate(keep.tolist()):
            fresh.files[position] = rows.files[row]
            where.setdefault(rows.files[row], []).append(position)
        self._where = where
        return fresh

    def search(
        self, query: Matrix, k: int, *, allowed: set[str] | None = None, radius: float | None = None
    ) -> list[tuple[int, float]]:
        """(chunk id, cosine distance) of the `k` nearest chunks, nearest first."""
        rows = self._rows
        if rows is None or rows.matrix.shape[1] != query.shape[0]:
            return []
        count = rows.count
        if not count:
            return []
        matrix = rows.matrix[:count]
        # einsum's own loop for a small matrix: BLAS threads cost more than they save there
        small = matrix.size < SMALL
        scores = np.einsum("ij,j->i", matrix, query) if small else matrix @ query
        alive = rows.alive[:count]
        if allowed is not None:
            alive = alive & np.fromiter((f in allowed for f in rows.files[:count]), bool, count)
        scores = np.where(alive, scores, -np.inf)
        k = min(k, count)
        top = np.argpartition(-scores, k - 1)[:k] if k < count else np.arange(count)
        top = top[np.argsort(-scores[top])]
        found = []
        for row in top:
            if not np.isfinite(scores[row]):
                break
            distance = float(1.0 - scores[row])
            if radius is not None and distance > radius:
                break
            found.append((int(rows.ids[row]), distance))
        return found
