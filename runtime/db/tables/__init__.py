"""Every table module, imported so that one metadata holds the whole schema."""

from runtime.db.tables import (
    affinity,
    chains,
    downloads,
    events,
    functions,
    hooks,
    jobs,
    knowledge,
    providers,
    registry,
)

__all__ = [
    "affinity",
    "chains",
    "downloads",
    "events",
    "functions",
    "hooks",
    "jobs",
    "knowledge",
    "providers",
    "registry",
]
