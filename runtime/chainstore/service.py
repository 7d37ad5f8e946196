"""ChainService: task chains validated when stored, upserted by id, seeded from a directory.

Chains are read on every chain request, so reads go through a cache of at most `CHAIN_TTL`
seconds (this process's own changes clear their entry at once).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from runtime import errors, yamldoc
from runtime.cache import TtlCache
from runtime.chainstore import store
from runtime.config import ConfigError
from runtime.db import Database
from runtime.paging import PageRequest
from runtime.taskengine.schema import ChainDefinition, chain_to_builtins, decode_chain
from runtime.taskengine.validate import validate_chain

log = logging.getLogger(__name__)
CHAIN_TTL = 1.0
YAML_SUFFIXES = frozenset({".yaml", ".yml"})


def check_storable(chain: ChainDefinition) -> None:
    """The reference's two store checks, then our static validation (unique ids, targets...)."""
    if not chain.id.strip():
        raise errors.InvalidInputError("task chain ID is required", param="id")
    if not chain.tasks:
        raise errors.InvalidInputError("task chain must contain at least one task", param="tasks")
    validate_chain(chain)


class ChainService:
    """Stored task chains, as JSON definitions."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._clock = clock
        self._cache: TtlCache[str, ChainDefinition] = TtlCache(CHAIN_TTL, clock=monotonic)

    async def save(self, chain: ChainDefinition) -> ChainDefinition:
        """Create or overwrite the chain with this id (its creation time is kept)."""
        check_storable(chain)
        async with self._db.transaction(on_commit=lambda: self._cache.forget(chain.id)) as session:
            await store.upsert(session, chain.id, chain_to_builtins(chain), self._clock())
        return chain

    async def get(self, chain_id: str) -> ChainDefinition:
        """The stored chain (read from the database at most once a `CHAIN_TTL`)."""
        return await self._cache.get(chain_id, self._load)

    async def _load(self, chain_id: str) -> ChainDefinition:
        async with self._db.transaction() as session:
            return decode_chain(await store.get(session, chain_id))

    async def list_page(self, page: PageRequest) -> list[ChainDefinition]:
        async with self._db.transaction() as session:
            found = await store.list_page(session, page)
        return [decode_chain(definition) for definition in found]

    async def replace(self, chain_id: str, chain: ChainDefinition) -> ChainDefinition:
        if chain.id and chain.id != chain_id:
            raise errors.InvalidInputError(
                f"task chain ID in body ({chain.id!r}) does not match the path ({chain_id!r})",
                param="id",
            )
        chain = msgspec.structs.replace(chain, id=chain_id)
        check_storable(chain)
        async with self._db.transaction(on_commit=lambda: self._cache.forget(chain_id)) as session:
            await store.replace(session, chain_id, chain_to_builtins(chain), self._clock())
        return chain

    async def delete(self, chain_id: str) -> None:
        async with self._db.transaction(on_commit=lambda: self._cache.forget(chain_id)) as session:
            await store.delete(session, chain_id)

    async def seed(self, files: list[tuple[Path, bytes]]) -> None:
        """Upsert chain files (JSON or YAML, see `chain_files`); a bad one stops start-up."""
        for path, content in files:
            try:
                data = yamldoc.load(content) if path.suffix in YAML_SUFFIXES else content
                await self.save(decode_chain(data))
            except yamldoc.YamlError as exc:
                raise ConfigError(f"chain file {path}: invalid YAML: {exc}") from exc
            except errors.Error as exc:
                raise ConfigError(f"chain file {path}: {exc.message}") from exc
        if files:
            log.info("loaded %d task chains", len(files))


# the chains installed with the package (`chat`, `rag`): seeded at start before the user's
SHIPPED = Path(__file__).resolve().parent / "shipped"


def chain_files(directory: Path) -> list[tuple[Path, bytes]]:
    """Every `*.json`, `*.yaml` and `*.yml` of `directory` with its content, by name."""
    if not directory.is_dir():
        return []
    paths = [p for p in directory.iterdir() if p.suffix in {".json", *YAML_SUFFIXES}]
    return [(path, path.read_bytes()) for path in sorted(paths)]
