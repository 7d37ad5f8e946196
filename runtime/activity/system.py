"""SystemProbe: this process's resources and the state of every service it depends on.

`/system/services` is the readiness check: `down` when the database does not answer (the
process can do nothing), `degraded` with the reasons when a backend, a background loop or the
sandbox is not well, `up` otherwise. `/health` stays the cheap liveness check.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
import psutil
from sqlalchemy import text

from runtime.activity import store
from runtime.db import Database
from runtime.routing import Health
from runtime.sandbox import Sandbox
from runtime.state import SnapshotHolder

UP, DEGRADED, DOWN = "up", "degraded", "down"


class ServiceState(msgspec.Struct, kw_only=True):
    """One dependency: up, degraded or down, and why."""

    name: str
    kind: str  # database, backend, loop, sandbox
    status: str
    reason: str | None = None


class Services(msgspec.Struct, kw_only=True):
    """Readiness: the overall state and each dependency's."""

    status: str
    services: list[ServiceState]


class Resources(msgspec.Struct, kw_only=True):
    """This process's use of the machine, its pools and queues."""

    pid: int
    cpuUserSeconds: float  # noqa: N815
    cpuSystemSeconds: float  # noqa: N815
    cpuPercent: float  # noqa: N815
    rssBytes: int  # noqa: N815
    threads: int
    openFiles: int  # noqa: N815
    connections: int
    eventLoopLagMs: float  # noqa: N815
    uptimeSeconds: float  # noqa: N815
    pools: dict[str, Any]
    queues: dict[str, int]


@dataclass(frozen=True)
class Probes:
    """Where the probe reads each part of the process."""

    backends: Callable[[], list[ServiceState]]
    sandbox: Callable[[], ServiceState]
    pools: Callable[[], dict[str, Any]]
    unsaved: Callable[[], int]
    in_flight: Callable[[], dict[str, int]]


class SystemProbe:
    """Reads the process and asks each dependency how it is."""

    def __init__(
        self, db: Database, probes: Probes, *, timeout: float = 2.0, multiprocess: bool = False
    ) -> None:
        self.multiprocess = multiprocess
        self.in_flight = probes.in_flight
        self._db = db
        self._backends = probes.backends
        self._sandbox = probes.sandbox
        self._pools = probes.pools
        self._unsaved = probes.unsaved
        self._timeout = timeout
        self._process = psutil.Process(os.getpid())
        self._started = time.time()
        self.loops: Callable[[], Mapping[str, str]] = dict  # set by the app: loop -> state

    async def depths(self) -> dict[str, int]:
        async with asyncio.timeout(self._timeout), self._db.transaction() as session:
            return await store.depths(session)

    async def gauges(self) -> list[tuple[str, str, list[tuple[dict[str, str], float]]]]:
        """What `/metrics` reads at scrape time: in flight per backend, queue depths."""
        depths = await self.depths()
        return [
            (
                "runtime_backend_in_flight",
                "Requests in flight per backend",
                [({"backend": name}, float(n)) for name, n in sorted(self.in_flight().items())],
            ),
            ("runtime_pull_queue_depth", "Pulls queued", [({}, float(depths["pulls"]))]),
            (
                "runtime_delivery_queue_depth",
                "Trigger deliveries due",
                [({}, float(depths["deliveries"]))],
            ),
            (
                "runtime_activity_unsaved",
                "Activity records waiting to be stored",
                [({}, float(self._unsaved()))],
            ),
        ]

    async def resources(self) -> Resources:
        lag = await _loop_lag()
        proc = self._process
        with proc.oneshot():
            cpu = proc.cpu_times()
            memory = proc.memory_info()
            threads = proc.num_threads()
            files = proc.num_fds() if hasattr(proc, "num_fds") else len(proc.open_files())
            connections = len(proc.net_connections(kind="inet"))
            percent = proc.cpu_percent(None)
        queues = await self.depths()
        queues["activityUnsaved"] = self._unsaved()
        return Resources(
            pid=proc.pid,
            cpuUserSeconds=cpu.user,
            cpuSystemSeconds=cpu.system,
            cpuPercent=percent,
            rssBytes=memory.rss,
            threads=threads,
            openFiles=files,
            connections=connections,
            eventLoopLagMs=round(lag * 1000, 3),
            uptimeSeconds=round(time.time() - self._started, 3),
            pools=self._pools() | {"database": _database_pool(self._db)},
            queues=queues,
        )

    async def services(self) -> Services:
        found = [await self._database(), *self._backends(), self._sandbox()]
        found += [
            ServiceState(
                name=name,
                kind="loop",
                status=UP if state == "running" else DEGRADED,
                reason=None if state == "running" else state,
            )
            for name, state in sorted(self.loops().items())
        ]
        if found[0].status == DOWN:
            overall = DOWN
        elif any(item.status != UP for item in found):
            overall = DEGRADED
        else:
            overall = UP
        return Services(status=overall, services=found)

    async def _database(self) -> ServiceState:
        try:
            async with asyncio.timeout(self._timeout), self._db.transaction() as session:
                await session.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure means the database is down
            return ServiceState(
                name="database", kind="database", status=DOWN, reason=str(exc) or "timed out"
            )
        return ServiceState(name="database", kind="database", status=UP)


async def _loop_lag() -> float:
    """How late a callback scheduled now runs: the event loop's current lag."""
    loop = asyncio.get_running_loop()
    ran = loop.create_future()
    asked = time.perf_counter()
    loop.call_soon(ran.set_result, None)
    await ran
    return time.perf_counter() - asked


def _database_pool(db: Database) -> dict[str, Any]:
    pool: Any = db.engine.pool
    found: dict[str, Any] = {"kind": type(pool).__name__}
    for name in ("size", "checkedout", "overflow", "checkedin"):
        method = getattr(pool, name, None)
        if callable(method):
            found[name] = method()
    return found


def backend_states(holder: SnapshotHolder, health: Health) -> Callable[[], list[ServiceState]]:
    """Each registered backend as the last reconcile cycle and the routing health see it."""

    def states() -> list[ServiceState]:
        found = []
        for state in holder.current.backends.values():
            name = state.backend.name
            if state.error:
                found.append(
                    ServiceState(name=name, kind="backend", status=DOWN, reason=state.error)
                )
            elif health.cooling(state.backend.id):
                found.append(
                    ServiceState(
                        name=name,
                        kind="backend",
                        status=DEGRADED,
                        reason="cooling down after failed requests",
                    )
                )
            else:
                found.append(ServiceState(name=name, kind="backend", status=UP))
        return sorted(found, key=lambda item: item.name)

    return states


def in_flight(holder: SnapshotHolder, health: Health) -> Callable[[], dict[str, int]]:
    """Requests in flight per backend name."""

    def counts() -> dict[str, int]:
        names = {key: state.backend.name for key, state in holder.current.backends.items()}
        return {names.get(key, key): count for key, count in health.in_flight.items()}

    return counts


def sandbox_state(sandbox: Sandbox) -> Callable[[], ServiceState]:
    """The JavaScript sandbox: up while open (workers start on demand), with its live workers."""

    def state() -> ServiceState:
        if sandbox.closed:
            return ServiceState(name="sandbox", kind="sandbox", status=DOWN, reason="closed")
        live = len(sandbox.pids())
        return ServiceState(
            name="sandbox", kind="sandbox", status=UP, reason=f"{live} worker processes live"
        )

    return state
