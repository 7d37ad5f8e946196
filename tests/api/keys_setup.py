"""Shared set-up for identity tests: an app with an admin token, and API keys made through it."""

from __future__ import annotations

from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

TOKEN = "s3cret"
ADMIN = {"X-API-Key": TOKEN}

Client = AsyncTestClient[Litestar] | httpx.AsyncClient


async def make_key(client: Client, *scopes: str, **extra: Any) -> str:
    """A new key's secret, created with the admin token."""
    body = {"name": "app", "scopes": list(scopes)} | extra
    created = await client.post("/keys", json=body, headers=ADMIN)
    assert created.status_code == 201, created.text
    return str(created.json()["secret"])


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
