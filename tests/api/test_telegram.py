"""Telegram frontends: CRUD with masked tokens, and the poller against a fake Bot API."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import msgspec
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from runtime.app import create_app
from runtime.config import Settings
from tests.api.chat_setup import SHIPPED_CHAT, ChatStack, chat_stack
from tests.fakes.loopback import Served, serve
from tests.fakes.telegram import TOKEN, FakeTelegram
from tests.waiting import eventually


def answering_chain() -> dict[str, Any]:
    """The shipped chat chain, on model `m` (a Telegram chat names no model)."""
    chain: dict[str, Any] = json.loads(SHIPPED_CHAT.read_text())
    chain["id"] = "tg"
    chain["tasks"][0]["execute_config"]["model"] = "m"
    return chain


class Bots:
    """Our server and the fake Bot API it polls."""

    def __init__(self, stack: ChatStack, telegram: FakeTelegram, settings: Settings) -> None:
        self.stack, self.telegram, self.settings = stack, telegram, settings
        self.api = stack.api

    async def frontend(self, token: str = TOKEN, **body: Any) -> dict[str, Any]:
        fields = {"botToken": token, "chainId": "tg", "description": "d", "userId": "u1"}
        created = await self.api.post("/telegram-frontends", json=fields | body)
        assert created.status_code == 201, created.text
        return dict(created.json())


def polling(settings: Settings, telegram_url: str) -> Settings:
    return msgspec.structs.replace(
        settings,
        secret_key="a very secret key",
        telegram_api_url=telegram_url,
        telegram_poll_timeout=1.0,
        telegram_claim_interval=0.1,
        telegram_backoff=0.2,
        telegram_lease=5.0,
    )


@pytest.fixture
async def bots(settings: Settings) -> AsyncIterator[Bots]:
    telegram = FakeTelegram()
    async with serve(telegram) as fake:
        ours = polling(settings, fake.url)
        async with chat_stack(ours) as stack:
            saved = await stack.api.post("/taskchains", json=answering_chain())
            assert saved.status_code == 201
            yield Bots(stack, telegram, ours)


async def stored_tokens(database_url: str) -> list[str]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT bot_token FROM telegram_frontends"))
            return [row[0] for row in rows]
    finally:
        await engine.dispose()


async def test_a_frontend_is_stored_sealed_and_only_shown_masked(bots: Bots) -> None:
    created = await bots.frontend(description="support bot")
    assert created["botToken"] != TOKEN
    assert TOKEN not in json.dumps(created)
    assert created["botToken"].endswith(TOKEN[-4:])
    assert (created["chainId"], created["userId"]) == ("tg", "u1")
    [sealed] = await stored_tokens(bots.settings.database_url)
    assert TOKEN not in sealed
    fetched = (await bots.api.get(f"/telegram-frontends/{created['id']}")).json()
    assert fetched["botToken"] == created["botToken"]
    listed = (await bots.api.get("/telegram-frontends")).json()
    assert [f["id"] for f in listed] == [created["id"]]


async def test_frontends_are_listed_by_user_updated_and_deleted(bots: Bots) -> None:
    mine = await bots.frontend(userId="alice")
    await bots.frontend(userId="bob", token="456:other")
    alices = (await bots.api.get("/telegram-frontends/users/alice")).json()
    assert [f["id"] for f in alices] == [mine["id"]]
    body = {"botToken": mine["botToken"], "chainId": "tg", "description": "new", "userId": "alice"}
    updated = await bots.api.put(f"/telegram-frontends/{mine['id']}", json=body)
    assert updated.status_code == 200
    assert updated.json()["description"] == "new"
    assert sorted(await stored_tokens(bots.settings.database_url)) != []
    assert updated.json()["botToken"] == mine["botToken"]  # sent back masked: kept
    assert (await bots.api.delete(f"/telegram-frontends/{mine['id']}")).status_code == 200
    assert (await bots.api.get(f"/telegram-frontends/{mine['id']}")).status_code == 404


async def test_bad_frontends_are_refused_and_nothing_is_stored(bots: Bots) -> None:
    unknown = await bots.api.post(
        "/telegram-frontends", json={"botToken": TOKEN, "chainId": "nope"}
    )
    assert (unknown.status_code, unknown.json()["error"]["param"]) == (422, "chainId")
    tokenless = await bots.api.post("/telegram-frontends", json={"chainId": "tg"})
    assert (tokenless.status_code, tokenless.json()["error"]["param"]) == (422, "botToken")
    assert (await bots.api.get("/telegram-frontends")).json() == []


async def test_the_worker_answers_two_chats_each_through_its_own_chat(bots: Bots) -> None:
    frontend = await bots.frontend()
    bots.telegram.say(100, "hello from A")
    bots.telegram.say(200, "hello from B")
    bots.telegram.say(100, "again from A")

    async def answered() -> bool:
        return len(bots.telegram.sent) == 3

    await eventually(answered)
    assert bots.telegram.replies_to(100) == ["echo: hello from A", "echo: again from A"]
    assert bots.telegram.replies_to(200) == ["echo: hello from B"]
    chats = (await bots.api.get("/chats")).json()
    assert sorted(c["subject"] for c in chats) == ["Telegram chat 100", "Telegram chat 200"]
    assert {c["owner"] for c in chats} == {"u1"}  # the frontend's user's chats
    chat_a = next(c for c in chats if c["subject"] == "Telegram chat 100")
    history = (await bots.api.get(f"/chats/{chat_a['id']}")).json()
    assert [m["content"] for m in history["messages"]] == [
        "hello from A",
        "echo: hello from A",
        "again from A",
        "echo: again from A",
    ]
    shown = (await bots.api.get(f"/telegram-frontends/{frontend['id']}")).json()
    assert (shown["status"], shown["lastError"]) == ("polling", "")
    assert shown["lastPollAt"] is not None


async def test_after_a_restart_the_worker_resumes_without_answering_twice(
    bots: Bots,
) -> None:
    await bots.frontend(userId="")  # no user: its chats are the admin's
    await bots.stack.ours.stop()  # the first server goes away; its worker gives the lease back
    bots.telegram.say(100, "one")
    bots.telegram.say(200, "two")
    offered = copy.deepcopy(bots.telegram.updates)
    async with second_server(bots) as _:
        await eventually(lambda: _sent(bots, 2))
    # say Telegram never heard the offset that confirmed them: it offers them again
    bots.telegram.say(100, "three")
    bots.telegram.updates = offered + bots.telegram.updates[-1:]
    assert len(bots.telegram.updates) == 3
    async with second_server(bots) as ours:
        await eventually(lambda: _sent(bots, 3))
        await eventually(lambda: _offset_past(bots, 3))
        async with httpx.AsyncClient(base_url=ours.url) as api:
            chats = (await api.get("/chats")).json()
    assert [m["text"] for m in bots.telegram.sent] == ["echo: one", "echo: two", "echo: three"]
    assert {c["owner"] for c in chats} == {"admin-token"}


async def test_the_worker_honours_retry_after_and_records_errors(bots: Bots) -> None:
    frontend = await bots.frontend()
    await eventually(lambda: _polled(bots))
    bots.telegram.fail("sendMessage", 429, retry_after=1)
    bots.telegram.say(100, "slow down")
    await eventually(lambda: _sent(bots, 1))
    refused = [t for m, t in bots.telegram.calls if m == "sendMessage"]
    assert len(refused) == 2
    assert refused[1] - refused[0] >= 1.0  # waited as told
    bots.telegram.fail("getUpdates", 429, retry_after=1)

    async def waited() -> bool:
        polls = [t for m, t in bots.telegram.calls if m == "getUpdates"]
        return len(polls) >= 2 and polls[-1] - polls[-2] >= 1.0

    await eventually(waited)
    shown = (await bots.api.get(f"/telegram-frontends/{frontend['id']}")).json()
    assert shown["lastPollAt"] is not None


async def test_a_token_the_bot_api_refuses_is_shown_as_an_error(bots: Bots) -> None:
    frontend = await bots.frontend(token="999:wrong")

    async def failing() -> dict[str, Any] | None:
        shown = (await bots.api.get(f"/telegram-frontends/{frontend['id']}")).json()
        return shown if shown["status"] == "error" else None

    shown = await eventually(failing)
    assert "401" in shown["lastError"]


@asynccontextmanager
async def second_server(bots: Bots) -> AsyncIterator[Served]:
    async with serve(create_app(bots.settings), lifespan=True) as ours:
        yield ours


async def _sent(bots: Bots, count: int) -> bool:
    return len(bots.telegram.sent) >= count


async def _polled(bots: Bots) -> bool:
    return any(m == "getUpdates" for m, _ in bots.telegram.calls)


async def _offset_past(bots: Bots, update_id: int) -> bool:
    return any(offset > update_id for offset in bots.telegram.offsets)


async def test_two_replicas_poll_one_frontend_through_one_claim(bots: Bots) -> None:
    await bots.frontend()
    async with second_server(bots) as _:
        for n in range(6):
            bots.telegram.say(100 + n % 2, f"message {n}")
        await eventually(lambda: _sent(bots, 6))
        await eventually(lambda: _offset_past(bots, 6))
    texts = sorted(m["text"] for m in bots.telegram.sent)
    assert texts == sorted(f"echo: message {n}" for n in range(6))  # each answered once
