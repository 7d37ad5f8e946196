"""Browser sessions through HTTP: cookie login, who is signed in, CSRF refusal, logout."""

from __future__ import annotations

from collections.abc import AsyncIterator

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from runtime.app import create_app
from runtime.config import Settings
from tests.api.keys_setup import ADMIN, TOKEN

Client = AsyncTestClient[Litestar]
ALICE = {"email": "alice@example.com", "friendlyName": "Alice", "password": "correct horse"}
SAME_ORIGIN = {"Origin": "http://testserver.local"}
GROUP = {"name": "g", "purposeType": "chat"}


@pytest.fixture
async def browser(settings: Settings) -> AsyncIterator[Client]:
    app = create_app(msgspec.structs.replace(settings, api_token=TOKEN, self_registration=True))
    async with AsyncTestClient(app) as client:
        created = await client.post("/users", json=ALICE | {"scopes": ["manage"]}, headers=ADMIN)
        assert created.status_code == 201
        yield client


async def sign_in(client: Client) -> str:
    response = await client.post("/ui/login", json=ALICE, headers=SAME_ORIGIN)
    assert response.status_code == 200, response.text
    return response.headers["set-cookie"]


async def test_login_sets_an_http_only_lax_cookie(browser: Client) -> None:
    cookie = (await sign_in(browser)).lower()
    assert cookie.startswith("rt_session=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie  # plain HTTP here


async def test_cookie_is_secure_behind_tls(browser: Client) -> None:
    response = await browser.post(
        "/ui/login", json=ALICE, headers=SAME_ORIGIN | {"X-Forwarded-Proto": "https"}
    )
    assert "secure" in response.headers["set-cookie"].lower()


async def test_signed_in_browser_is_known_and_acts_with_its_scopes(browser: Client) -> None:
    await sign_in(browser)
    me = await browser.get("/ui/me")
    assert me.status_code == 200
    assert me.json()["email"] == "alice@example.com"
    assert (await browser.get("/groups")).status_code == 200
    assert (await browser.post("/groups", json=GROUP, headers=SAME_ORIGIN)).status_code == 201
    assert (await browser.get("/keys")).status_code == 403


async def test_change_from_another_origin_is_refused_and_changes_nothing(browser: Client) -> None:
    await sign_in(browser)
    for headers in ({"Origin": "https://evil.example"}, {}):
        response = await browser.post("/groups", json=GROUP, headers=headers)
        assert response.status_code == 403, headers
        assert response.json()["error"]["type"] == "permission_error"
    names = {group["name"] for group in (await browser.get("/groups")).json()}
    assert "g" not in names
    referred = await browser.post(
        "/groups", json=GROUP, headers={"Referer": "http://testserver.local/ui"}
    )
    assert referred.status_code == 201


async def test_logout_revokes_the_session(browser: Client) -> None:
    await sign_in(browser)
    token = browser.cookies["rt_session"]
    response = await browser.post("/ui/logout", headers=SAME_ORIGIN)
    assert response.status_code == 204
    assert "rt_session" not in browser.cookies
    assert (await browser.get("/ui/me")).status_code == 401
    stolen = await browser.get("/groups", headers={"Authorization": f"Bearer {token}"})
    assert stolen.status_code == 401


async def test_session_token_refresh_renews_the_cookie(browser: Client) -> None:
    await sign_in(browser)
    refreshed = await browser.post("/ui/token_refresh", headers=SAME_ORIGIN)
    assert refreshed.status_code == 200
    assert refreshed.headers["set-cookie"].startswith("rt_session=")
    assert (await browser.get("/ui/me")).status_code == 200


async def test_register_signs_the_new_user_in(browser: Client) -> None:
    bob = {"email": "bob@example.com", "password": "battery staple", "scopes": ["admin"]}
    registered = await browser.post("/ui/register", json=bob, headers=SAME_ORIGIN)
    assert registered.status_code == 201, registered.text
    assert registered.json()["user"]["scopes"] == ["use", "read"]
    assert (await browser.get("/ui/me")).json()["email"] == "bob@example.com"


async def test_me_without_a_session_is_unauthorized(browser: Client) -> None:
    assert (await browser.get("/ui/me")).status_code == 401
    keyed = await browser.get("/ui/me", headers=ADMIN)  # the admin token is no user
    assert keyed.status_code == 401
