"""Users through HTTP: admin CRUD, login for a signed token, refresh, revocation, the same
error for every failed login, login rate limits, self-registration, a key shared by replicas.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from runtime.app import create_app
from runtime.config import Settings
from tests.api.keys_setup import ADMIN, TOKEN, bearer

Client = AsyncTestClient[Litestar]
ALICE = {"email": "Alice@Example.com", "friendlyName": "Alice", "password": "correct horse"}


@pytest.fixture
def guarded_settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(settings, api_token=TOKEN, login_rpm=5)


@pytest.fixture
async def guarded(guarded_settings: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(create_app(guarded_settings)) as test_client:
        yield test_client


async def create(client: Client, **fields: Any) -> dict[str, Any]:
    response = await client.post("/users", json=ALICE | fields, headers=ADMIN)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def login(
    client: Client, email: str = "alice@example.com", password: str = ALICE["password"]
) -> Any:
    return await client.post("/login", json={"email": email, "password": password})


async def test_admin_creates_and_lists_users_without_their_passwords(guarded: Client) -> None:
    user = await create(guarded)
    assert user["email"] == "alice@example.com"
    assert user["scopes"] == ["use", "read"]
    listed = await guarded.get("/users", headers=ADMIN)
    assert [u["id"] for u in listed.json()] == [user["id"]]
    assert "correct horse" not in listed.text
    assert "password" not in listed.text.lower()
    assert (await guarded.get(f"/users/{user['id']}", headers=ADMIN)).json() == user
    duplicate = await guarded.post("/users", json=ALICE, headers=ADMIN)
    assert duplicate.status_code == 409


async def test_password_is_kept_as_an_argon2id_hash(guarded: Client, db_url: str) -> None:
    await create(guarded)
    engine = create_async_engine(db_url)
    async with engine.connect() as conn:
        stored = (await conn.execute(text("SELECT password_hash FROM users"))).scalar_one()
    await engine.dispose()
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored


async def test_login_gives_a_token_that_acts_with_the_users_scopes(guarded: Client) -> None:
    user = await create(guarded)
    response = await login(guarded)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["id"] == user["id"]
    assert body["expiresAt"]
    token = body["token"]
    assert token.count(".") == 2
    assert (await guarded.get("/backends", headers=bearer(token))).status_code == 200
    assert (await guarded.get("/v1/models", headers=bearer(token))).status_code == 200
    assert (await guarded.post("/sync", headers=bearer(token))).status_code == 403
    assert (await guarded.get("/users", headers=bearer(token))).status_code == 403
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert (await guarded.get("/backends", headers=bearer(tampered))).status_code == 401


async def test_every_failed_login_answers_the_same(guarded: Client) -> None:
    await create(guarded)
    wrong_password = await login(guarded, password="wrong horse!")
    unknown_email = await login(guarded, email="bob@example.com")
    empty = await guarded.post("/login", json={})
    for response in (wrong_password, unknown_email, empty):
        assert response.status_code == 401
        assert response.json() == wrong_password.json()
    assert wrong_password.json()["error"]["message"] == "invalid email or password"


async def within_one_window(seconds: float) -> None:
    """Wait for a fresh minute if `seconds` from now would cross one (limits count per minute)."""
    into = time.time() % 60
    if into + seconds > 60:
        await asyncio.sleep(60 - into)


async def test_logins_are_rate_limited_per_account_and_per_address(guarded: Client) -> None:
    await create(guarded)
    await within_one_window(8)  # seven logins (argon2 each): seconds on a loaded machine
    for _ in range(5):
        assert (await login(guarded, password="wrong horse!")).status_code == 401
    refused = await login(guarded)  # even the right password, once the account is locked out
    assert refused.status_code == 429
    assert refused.headers["retry-after"]
    assert refused.json()["error"]["type"] == "rate_limit_error"
    other = await login(guarded, email="carol@example.com")  # the same address: also spent
    assert other.status_code == 429


async def test_refreshed_token_works_and_a_bad_one_is_refused(guarded: Client) -> None:
    await create(guarded)
    token = (await login(guarded)).json()["token"]
    refreshed = await guarded.post("/token_refresh", json={"token": token})
    assert refreshed.status_code == 200
    fresh = refreshed.json()["token"]
    assert (await guarded.get("/backends", headers=bearer(fresh))).status_code == 200
    for bad in ("", "x.y.z", token + "x"):
        response = await guarded.post("/token_refresh", json={"token": bad})
        assert response.status_code == 401, bad


async def test_deleting_a_user_revokes_its_tokens_at_once(guarded: Client) -> None:
    user = await create(guarded)
    token = (await login(guarded)).json()["token"]
    assert (await guarded.get("/backends", headers=bearer(token))).status_code == 200
    assert (await guarded.delete(f"/users/{user['id']}", headers=ADMIN)).status_code == 200
    assert (await guarded.get("/backends", headers=bearer(token))).status_code == 401
    assert (await guarded.post("/token_refresh", json={"token": token})).status_code == 401


async def test_new_password_revokes_tokens_and_the_old_password(guarded: Client) -> None:
    user = await create(guarded)
    token = (await login(guarded)).json()["token"]
    changed = await guarded.put(
        f"/users/{user['id']}", json={"password": "battery staple"}, headers=ADMIN
    )
    assert changed.status_code == 200
    assert (await guarded.get("/backends", headers=bearer(token))).status_code == 401
    assert (await login(guarded)).status_code == 401
    assert (await login(guarded, password="battery staple")).status_code == 200


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (ALICE | {"email": "not-an-email"}, "email"),
        (ALICE | {"password": "short"}, "password"),
        (ALICE | {"scopes": ["root"]}, "scopes"),
    ],
)
async def test_bad_user_request_creates_nothing(
    guarded: Client, body: dict[str, Any], param: str
) -> None:
    response = await guarded.post("/users", json=body, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["error"]["param"] == param
    assert (await guarded.get("/users", headers=ADMIN)).json() == []


async def test_self_registration_is_off_by_default(guarded: Client) -> None:
    response = await guarded.post("/register", json=ALICE)
    assert response.status_code == 403
    assert (await guarded.get("/users", headers=ADMIN)).json() == []


async def test_self_registered_user_gets_the_default_scopes(guarded_settings: Settings) -> None:
    open_to_all = msgspec.structs.replace(guarded_settings, self_registration=True)
    async with AsyncTestClient(create_app(open_to_all)) as client:
        registered = await client.post("/register", json=ALICE | {"scopes": ["admin"]})
        assert registered.status_code == 201, registered.text
        assert registered.json()["scopes"] == ["use", "read"]
        token = (await login(client)).json()["token"]
        assert (await client.get("/users", headers=bearer(token))).status_code == 403


async def test_replicas_agree_on_the_generated_signing_key(guarded_settings: Settings) -> None:
    async with (
        AsyncTestClient(create_app(guarded_settings)) as first,
        AsyncTestClient(create_app(guarded_settings)) as second,
    ):
        await create(first)
        token = (await login(first)).json()["token"]
        assert (await second.get("/backends", headers=bearer(token))).status_code == 200
