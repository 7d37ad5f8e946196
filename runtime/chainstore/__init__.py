"""Stored task-chain definitions."""

from runtime.chainstore.service import ChainService, chain_files

__all__ = ["ChainService", "chain_files"]
