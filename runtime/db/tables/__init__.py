"""Every table module, imported so that one metadata holds the whole schema."""

from runtime.db.tables import affinity, downloads, providers, registry

__all__ = ["affinity", "downloads", "providers", "registry"]
