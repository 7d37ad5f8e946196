"""Every table module, imported so that one metadata holds the whole schema."""

from runtime.db.tables import (
    affinity,
    chains,
    chats,
    downloads,
    events,
    functions,
    hooks,
    providers,
    registry,
)

__all__ = [
    "affinity",
    "chains",
    "chats",
    "downloads",
    "events",
    "functions",
    "hooks",
    "providers",
    "registry",
]
