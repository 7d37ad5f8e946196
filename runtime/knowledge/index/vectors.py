"""The vector index: derived, per-process state holding every chunk's unit vector by file.

Exact cosine search over one stacked matrix (numpy), rebuilt lazily after a change. The
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


def unit(vector: Sequence[float]) -> Matrix:
    """`vector` as float32 scaled to length 1 (a zero vector stays zero)."""
    array = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(array))
    return array / norm if norm > 0 else array


class _Stacked:
    """One immutable snapshot for searching: ids, file codes and the matrix, row by row."""

    def __init__(self, files: dict[str, tuple[npt.NDArray[np.int64], Matrix]], dims: int) -> None:
        self.names = list(files)
        parts = [files[name] for name in self.names]
        self.ids = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
        self.codes = (
            np.concatenate([np.full(len(p[0]), n, np.int32) for n, p in enumerate(parts)])
            if parts
            else np.zeros(0, np.int32)
        )
        self.matrix = np.vstack([p[1] for p in parts]) if parts else np.zeros((0, dims), np.float32)


class VectorIndex:
    """Unit vectors by file; `search` is CPU work and runs in a worker thread."""

    def __init__(self) -> None:
        self._files: dict[str, tuple[npt.NDArray[np.int64], Matrix]] = {}
        self._dims: int | None = None
        self._stacked: _Stacked | None = None
        self._lock = threading.Lock()

    @property
    def dims(self) -> int:
        return self._dims or 0

    @property
    def size(self) -> int:
        return sum(len(ids) for ids, _ in self._files.values())

    def put(self, file_id: str, ids: Sequence[int], vectors: Sequence[bytes]) -> None:
        """The file's chunks are these (replacing what the index held for it)."""
        if not ids:
            self.drop([file_id])
            return
        matrix = np.vstack([np.frombuffer(v, dtype=np.float32) for v in vectors])
        if self._dims is None or not self._files:
            self._dims = matrix.shape[1]
        if matrix.shape[1] != self._dims:
            log.warning(
                "file %s has %d-dimensional vectors, the index %d: left out",
                file_id,
                matrix.shape[1],
                self._dims,
            )
            return
        with self._lock:
            self._files[file_id] = (np.asarray(ids, dtype=np.int64), matrix)
            self._stacked = None

    def drop(self, file_ids: Iterable[str]) -> None:
        with self._lock:
            for file_id in file_ids:
                if self._files.pop(file_id, None) is not None:
                    self._stacked = None

    def clear(self) -> None:
        with self._lock:
            self._files, self._stacked, self._dims = {}, None, None

    def search(
        self, query: Matrix, k: int, *, allowed: set[str] | None = None, radius: float | None = None
    ) -> list[tuple[int, float]]:
        """(chunk id, cosine distance) of the `k` nearest chunks, nearest first."""
        stacked = self._snapshot()
        if stacked is None or stacked.matrix.shape[1] != query.shape[0] or not len(stacked.ids):
            return []
        # einsum's own loop for a small matrix: BLAS threads cost more than they save there
        small = stacked.matrix.size < SMALL
        scores = np.einsum("ij,j->i", stacked.matrix, query) if small else stacked.matrix @ query
        if allowed is not None:
            codes = [n for n, name in enumerate(stacked.names) if name in allowed]
            scores = np.where(np.isin(stacked.codes, codes), scores, -np.inf)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top])]
        found = []
        for row in top:
            if not np.isfinite(scores[row]):
                break
            distance = float(1.0 - scores[row])
            if radius is not None and distance > radius:
                break
            found.append((int(stacked.ids[row]), distance))
        return found

    def _snapshot(self) -> _Stacked | None:
        with self._lock:
            if self._stacked is None and self._files and self._dims is not None:
                self._stacked = _Stacked(dict(self._files), self._dims)
            return self._stacked
