"""Request bodies in YAML (plain or base64) are read as the same document in JSON, safely."""

from __future__ import annotations

import asyncio
import base64
import time
from datetime import UTC, datetime

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from runtime.app import create_app
from runtime.config import Settings
from tests.api.test_backends import assert_error
from tests.fakes.loopback import serve

Client = AsyncTestClient[Litestar]
CHAIN_YAML = b"""
id: greet
description: says hello
tasks:
  - id: hello
    handler: noop
    prompt_template: "hello {{.input}}"
    transition:
      branches:
        - operator: default
          goto: end
"""


@pytest.mark.parametrize("media", ["application/yaml", "text/yaml", "application/x-yaml"])
async def test_a_chain_posted_in_yaml_is_stored_as_json(client: Client, media: str) -> None:
    created = await client.post("/taskchains", content=CHAIN_YAML, headers={"content-type": media})
    assert created.status_code == 201, created.text
    stored = (await client.get("/taskchains/greet")).json()
    assert stored["tasks"][0]["prompt_template"] == "hello {{.input}}"
    assert stored["description"] == "says hello"


@pytest.mark.parametrize(
    "media", ["application/yaml; encoding=base64", "application/x-yaml-base64"]
)
async def test_base64_yaml_is_decoded_first(client: Client, media: str) -> None:
    body = base64.encodebytes(CHAIN_YAML)  # with line breaks, as encoders write it
    created = await client.post("/taskchains", content=body, headers={"content-type": media})
    assert created.status_code == 201, created.text


async def test_timestamps_in_yaml_stay_text_like_in_json(client: Client) -> None:
    now = datetime.now(UTC).isoformat()
    body = f"""
event_type: order.created
event_source: shop
aggregate_id: o-1
aggregate_type: order
version: 1
created_at: {now}
data: {{total: 3}}
""".encode()
    created = await client.post("/events", content=body, headers={"content-type": "text/yaml"})
    assert created.status_code == 201, created.text
    assert created.json()["data"] == {"total": 3}


@pytest.mark.parametrize(
    ("body", "media", "problem"),
    [
        (b"id: [unclosed", "application/yaml", "invalid YAML"),
        (b"a: &x [1, 2]\nb: [*x, *x]", "application/yaml", "aliases are not allowed"),
        (b"id: a\n---\nid: b", "application/yaml", "single document"),
        (b"not base64!", "application/x-yaml-base64", "invalid YAML"),
    ],
)
async def test_bad_yaml_is_refused_and_nothing_is_stored(
    client: Client, body: bytes, media: str, problem: str
) -> None:
    response = await client.post("/taskchains", content=body, headers={"content-type": media})
    assert response.status_code == 422
    assert problem in assert_error(response.json(), "unprocessable_entity")
    assert (await client.get("/taskchains")).json() == []


async def test_a_yaml_body_over_the_size_limit_is_refused(client: Client) -> None:
    body = b"notes: " + b"x" * (1024 * 1024) + b"\n"
    response = await client.post("/taskchains", content=body, headers={"content-type": "text/yaml"})
    assert response.status_code == 413
    assert_error(response.json(), "request_too_large")


async def test_other_media_types_are_still_unsupported(client: Client) -> None:
    response = await client.post(
        "/taskchains", content=CHAIN_YAML, headers={"content-type": "text/plain"}
    )
    assert response.status_code == 415
    assert "application/yaml" in assert_error(response.json(), "unsupported_media")


def big_yaml(size: int) -> bytes:
    """A valid chain with a long list of short notes (many nodes: the slow case to parse)."""
    notes = b"".join(b"  - n%d\n" % i for i in range(size // 12))
    return CHAIN_YAML + b"notes:\n" + notes


async def test_a_large_yaml_body_does_not_delay_other_requests(settings: Settings) -> None:
    body = big_yaml(1000 * 1024)
    assert len(body) < 1024 * 1024
    async with (
        serve(create_app(settings), lifespan=True) as ours,
        httpx.AsyncClient(base_url=ours.url, timeout=30) as api,
    ):
        posting = asyncio.ensure_future(
            api.post("/taskchains", content=body, headers={"content-type": "application/yaml"})
        )
        delays = []
        while not posting.done():
            start = time.perf_counter()
            assert (await api.get("/health")).status_code == 200
            delays.append(time.perf_counter() - start)
            await asyncio.sleep(0.01)
        assert (await posting).status_code == 201
    assert len(delays) >= 5, "the YAML body was parsed too fast to measure anything"
    assert max(delays) < 0.1


@pytest.mark.parametrize(
    ("body", "status", "problem"),
    [
        (b"a: " + b"[" * 65 + b"]" * 65, 400, "deeper than 64"),
        (b"a:\n" + b"".join(b"  " * i + b"- \n" for i in range(1, 70)), 400, "deeper than 64"),
        (b"a: " + b"[" * 5000 + b"]" * 5000, 400, "deeper than 64"),
        (b"[" + b"1," * 250_000 + b"1]", 400, "more than 200000 nodes"),
    ],
)
async def test_deep_or_huge_yaml_is_a_clear_bad_request(
    client: Client, body: bytes, status: int, problem: str
) -> None:
    response = await client.post("/taskchains", content=body, headers={"content-type": "text/yaml"})
    assert response.status_code == status, response.text[:300]
    assert problem in assert_error(response.json(), "bad_request")
