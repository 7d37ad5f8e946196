"""Every route declares its scope, and every guarded route refuses what it must (driven from
the table): no, wrong, expired or revoked credential is a 401, a credential without the scope
a 403, both before the route does anything.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient

from runtime.api.operations import OPERATIONS
from runtime.api.scopes import MODEL_ROUTES, OPEN, ROUTE_SCOPES, SIGNED_IN
from runtime.app import create_app
from runtime.config import Settings
from tests.api.keys_setup import ADMIN, TOKEN, make_key

Client = AsyncTestClient[Litestar]
# a key holding this scope lacks the one the route needs
LACKING = {"admin": "manage", "manage": "use", "use": "read", "read": "use"}


def app_routes(app: Litestar) -> set[str]:
    return {
        f"{method} {route.path_format}"
        for route in app.routes
        for method in route.methods
        if method != "OPTIONS"
    }


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_route_declares_its_scope(settings: Settings) -> None:
    routes = app_routes(create_app(settings))
    assert routes - set(ROUTE_SCOPES) == set(), "routes without a declared scope"
    assert set(ROUTE_SCOPES) - routes == set(), "scopes declared for routes that do not exist"
    assert set(ROUTE_SCOPES.values()) <= {OPEN, SIGNED_IN, "admin", "manage", "use", "read"}


def test_token_limited_routes_are_routes_that_need_use() -> None:
    assert {ROUTE_SCOPES.get(route) for route in MODEL_ROUTES} == {"use"}


def refused(body: dict[str, object], path: str, kind: str) -> bool:
    if path.startswith("/api/"):  # Ollama's error shape
        return isinstance(body.get("error"), str)
    error = body.get("error")
    return isinstance(error, dict) and error.get("type") == kind


async def test_every_guarded_route_refuses_bad_credentials_and_missing_scopes(
    settings: Settings,
) -> None:
    app = create_app(msgspec.structs.replace(settings, api_token=TOKEN))
    async with AsyncTestClient(app) as client:
        soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
        expired = await make_key(client, "admin", expiresAt=soon)
        revoked = await make_key(client, "admin")
        for key in (await client.get("/keys", headers=ADMIN)).json():
            if revoked.startswith(f"rt-{key['prefix']}-"):
                assert (await client.delete(f"/keys/{key['id']}", headers=ADMIN)).status_code == 200
        lacking = {scope: await make_key(client, scope) for scope in LACKING.values()}
        await asyncio.sleep(1.1)
        wrong = {
            "none": {},
            "wrong token": {"X-API-Key": TOKEN + "x"},
            "wrong key": {"X-API-Key": revoked[:-2] + "zz"},
            "expired": {"X-API-Key": expired},
            "revoked": {"Authorization": f"Bearer {revoked}"},
        }
        failures = []
        for route, needed in sorted(ROUTE_SCOPES.items()):
            if needed == OPEN:
                continue
            method, path = route.split(" ", 1)
            url = concrete(path)
            for name, headers in wrong.items():
                response = await client.request(method, url, headers=headers)
                if response.status_code != 401 or (
                    method != "HEAD" and not refused(response.json(), path, "authentication_error")
                ):
                    failures.append((route, name, response.status_code))
            if needed == SIGNED_IN:  # any valid credential will do
                continue
            headers = {"X-API-Key": lacking[LACKING[needed]]}
            response = await client.request(method, url, headers=headers)
            if response.status_code != 403 or (
                method != "HEAD" and not refused(response.json(), path, "permission_error")
            ):
                failures.append((route, "without the scope", response.status_code))
        assert failures == []
        assert (await client.get("/backends", headers=ADMIN)).json() == []


async def test_open_routes_need_no_credential(settings: Settings) -> None:
    app = create_app(msgspec.structs.replace(settings, api_token=TOKEN))
    async with AsyncTestClient(app) as client:
        for route, needed in ROUTE_SCOPES.items():
            if needed == OPEN:
                method, path = route.split(" ", 1)
                response = await client.request(method, path)
                own = OPERATIONS[route].errors  # a login's own 401, a disabled registration
                assert response.status_code in (200, 422, *own), (route, response.text)
