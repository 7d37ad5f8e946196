"""The fakes are checked with the official `ollama`, `openai` and Telegram clients (honesty)."""

from __future__ import annotations

import json
import logging

import ollama
import openai
import pytest
import telegram

from tests.fakes.loopback import serve
from tests.fakes.ollama_fake import FakeOllama, Pullable
from tests.fakes.openai_fake import FakeOpenAI
from tests.fakes.telegram import TOKEN, FakeTelegram


async def test_ollama_client_lists_pulls_shows_and_deletes() -> None:
    fake = FakeOllama()
    fake.add_model("llama3:8b")
    fake.pullable["phi3:3.8b"] = Pullable(size=800, steps=4)
    async with serve(fake) as served, ollama.AsyncClient(host=served.url) as client:
        listed = await client.list()
        assert [m.model for m in listed.models] == ["llama3:8b"]
        assert listed.models[0].details is not None
        progress = [p async for p in await client.pull("phi3:3.8b", stream=True)]
        assert progress[-1].status == "success"
        assert [p.completed for p in progress if p.total] == [200, 400, 600, 800]
        shown = await client.show("phi3:3.8b")
        assert "completion" in (shown.capabilities or [])
        await client.delete("phi3:3.8b")
        assert [m.model for m in (await client.list()).models] == ["llama3:8b"]
        with pytest.raises(ollama.ResponseError):
            await client.pull("nosuch:1b")


async def test_ollama_client_chats_streams_and_calls_tools() -> None:
    fake = FakeOllama()
    fake.add_model("llama3:8b")
    async with serve(fake) as served, ollama.AsyncClient(host=served.url) as client:
        messages = [{"role": "user", "content": "hello there"}]
        answer = await client.chat("llama3:8b", messages=messages)
        assert answer.message.content == "echo: hello there"
        assert answer.done
        parts = [c async for c in await client.chat("llama3:8b", messages=messages, stream=True)]
        assert len(parts) > 2
        assert "".join(p.message.content or "" for p in parts) == "echo: hello there"
        fake.chat.tool_call("get_weather", {"city": "Paris"})
        called = await client.chat("llama3:8b", messages=messages, tools=[])
        calls = called.message.tool_calls or []
        assert [(c.function.name, dict(c.function.arguments)) for c in calls] == [
            ("get_weather", {"city": "Paris"})
        ]


async def test_openai_client_lists_models_and_completes() -> None:
    fake = FakeOpenAI(models={"qwen2.5:7b": 32768}, api_key="sk-fake")
    async with (
        serve(fake) as served,
        openai.AsyncOpenAI(base_url=served.url + "/v1", api_key="sk-fake", max_retries=0) as client,
    ):
        assert [m.id for m in (await client.models.list()).data] == ["qwen2.5:7b"]
        answer = await client.chat.completions.create(
            model="qwen2.5:7b", messages=[{"role": "user", "content": "hi"}]
        )
        assert answer.choices[0].message.content == "echo: hi"
        assert answer.usage is not None
        assert (
            answer.usage.total_tokens == answer.usage.prompt_tokens + answer.usage.completion_tokens
        )


async def test_openai_client_streams_text_usage_and_tool_call_fragments() -> None:
    fake = FakeOpenAI(models={"m": 0})
    fake.chat.stream(["Hel", "lo", "!"])
    fake.chat.tool_call("lookup", {"query": "weather in Paris", "limit": 3})
    async with (
        serve(fake) as served,
        openai.AsyncOpenAI(base_url=served.url + "/v1", api_key="x") as client,
    ):
        stream = await client.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        text, arguments, usage = "", "", None
        async for chunk in stream:
            if chunk.usage:
                usage = chunk.usage
            for choice in chunk.choices:
                text += choice.delta.content or ""
                for call in choice.delta.tool_calls or []:
                    arguments += (call.function.arguments if call.function else "") or ""
    assert text == "Hello!"
    assert json.loads(arguments) == {"query": "weather in Paris", "limit": 3}
    assert usage is not None
    assert usage.completion_tokens == 3


async def test_openai_client_sees_auth_failures_and_injected_faults() -> None:
    fake = FakeOpenAI(models={"m": 0}, api_key="right")
    async with serve(fake) as served:
        async with openai.AsyncOpenAI(
            base_url=served.url + "/v1", api_key="wrong", max_retries=0
        ) as client:
            with pytest.raises(openai.AuthenticationError):
                await client.models.list()
        fake.chat.fail(status=500)
        async with openai.AsyncOpenAI(
            base_url=served.url + "/v1", api_key="right", max_retries=0
        ) as client:
            with pytest.raises(openai.InternalServerError):
                await client.chat.completions.create(
                    model="m", messages=[{"role": "user", "content": "hi"}]
                )


async def test_telegram_client_reads_updates_sends_and_sees_the_errors(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # retry_after as a timedelta, as PTB 23 will
    # the client logs each URL it calls, bot token included (its own log, not the server's)
    caplog.set_level(logging.WARNING, "httpx")
    caplog.set_level(logging.WARNING, "telegram")
    fake = FakeTelegram()
    async with serve(fake) as served:
        bot = telegram.Bot(TOKEN, base_url=f"{served.url}/bot")
        async with bot:
            assert bot.username == "test_bot"  # getMe, called on initialize
            first = fake.say(7, "hello")
            fake.say(8, "second chat")
            updates = await bot.get_updates(offset=0, timeout=0)
            assert [(u.update_id, u.effective_chat.id) for u in updates if u.effective_chat] == [
                (first, 7),
                (first + 1, 8),
            ]
            assert updates[0].message is not None
            assert updates[0].message.text == "hello"
            later = await bot.get_updates(offset=first + 2, timeout=0.2)  # long poll, nothing
            assert later == ()
            sent = await bot.send_message(chat_id=7, text="hi back")
            assert (sent.chat.id, sent.text) == (7, "hi back")
            assert fake.replies_to(7) == ["hi back"]
            fake.fail("sendMessage", 429, retry_after=3)
            with pytest.raises(telegram.error.RetryAfter) as limited:
                await bot.send_message(chat_id=7, text="too soon")
            assert limited.value.retry_after.total_seconds() == 3
        with pytest.raises(telegram.error.InvalidToken):
            async with telegram.Bot("999:wrong", base_url=f"{served.url}/bot"):
                pass
