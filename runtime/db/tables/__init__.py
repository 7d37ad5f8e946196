"""Every table module, imported so that one metadata holds the whole schema."""

from runtime.db.tables import (
    activity,
    affinity,
    chains,
    downloads,
    events,
    functions,
    hooks,
    providers,
    registry,
)

__all__ = [
    "activity",
    "affinity",
    "chains",
    "downloads",
    "events",
    "functions",
    "hooks",
    "providers",
    "registry",
]
