"""What the operator declared: LLM backends and models."""

from runtime.registry.service import BackendService, ModelService
from runtime.registry.types import Backend, BackendKind, BackendSpec, Model, ModelSpec

__all__ = [
    "Backend",
    "BackendKind",
    "BackendService",
    "BackendSpec",
    "Model",
    "ModelService",
    "ModelSpec",
]
