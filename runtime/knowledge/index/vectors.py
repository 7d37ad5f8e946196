"""The vector index: derived, per-process state holding every chunk's unit vector.

Cosine search over one matrix (numpy). A small matrix is scanned exactly. A large one is
scanned first in int8 (each row scaled to its largest component; the SIMD integer kernel of
`numkong` reads a quarter of the bytes, about 4x faster than BLAS on float32), and the best
`CANDIDATES` rows are then scored exactly in float32, so the order and distances returned are
exact; a row is missed only if rounding moves it past hundreds of others (recall@10 measured
1.0 at 104k random 768-dimensional vectors, the hardest case for it, `bench/knowledge.py`).

Rows are appended in place (capacity doubles when full) and a removed file's rows are only
marked dead, so a change costs what it adds, never a copy of the whole matrix; dead rows are
compacted away once they are half of it. The database stays the source of truth: results are
checked against it before they are shown.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence

import numkong
import numpy as np
import numpy.typing as npt

log = logging.getLogger("runtime.knowledge")
Matrix = npt.NDArray[np.float32]
SMALL = 4_000_000  # components of a matrix scanned without BLAS
APPROXIMATE = 4_000_000  # components from which the int8 pass comes first
CANDIDATES = 256  # rows the int8 pass hands to the exact score, at least (4 per result asked)
_LEVELS = 127.0
_FIRST_CAPACITY = 1024


def unit(vector: Sequence[float]) -> Matrix:
    """`vector` as float32 scaled to length 1 (a zero vector stays zero)."""
    array = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(array))
    return array / norm if norm > 0 else array


def quantized(matrix: Matrix) -> tuple[npt.NDArray[np.int8], Matrix]:
    """Each row in int8 (its largest component at 127) and the factor that undoes it."""
    undo = (np.abs(matrix).max(axis=1, initial=0.0) / _LEVELS).astype(np.float32)
    scale = np.divide(1.0, undo, out=np.zeros_like(undo), where=undo > 0)
    return np.rint(matrix * scale[:, None]).astype(np.int8), undo


class _Rows:
    """The matrix and, row by row, the chunk id, the file and whether the row is alive."""

    def __init__(self, capacity: int, dims: int) -> None:
        self.matrix: Matrix = np.zeros((capacity, dims), np.float32)
        self.codes = np.zeros((capacity, dims), np.int8)  # the matrix in int8, row by row
        self.undo: Matrix = np.zeros(capacity, np.float32)  # a row's int8 dot back to float
        self.ids = np.zeros(capacity, np.int64)
        self.files: list[str] = [""] * capacity
        self.alive = np.zeros(capacity, bool)
        self.count = 0


class VectorIndex:
    """Unit vectors of chunks by file; `search` is CPU work, run in a worker thread if large."""

    def __init__(self, *, approximate: int = APPROXIMATE) -> None:
        self._approximate = approximate  # components from which the int8 pass runs first
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
            rows.codes[start:end], rows.undo[start:end] = quantized(matrix)
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
        fresh.codes[: len(keep)] = rows.codes[keep]
        fresh.undo[: len(keep)] = rows.undo[keep]
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
        alive = rows.alive[:count]
        if allowed is not None:
            alive = alive & np.fromiter((f in allowed for f in rows.files[:count]), bool, count)
        k = min(k, count)
        pool = max(CANDIDATES, 4 * k)
        if count * rows.matrix.shape[1] >= self._approximate and pool < count:
            positions, scores = _rescored(rows, count, query, alive, pool)
        else:
            positions, scores = np.arange(count), _exact(rows.matrix[:count], query)
            scores = np.where(alive, scores, -np.inf)
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top])]
        found = []
        for at in top:
            if not np.isfinite(scores[at]):
                break
            distance = float(1.0 - scores[at])
            if radius is not None and distance > radius:
                break
            found.append((int(rows.ids[positions[at]]), distance))
        return found


def _exact(matrix: Matrix, query: Matrix) -> Matrix:
    # einsum's own loop for a small matrix: BLAS threads cost more than they save there
    return np.einsum("ij,j->i", matrix, query) if matrix.size < SMALL else matrix @ query


def _rescored(
    rows: _Rows, count: int, query: Matrix, alive: npt.NDArray[np.bool_], pool: int
) -> tuple[npt.NDArray[np.intp], Matrix]:
    """The `pool` best rows by the int8 pass (live ones first) and their exact scores."""
    codes, _ = quantized(query[None, :])  # its own scale changes no order
    dots = numkong.cdist(rows.codes[:count], codes, metric="dot", out_dtype="float32")
    rough = np.asarray(dots).reshape(count) * rows.undo[:count]
    rough = np.where(alive, rough, -np.inf)
    positions = np.argpartition(-rough, pool - 1)[:pool]
    scores = rows.matrix[positions] @ query
    return positions, np.where(alive[positions], scores, -np.inf)
