"""create_app: the one composition root that builds the HTTP application and what it runs."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import httpx
from litestar import Litestar
from litestar.di import Provide
from litestar.middleware import DefineMiddleware

from runtime.affinity.seed import seed
from runtime.api import CONTROLLERS
from runtime.api.auth import Access, access_guard
from runtime.api.docs import docs_assets, openapi_config
from runtime.api.errors import exception_handlers
from runtime.api.media import yaml_bodies
from runtime.api.observe import App, Observer
from runtime.api.request import ApiRequest, check_input
from runtime.background import Background
from runtime.chainstore import SHIPPED, chain_files
from runtime.config import ConfigError, Settings
from runtime.db import Database
from runtime.observability import logs
from runtime.providers.proxies import proxy_mounts
from runtime.providers.transport import LeanTransport
from runtime.wiring import Services, build_services, outbound_policy

log = logging.getLogger("runtime")


def create_app(settings: Settings) -> Litestar:
    """Build the HTTP application; the database schema must already be migrated."""
    logs.quiet_libraries()  # before anything logs: their DEBUG lines may carry secrets
    db = Database(settings.database_url)
    mounts = proxy_mounts(settings.proxies)
    if mounts:
        log.info("backends are reached through the proxies the environment names")
    transport = LeanTransport(
        max_connections=settings.backend_max_connections,
        idle_seconds=settings.backend_idle_seconds,
        policy=outbound_policy(settings),
    )
    http = httpx.AsyncClient(
        timeout=httpx.Timeout(settings.provider_timeout), transport=transport, mounts=mounts
    )
    # drivers write on the transport directly unless a proxy must be used (httpx mounts it)
    services, loops = build_services(
        settings, db, http, direct=None if mounts else transport, pool_stats=transport.stats
    )
    background = Background(loops)
    services.system.loops = lambda: background.states

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        try:
            try:
                await seed(db, settings)
                if settings.chains_dir:  # the shipped chains, then the directory's (which win)
                    files = chain_files(SHIPPED) + chain_files(Path(settings.chains_dir))
                    await services.chains.seed(files)
            except ConfigError as exc:
                log.error("start-up failed: %s", exc)  # noqa: TRY400 - one line, no traceback
                raise
            async with background:
                yield
        finally:
            await services.functions.close()
            await http.aclose()
            await db.dispose()

    access = Access(
        token=settings.api_token,
        keys=services.keys,
        users=services.users,
        access=services.access,
        limiter=services.limiter,
        confinement=services.confinement,
        metrics_token=settings.metrics_token,
    )
    middleware: list[Any] = [DefineMiddleware(access_guard(access)), yaml_bodies]
    return RuntimeApp(
        Observer(services.activity, fields=settings.log_format == "json"),
        route_handlers=[*CONTROLLERS, docs_assets()],
        dependencies=provide(services),
        exception_handlers=exception_handlers(access.known if settings.api_token else None),
        before_request=check_input,
        request_class=ApiRequest,
        middleware=middleware,
        lifespan=[lifespan],
        openapi_config=openapi_config(secured=bool(settings.api_token)),
        logging_config=None,  # the CLI sets up logging (runtime.observability.logs)
        debug=settings.debug,
    )


class RuntimeApp(Litestar):
    """Litestar, with every HTTP request observed (`runtime.api.observe`) around it all."""

    def __init__(self, observer: Observer, **config: Any) -> None:
        self.observer = observer
        super().__init__(**config)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await self.observer(scope, receive, send, cast(App, super().__call__))
        else:
            await super().__call__(scope, receive, send)


def provide(services: Services) -> dict[str, Provide]:
    """One dependency per service, named like the Services attribute."""
    return {
        field.name: Provide(_constant(getattr(services, field.name)), sync_to_thread=False)
        for field in dataclasses.fields(services)
    }


def _constant(value: Any) -> Any:
    def dependency() -> Any:
        return value

    return dependency
