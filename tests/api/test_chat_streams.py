"""Streamed chat turns: events in order, the stored answer equal to the stream, clients leaving."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from runtime.config import Settings
from tests.api.chat_setup import ChatStack, chat_stack
from tests.waiting import eventually


@pytest.fixture
async def stack(settings: Settings) -> AsyncIterator[ChatStack]:
    async with chat_stack(settings) as running:
        yield running


async def events(response: httpx.Response) -> AsyncIterator[tuple[str, Any]]:
    """(event name, decoded data) of a server-sent event stream."""
    name = ""
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            yield name, json.loads(line[6:])


async def test_a_streamed_turn_sends_start_deltas_done_and_stores_the_streamed_text(
    stack: ChatStack,
) -> None:
    chat_id = await stack.new_chat()
    words = ["Once ", "upon ", "a ", "time."]
    stack.ollama.chat.stream(words, delay=0.05)
    body = {"message": "tell me", "stream": True}
    async with stack.api.stream("POST", f"/chats/{chat_id}/chat", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        seen = [event async for event in events(response)]
    names = [name for name, _ in seen]
    assert names == ["start", *["delta"] * len(words), "done"]
    start, done = seen[0][1], seen[-1][1]
    assert start["chatId"] == chat_id
    streamed = "".join(data["content"] for name, data in seen if name == "delta")
    assert streamed == "".join(words)
    assert done["message"]["id"] == start["messageId"]
    assert done["message"]["content"] == streamed
    assert done["sources"] == []
    # what the backend counted (its last line's prompt_eval_count and eval_count)
    assert done["usage"]["promptTokens"] == stack.ollama.chat.prompt_tokens
    assert done["usage"]["completionTokens"] == len(words)
    [question, answer] = (await stack.history(chat_id))["messages"]
    assert question["content"] == "tell me"
    assert (answer["id"], answer["content"], answer["status"]) == (
        start["messageId"],
        streamed,
        "complete",
    )


async def test_accept_event_stream_streams_without_the_flag(stack: ChatStack) -> None:
    chat_id = await stack.new_chat()
    headers = {"Accept": "text/event-stream"}
    body = {"message": "hi"}
    async with stack.api.stream(
        "POST", f"/chats/{chat_id}/chat", json=body, headers=headers
    ) as response:
        names = [name async for name, _ in events(response)]
    assert names[0] == "start"
    assert names[-1] == "done"


async def test_a_client_leaving_mid_stream_stops_the_run_and_keeps_what_was_generated(
    stack: ChatStack,
) -> None:
    chat_id = await stack.new_chat()
    stack.ollama.chat.stream([f"t{n} " for n in range(100)], delay=0.05)
    body = {"message": "go on and on", "stream": True}
    got: list[str] = []
    async with stack.api.stream("POST", f"/chats/{chat_id}/chat", json=body) as response:
        async for name, data in events(response):
            if name == "delta":
                got.append(data["content"])
                if len(got) == 3:
                    break

    async def stored() -> list[dict[str, Any]]:
        return list((await stack.history(chat_id))["messages"])

    [question, answer] = await eventually(stored)
    assert question["content"] == "go on and on"
    assert answer["status"] == "interrupted"
    assert answer["content"].startswith("".join(got))
    assert stack.ollama.chat.sent < 50  # the backend was told to stop too
    await eventually(lambda: _abandoned(stack))
    stack.ollama.chat.stream(["again"])
    assert (await stack.say(chat_id, "still there?")).status_code == 200  # lease given back


async def _abandoned(stack: ChatStack) -> bool:
    return stack.ollama.chat.abandoned >= 1


async def test_a_stream_that_breaks_ends_with_an_error_event_and_stores_a_failure(
    stack: ChatStack,
) -> None:
    chat_id = await stack.new_chat()
    stack.ollama.chat.stream(["one ", "two ", "three ", "four"], delay=0.05)
    stack.ollama.chat.die_after = 2
    body = {"message": "break", "stream": True}
    async with stack.api.stream("POST", f"/chats/{chat_id}/chat", json=body) as response:
        seen = [event async for event in events(response)]
    assert seen[0][0] == "start"
    name, data = seen[-1]
    assert name == "error"
    assert data["error"]["message"]
    history = await stack.history(chat_id)
    assert history["messages"] == []
    assert len(history["failures"]) == 1


async def test_a_stream_refused_before_it_starts_is_a_plain_http_error(stack: ChatStack) -> None:
    chat_id = await stack.new_chat()
    missing = await stack.api.post("/chats/nope/chat", json={"message": "x", "stream": True})
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/json")
    empty = await stack.api.post(f"/chats/{chat_id}/chat", json={"message": "", "stream": True})
    assert empty.status_code == 422
