"""Every table module, imported so that one metadata holds the whole schema."""

from runtime.db.tables import (
    activity,
    affinity,
    chains,
    chats,
    downloads,
    events,
    functions,
    hooks,
    identity,
    jobs,
    knowledge,
    providers,
    registry,
)

__all__ = [
    "activity",
    "affinity",
    "chains",
    "chats",
    "downloads",
    "events",
    "functions",
    "hooks",
    "identity",
    "jobs",
    "knowledge",
    "providers",
    "registry",
]
