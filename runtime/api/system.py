"""/health and /version: liveness and identity of this process."""

from __future__ import annotations

import msgspec
from litestar import Controller, Response, get
from litestar.di import NamedDependency

from runtime import __version__


class VersionOut(msgspec.Struct):
    """What this process is: package version, per-process instance id, tenancy."""

    version: str
    nodeInstanceID: str  # noqa: N815 - the API reference's spelling
    tenancy: str


class SystemController(Controller):
    """Unauthenticated liveness and version routes."""

    @get("/health", media_type="text/plain")
    async def health(self) -> Response[bytes]:
        return Response(b"", status_code=200, media_type="text/plain")

    @get("/version")
    async def version(self, identity: NamedDependency[VersionOut]) -> VersionOut:
        return identity


def identity(node_instance_id: str, tenancy: str) -> VersionOut:
    return VersionOut(version=__version__, nodeInstanceID=node_instance_id, tenancy=tenancy)
