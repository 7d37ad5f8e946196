"""The vector index: the int8 pass with exact rescoring answers what an exact scan answers."""

from __future__ import annotations

import numpy as np
import pytest

from runtime.knowledge.index.vectors import VectorIndex, quantized, unit

DIMS = 64
FILES = 30
PER_FILE = 100  # 3,000 rows: above the 256 candidates the int8 pass hands on


def vectors(seed: int, count: int) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((count, DIMS)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def filled(index: VectorIndex) -> VectorIndex:
    rows = vectors(1, FILES * PER_FILE)
    for n in range(FILES):
        part = rows[n * PER_FILE : (n + 1) * PER_FILE]
        ids = list(range(n * PER_FILE + 1, (n + 1) * PER_FILE + 1))
        index.put(f"f{n}", ids, [row.tobytes() for row in part])
    return index


@pytest.fixture
def pair() -> tuple[VectorIndex, VectorIndex]:
    """The same rows twice: always through the int8 pass, and always scanned exactly."""
    return filled(VectorIndex(approximate=0)), filled(VectorIndex(approximate=10**12))


def same(found: list[tuple[int, float]], expected: list[tuple[int, float]]) -> None:
    assert [chunk for chunk, _ in found] == [chunk for chunk, _ in expected]
    assert [d for _, d in found] == pytest.approx([d for _, d in expected], abs=1e-5)


def test_the_int8_pass_returns_the_nearest_rows_and_distances_of_an_exact_scan(
    pair: tuple[VectorIndex, VectorIndex],
) -> None:
    rough, exact = pair
    for query in vectors(2, 25):
        for k in (1, 10, 50):
            same(rough.search(query, k), exact.search(query, k))


def test_a_query_near_a_stored_row_finds_that_row_first(
    pair: tuple[VectorIndex, VectorIndex],
) -> None:
    rough, _ = pair
    stored = vectors(1, FILES * PER_FILE)[1234]
    nearby = unit(stored + 0.05 * vectors(3, 1)[0])
    assert rough.search(nearby, 1)[0][0] == 1235


def test_rows_of_dropped_and_disallowed_files_never_come_back(
    pair: tuple[VectorIndex, VectorIndex],
) -> None:
    rough, exact = pair
    for index in pair:
        index.drop(["f0", "f1"])
    allowed = {f"f{n}" for n in range(0, FILES, 3)}
    for query in vectors(4, 10):
        found = rough.search(query, 40, allowed=allowed)
        assert all(chunk > 2 * PER_FILE for chunk, _ in found)
        assert all(f"f{(chunk - 1) // PER_FILE}" in allowed for chunk, _ in found)
        same(found, exact.search(query, 40, allowed=allowed))


def test_the_radius_bounds_the_distance_after_rescoring(
    pair: tuple[VectorIndex, VectorIndex],
) -> None:
    rough, exact = pair
    query = vectors(5, 1)[0]
    nearest = exact.search(query, 20)
    radius = nearest[9][1]
    found = rough.search(query, 20, radius=radius)
    assert found
    assert all(distance <= radius for _, distance in found)
    same(found, exact.search(query, 20, radius=radius))


def test_fewer_allowed_rows_than_candidates_yields_only_allowed_rows() -> None:
    index = filled(VectorIndex(approximate=0))  # 3,000 rows, 100 of them allowed
    found = index.search(vectors(6, 1)[0], 60, allowed={"f7"})  # 256 candidates
    assert len(found) == 60
    assert all(7 * PER_FILE < chunk <= 8 * PER_FILE for chunk, _ in found)


def test_quantized_rows_keep_their_largest_component_at_127_and_zero_rows_zero() -> None:
    rows = np.vstack([vectors(7, 3), np.zeros((1, DIMS), np.float32)])
    codes, undo = quantized(rows)
    assert codes.dtype == np.int8
    assert (np.abs(codes[:3]).max(axis=1) == 127).all()
    assert not codes[3].any()
    assert undo[3] == 0
    assert np.abs(codes[:3] * undo[:3, None] - rows[:3]).max() <= undo[:3].max() / 2 + 1e-7
