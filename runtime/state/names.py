"""Model name normalisation: `llama3` and `llama3:latest` are one model. Pure."""

from __future__ import annotations


def canonical(name: str) -> str:
    """The comparable form of a model name: tagged (`:latest` by default), no `models/` prefix."""
    name = name.strip().removeprefix("models/")
    last = name.rsplit("/", 1)[-1]
    return name if ":" in last else f"{name}:latest"
