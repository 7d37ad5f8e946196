"""/health, /version, /metrics and /system/*: liveness, identity, metrics and readiness."""

from __future__ import annotations

import msgspec
from litestar import Controller, Response, get
from litestar.di import NamedDependency

from runtime import __version__
from runtime.activity.system import DOWN, Resources, Services, SystemProbe
from runtime.observability import metrics

PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8"


class VersionOut(msgspec.Struct):
    """What this process is: package version, per-process instance id, tenancy."""

    version: str
    nodeInstanceID: str  # noqa: N815 - the API reference's spelling
    tenancy: str


class SystemController(Controller):
    """Liveness and version (open), metrics and readiness (behind the API key when set)."""

    @get("/health", media_type="text/plain")
    async def health(self) -> Response[bytes]:
        return Response(b"", status_code=200, media_type="text/plain")

    @get("/version")
    async def version(self, identity: NamedDependency[VersionOut]) -> VersionOut:
        return identity

    @get("/metrics", media_type=PROMETHEUS)
    async def metrics(self, system: NamedDependency[SystemProbe]) -> Response[bytes]:
        body = metrics.exposition(multiprocess=system.multiprocess)
        body += metrics.live(await system.gauges())
        return Response(body, media_type=PROMETHEUS)

    @get("/system/resources")
    async def resources(self, system: NamedDependency[SystemProbe]) -> Resources:
        return await system.resources()

    @get("/system/services")
    async def services(self, system: NamedDependency[SystemProbe]) -> Response[Services]:
        found = await system.services()
        return Response(found, status_code=503 if found.status == DOWN else 200)


def identity(node_instance_id: str, tenancy: str) -> VersionOut:
    return VersionOut(version=__version__, nodeInstanceID=node_instance_id, tenancy=tenancy)
