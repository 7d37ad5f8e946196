"""Stored task-chain definitions."""

from runtime.chainstore.service import SHIPPED, ChainService, chain_files

__all__ = ["SHIPPED", "ChainService", "chain_files"]
