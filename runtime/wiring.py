"""build_services: every service of the process, built from settings and shared resources."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from runtime.affinity import GroupService
from runtime.api.system import VersionOut, identity
from runtime.config import Settings
from runtime.db import Database
from runtime.providerconfig import ProviderService, SecretBox
from runtime.registry import BackendService, ModelService


@dataclass(frozen=True)
class Services:
    """The services the API uses; each attribute name is a dependency name in handlers."""

    backends: BackendService
    models: ModelService
    groups: GroupService
    providers: ProviderService
    identity: VersionOut


def build_services(settings: Settings, db: Database) -> Services:
    immutable = frozenset({settings.embed_model.model} if settings.embed_model else ())
    return Services(
        backends=BackendService(db, max_rows=settings.max_rows),
        models=ModelService(db, max_rows=settings.max_rows, immutable=immutable),
        groups=GroupService(db, max_rows=settings.max_rows),
        providers=ProviderService(
            db, secrets=SecretBox(settings.secret_key), max_rows=settings.max_rows
        ),
        identity=identity(uuid.uuid4().hex[:8], settings.tenancy),
    )
