"""Chats through HTTP: history the model sees, instructions, fitting, failures, feedback, 409s."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest

from runtime.app import create_app
from runtime.config import Settings
from tests.api.chat_setup import ChatStack, chat_stack
from tests.fakes.loopback import serve
from tests.waiting import eventually


@pytest.fixture
async def stack(settings: Settings) -> AsyncIterator[ChatStack]:
    async with chat_stack(settings) as running:
        yield running


async def test_three_turn_chat_shows_the_model_the_earlier_turns(stack: ChatStack) -> None:
    chat_id = await stack.new_chat()
    for text in ("one", "two", "three"):
        answered = await stack.say(chat_id, text)
        assert answered.status_code == 200, answered.text
        assert answered.json()["content"] == f"echo: {text}"
    sent = [(m["role"], m["content"]) for m in stack.chat_requests()[-1]]
    assert sent == [
        ("user", "one"),
        ("assistant", "echo: one"),
        ("user", "two"),
        ("assistant", "echo: two"),
        ("user", "three"),
    ]
    history = await stack.history(chat_id)
    messages = history["messages"]
    assert [(m["role"], m["content"]) for m in messages] == [*sent, ("assistant", "echo: three")]
    answer = messages[-1]
    assert answer["status"] == "complete"
    assert answer["sources"] == []
    assert answer["usage"]["promptTokens"] == stack.ollama.chat.prompt_tokens  # what it counted
    assert answer["usage"]["completionTokens"] > 0
    assert {"id", "createdAt"} <= set(answer)
    assert history["chainId"] == "chat"


async def test_an_instruction_applies_to_every_later_turn(stack: ChatStack) -> None:
    chat_id = await stack.new_chat()
    assert (await stack.say(chat_id, "before")).status_code == 200
    added = await stack.api.post(
        f"/chats/{chat_id}/instruction", json={"instruction": "Answer in French."}
    )
    assert added.status_code == 201
    assert added.json()["role"] == "system"
    stack.ollama.chat.reply("bonjour")
    later = await stack.say(chat_id, "after")
    assert later.json()["content"] == "bonjour"
    first, second = stack.chat_requests()[-2:]
    assert all(m["role"] != "system" for m in first)
    assert (second[0]["role"], second[0]["content"]) == ("system", "Answer in French.")
    assert second[-1]["content"] == "after"


async def test_history_is_fitted_to_the_model_window_dropping_old_turns_whole(
    stack: ChatStack,
) -> None:
    chat_id = await stack.new_chat(model="small")  # 100 tokens: 75 for the prompt
    await stack.api.post(f"/chats/{chat_id}/instruction", json={"instruction": "Be brief."})
    questions = [f"{n}" * 60 for n in range(3)]  # 15 tokens each, a turn about 40
    for text in questions:
        assert (await stack.say(chat_id, text)).status_code == 200
    sent = [m["content"] for m in stack.chat_requests()[-1]]
    assert sent == ["Be brief.", questions[1], f"echo: {questions[1]}", questions[2]]
    too_long = await stack.say(chat_id, "x" * 400)
    assert too_long.status_code == 422
    assert "context window" in too_long.json()["error"]["message"]
    assert len((await stack.history(chat_id))["messages"]) == 7  # nothing stored for it


async def test_a_failed_turn_stores_only_a_failure_naming_the_cause(stack: ChatStack) -> None:
    chat_id = await stack.new_chat()
    stack.ollama.chat.fail(status=500, times=5)
    failed = await stack.say(chat_id, "hello")
    assert failed.status_code >= 500
    history = await stack.history(chat_id)
    assert history["messages"] == []
    [failure] = history["failures"]
    assert failure["message"] == "hello"
    assert failure["error"] == failed.json()["error"]["message"]
    assert failure["status"] == failed.status_code
    again = await stack.say(chat_id, "again")  # the turn was given back (the backend may
    assert again.status_code != 409  # still be cooling down: then a 503, recorded too)


async def test_a_model_no_backend_serves_answers_503_and_stores_no_message(
    stack: ChatStack,
) -> None:
    lonely = (await stack.api.post("/groups", json={"name": "lonely"})).json()["id"]
    body = {"model": "ghost", "contextLength": 4096, "canChat": True}
    assert (await stack.api.post("/models", json=body)).status_code == 201
    assert (await stack.api.post(f"/model-affinity/{lonely}/models/ghost")).status_code == 200
    chat_id = await stack.new_chat(model="ghost")
    refused = await stack.say(chat_id, "anyone there?")
    assert refused.status_code == 503, refused.text
    assert "ghost" in refused.json()["error"]["message"]
    history = await stack.history(chat_id)
    assert history["messages"] == []
    assert [f["status"] for f in history["failures"]] == [503]


async def test_two_turns_at_once_never_interleave_the_second_gets_409(stack: ChatStack) -> None:
    chat_id = await stack.new_chat()
    stack.ollama.chat.latency = 0.5
    first, second = await asyncio.gather(stack.say(chat_id, "first"), stack.say(chat_id, "second"))
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    refused = first if first.status_code == 409 else second
    assert "answering another message" in refused.json()["error"]["message"]
    stack.ollama.chat.latency = 0
    assert (await stack.say(chat_id, "third")).status_code == 200
    roles = [m["role"] for m in (await stack.history(chat_id))["messages"]]
    assert roles == ["user", "assistant", "user", "assistant"]


async def test_feedback_is_kept_with_the_answer(stack: ChatStack) -> None:
    chat_id = await stack.new_chat()
    answer = (await stack.say(chat_id, "rate me")).json()
    url = f"/chats/{chat_id}/messages/{answer['id']}/feedback"
    rated = await stack.api.post(url, json={"rating": "down", "comment": "too short"})
    assert rated.status_code == 200, rated.text
    [_, stored] = (await stack.history(chat_id))["messages"]
    assert (stored["feedback"]["rating"], stored["feedback"]["comment"]) == ("down", "too short")
    again = await stack.api.post(url, json={"rating": "up"})
    assert again.json()["feedback"]["rating"] == "up"
    bad = await stack.api.post(url, json={"rating": "meh"})
    assert bad.status_code in (400, 422)
    missing = await stack.api.post(
        f"/chats/{chat_id}/messages/nope/feedback", json={"rating": "up"}
    )
    assert missing.status_code == 404


async def test_chats_are_listed_newest_first_by_page_and_deleted(stack: ChatStack) -> None:
    ids = [await stack.new_chat(subject=f"chat {n}") for n in range(3)]
    page = (await stack.api.get("/chats", params={"limit": 2})).json()
    assert [c["id"] for c in page] == ids[:0:-1]
    rest = (await stack.api.get("/chats", params={"cursor": page[-1]["createdAt"]})).json()
    assert [c["id"] for c in rest] == ids[:1]
    assert (await stack.api.delete(f"/chats/{ids[0]}")).status_code == 200
    assert (await stack.api.get(f"/chats/{ids[0]}")).status_code == 404
    assert (await stack.api.delete(f"/chats/{ids[0]}")).status_code == 404
    assert (await stack.say(ids[0], "hello?")).status_code == 404


async def test_bad_chat_input_is_refused_and_changes_nothing(stack: ChatStack) -> None:
    unknown = await stack.api.post("/chats", json={"subject": "s", "chainId": "nope"})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["param"] == "chainId"
    grounded = await stack.api.post("/chats", json={"subject": "s", "path": "/docs"})
    assert grounded.status_code == 422
    assert grounded.json()["error"]["param"] == "path"
    assert (await stack.api.get("/chats")).json() == []
    chat_id = await stack.new_chat()
    empty = await stack.say(chat_id, "  ")
    assert empty.status_code == 422
    missing = await stack.api.post(f"/chats/{chat_id}/chat", json={})
    assert missing.status_code in (400, 422)
    history = await stack.history(chat_id)
    assert (history["messages"], history["failures"]) == ([], [])
    default = (await stack.api.post("/chats", json={"subject": "s"})).json()
    assert (default["chainId"], default["model"]) == ("chat", "")


async def test_two_replicas_on_one_database_never_run_two_turns_of_one_chat(
    stack: ChatStack, settings: Settings
) -> None:
    fast = msgspec.structs.replace(settings, reconcile_interval=0.2)
    async with (
        serve(create_app(fast), lifespan=True) as other,
        httpx.AsyncClient(base_url=other.url, timeout=10) as replica,
    ):
        chat_id = await stack.new_chat()
        await eventually(lambda: _routable_on(replica))
        stack.ollama.chat.latency = 0.5
        body = {"message": "hello"}
        first, second = await asyncio.gather(
            stack.api.post(f"/chats/{chat_id}/chat", json=body),
            replica.post(f"/chats/{chat_id}/chat", json=body),
        )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    assert len((await stack.history(chat_id))["messages"]) == 2


async def _routable_on(api: httpx.AsyncClient) -> bool:
    backends = (await api.get("/backends")).json()
    return any(p["name"].startswith("m") for b in backends for p in b.get("pulledModels", []))


async def test_a_client_leaving_a_whole_answer_stops_the_run_and_marks_it_interrupted(
    stack: ChatStack,
) -> None:
    chat_id = await stack.new_chat()
    stack.ollama.chat.latency = 1.0
    with pytest.raises(httpx.ReadTimeout):
        await stack.api.post(f"/chats/{chat_id}/chat", json={"message": "wait"}, timeout=0.3)

    async def stored() -> list[dict[str, Any]]:
        return list((await stack.history(chat_id))["messages"])

    [question, answer] = await eventually(stored)
    assert (question["content"], answer["status"], answer["content"]) == (
        "wait",
        "interrupted",
        "",
    )
    await asyncio.sleep(1.0)
    assert stack.ollama.chat.abandoned == 1  # the backend request was dropped too


async def test_a_chat_deleted_during_its_turn_answers_404_and_keeps_nothing(
    stack: ChatStack,
) -> None:
    chat_id = await stack.new_chat()
    stack.ollama.chat.latency = 2.0  # the delete lands while the backend is answering
    turn = asyncio.ensure_future(stack.say(chat_id, "hello"))

    async def answering() -> bool:
        return bool(stack.chat_requests())

    await eventually(answering)
    assert (await stack.api.delete(f"/chats/{chat_id}")).status_code == 200
    answered = await turn
    assert answered.status_code == 404, answered.text
    assert "deleted" in answered.json()["error"]["message"]


async def test_turns_through_two_replicas_each_see_the_whole_history(
    stack: ChatStack, settings: Settings
) -> None:
    fast = msgspec.structs.replace(settings, reconcile_interval=0.2)
    async with (
        serve(create_app(fast), lifespan=True) as other,
        httpx.AsyncClient(base_url=other.url, timeout=10) as replica,
    ):
        chat_id = await stack.new_chat()
        await eventually(lambda: _routable_on(replica))
        assert (await stack.say(chat_id, "one")).status_code == 200
        assert (await replica.post(f"/chats/{chat_id}/chat", json={"message": "two"})).is_success
        rule = {"instruction": "Be brief."}
        assert (await replica.post(f"/chats/{chat_id}/instruction", json=rule)).is_success
        assert (await stack.say(chat_id, "three")).status_code == 200
    sent = [m["content"] for m in stack.chat_requests()[-1]]
    assert sent == ["Be brief.", "one", "echo: one", "two", "echo: two", "three"]
