"""Execution: runs model calls for the API through routing and the drivers."""

from runtime.execution.gateway import ChatGateway

__all__ = ["ChatGateway"]
