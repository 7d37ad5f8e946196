"""API keys through HTTP: the secret shown once, scopes, revocation on every replica, TOKEN."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from runtime.app import create_app
from runtime.config import Settings
from tests.api.keys_setup import ADMIN, TOKEN, bearer, make_key

Client = AsyncTestClient[Litestar]


@pytest.fixture
async def guarded(settings: Settings) -> AsyncIterator[Client]:
    app = create_app(msgspec.structs.replace(settings, api_token=TOKEN))
    async with AsyncTestClient(app) as test_client:
        yield test_client


async def test_created_key_answers_its_secret_once_and_lists_without_it(guarded: Client) -> None:
    created = await guarded.post(
        "/keys",
        json={"name": "billing", "scopes": ["use"], "groups": ["chat"], "limits": {"rpm": 10}},
        headers=ADMIN,
    )
    assert created.status_code == 201
    body = created.json()
    prefix, secret = body["prefix"], body["secret"]
    assert secret.startswith(f"rt-{prefix}-")
    assert len(secret) > len(prefix) + 40
    assert body["scopes"] == ["use"]
    assert body["groups"] == ["chat"]
    assert body["limits"] == {"rpm": 10, "tpm": None}
    listed = (await guarded.get("/keys", headers=ADMIN)).json()
    assert [key["prefix"] for key in listed] == [prefix]
    assert "secret" not in listed[0]
    assert secret not in (await guarded.get("/keys", headers=ADMIN)).text
    assert listed[0]["lastUsedAt"] is None
    assert (await guarded.get("/v1/models", headers=bearer(secret))).status_code == 200
    used = (await guarded.get("/keys", headers=ADMIN)).json()[0]
    assert used["lastUsedAt"] is not None


async def test_key_is_accepted_in_either_header(guarded: Client) -> None:
    secret = await make_key(guarded, "read")
    for headers in (bearer(secret), {"X-API-Key": secret}):
        assert (await guarded.get("/backends", headers=headers)).status_code == 200


async def test_key_without_the_scope_is_forbidden_with_the_envelope(guarded: Client) -> None:
    secret = await make_key(guarded, "use")
    response = await guarded.post(
        "/backends",
        json={"name": "b", "baseUrl": "http://127.0.0.1:9", "type": "vllm"},
        headers=bearer(secret),
    )
    assert response.status_code == 403
    assert response.json()["error"] == {
        "message": "permission denied: this route needs the 'manage' scope",
        "type": "permission_error",
        "code": "permission_denied",
        "param": None,
    }
    assert (await guarded.get("/backends", headers=ADMIN)).json() == []


@pytest.mark.parametrize(
    ("scopes", "allowed", "refused"),
    [
        (["read"], ["GET /backends"], ["GET /v1/models", "GET /keys"]),
        (["use"], ["GET /v1/models"], ["GET /backends", "GET /keys"]),
        (["manage"], ["GET /backends", "POST /sync"], ["GET /v1/models", "GET /keys"]),
        (["use", "read"], ["GET /v1/models", "GET /backends"], ["POST /sync"]),
        (["admin"], ["GET /keys", "GET /v1/models", "POST /sync"], []),
    ],
)
async def test_scopes_grant_what_they_document(
    guarded: Client, scopes: list[str], allowed: list[str], refused: list[str]
) -> None:
    secret = await make_key(guarded, *scopes)
    for route in allowed + refused:
        method, path = route.split()
        response = await guarded.request(method, path, headers=bearer(secret))
        assert response.status_code == (403 if route in refused else 200), (route, response.text)


async def test_admin_key_manages_keys_like_the_token(guarded: Client) -> None:
    admin = await make_key(guarded, "admin")
    created = await guarded.post(
        "/keys", json={"name": "child", "scopes": ["read"]}, headers=bearer(admin)
    )
    assert created.status_code == 201
    assert len((await guarded.get("/keys", headers=bearer(admin))).json()) == 2


async def test_revoked_key_is_refused_at_once(guarded: Client) -> None:
    secret = await make_key(guarded, "read")
    assert (await guarded.get("/backends", headers=bearer(secret))).status_code == 200
    key_id = (await guarded.get("/keys", headers=ADMIN)).json()[0]["id"]
    revoked = await guarded.delete(f"/keys/{key_id}", headers=ADMIN)
    assert revoked.status_code == 200
    response = await guarded.get("/backends", headers=bearer(secret))
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"
    assert (await guarded.delete(f"/keys/{key_id}", headers=ADMIN)).status_code == 404


async def test_key_revoked_on_one_replica_is_refused_on_the_other_within_a_second(
    settings: Settings,
) -> None:
    guarded = msgspec.structs.replace(settings, api_token=TOKEN)
    async with (
        AsyncTestClient(create_app(guarded)) as first,
        AsyncTestClient(create_app(guarded)) as second,
    ):
        secret = await make_key(first, "read")
        assert (await second.get("/backends", headers=bearer(secret))).status_code == 200
        key_id = (await first.get("/keys", headers=ADMIN)).json()[0]["id"]
        assert (await first.delete(f"/keys/{key_id}", headers=ADMIN)).status_code == 200
        await asyncio.sleep(1.05)
        assert (await second.get("/backends", headers=bearer(secret))).status_code == 401


async def test_expired_key_is_refused(guarded: Client) -> None:
    expires = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    secret = await make_key(guarded, "read", expiresAt=expires)
    assert (await guarded.get("/backends", headers=bearer(secret))).status_code == 200
    await asyncio.sleep(1.1)
    assert (await guarded.get("/backends", headers=bearer(secret))).status_code == 401


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"name": "x", "scopes": ["root"]}, "scopes"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "", "scopes": ["read"]}, "name"),
        ({"name": "x", "scopes": ["read"], "expiresAt": "2001-01-01T00:00:00Z"}, "expiresAt"),
        ({"name": "x", "scopes": ["read"], "limits": {"rpm": 0}}, "limits.rpm"),
        ({"name": "x", "scopes": ["read"], "groups": [""]}, "groups"),
        ({"name": "x", "scopes": ["read"], "limits": {"tpm": 0}}, "limits.tpm"),
    ],
)
async def test_bad_key_request_creates_nothing(
    guarded: Client, body: dict[str, Any], param: str
) -> None:
    response = await guarded.post("/keys", json=body, headers=ADMIN)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["param"] == param
    assert (await guarded.get("/keys", headers=ADMIN)).json() == []


@pytest.mark.parametrize(
    "presented",
    [b"rt-", b"rt-abcd", b"rt-abcd-", b"rt-abcd-wrong", b"rt-" + b"a" * 40 + b"-x", b"rt-\xe9-x"],
)
async def test_malformed_or_unknown_keys_are_unauthorized(
    guarded: Client, presented: bytes
) -> None:
    secret = await make_key(guarded, "read")
    prefix = secret.split("-")[1]
    for value in (presented, f"rt-{prefix}-wrong".encode(), (secret + "x").encode()):
        response = await guarded.get("/backends", headers={"X-API-Key": value})
        assert response.status_code == 401, value


async def test_key_reveals_nothing_on_unknown_paths_until_checked(guarded: Client) -> None:
    secret = await make_key(guarded, "read")
    assert (await guarded.get("/backends", headers=bearer(secret))).status_code == 200
    assert (await guarded.get("/no/such/route", headers=bearer(secret))).status_code == 404
    assert (await guarded.get("/no/such/route", headers=bearer("rt-x-y"))).status_code == 401
