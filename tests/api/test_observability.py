"""Observability through HTTP: request ids, access log, /metrics, /activity/*, spans, /system/*."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from runtime.app import create_app
from runtime.config import Settings
from runtime.observability import tracing
from tests.api.gateway_setup import backend, declare_model, group, one_backend, routable
from tests.fakes.loopback import serve
from tests.fakes.ollama_fake import FakeOllama
from tests.waiting import eventually

HELLO = [{"role": "user", "content": "hi"}]
TOKEN = "observe-s3cret-token"


def fast(settings: Settings, **changes: Any) -> Settings:
    base = {
        "reconcile_interval": 0.2,
        "activity_flush_interval": 0.05,
        "pull_backoff": 0.05,
        "function_backoff": 0.05,
        "function_timeout": 1.0,
        "alert_down_cycles": 2,
    }
    return msgspec.structs.replace(settings, **(base | changes))


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serve(create_app(fast(settings)), lifespan=True) as ours,
        httpx.AsyncClient(base_url=ours.url, timeout=10) as client,
    ):
        yield client


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use(provider)
    try:
        yield exporter
    finally:
        tracing.use(None)


async def samples(api: httpx.AsyncClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of /metrics, parsed with prometheus_client's own parser."""
    response = await api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


async def two_backends(
    api: httpx.AsyncClient, flaky: FakeOllama, steady: FakeOllama, urls: tuple[str, str]
) -> None:
    g = await group(api, "g")
    await declare_model(api, g, "m")
    for name, url in zip(("flaky", "steady"), urls, strict=True):
        await routable(api, await backend(api, g, url, "ollama", name), "m")


async def record(api: httpx.AsyncClient, request_id: str) -> dict[str, Any]:
    response = await api.get(f"/activity/requests/{request_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_every_answer_carries_a_request_id(api: httpx.AsyncClient) -> None:
    given = await api.get("/groups", headers={"X-Request-ID": "client-id_1.2"})
    assert given.headers["x-request-id"] == "client-id_1.2"
    insane = await api.get("/groups", headers={"X-Request-ID": "bad id\twith spaces"})
    assert insane.headers["x-request-id"] != "bad id\twith spaces"
    assert len(insane.headers["x-request-id"]) == 32
    missing = await api.get("/nowhere")
    assert missing.status_code == 404
    assert len(missing.headers["x-request-id"]) == 32
    assert missing.headers["x-request-id"] != insane.headers["x-request-id"]


async def test_failover_shows_in_activity_metrics_and_the_access_log(
    api: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="runtime.access")
    flaky, steady = FakeOllama(), FakeOllama()
    flaky.add_model("m")
    steady.add_model("m")
    async with serve(flaky) as a, serve(steady) as b:
        await two_backends(api, flaky, steady, (a.url, b.url))
        before = await samples(api)
        flaky.chat.fail(status=500, times=1000)
        answers = [
            await api.post("/v1/chat/completions", json={"model": "m", "messages": HELLO})
            for _ in range(6)
        ]
        after = await samples(api)
    assert all(answer.status_code == 200 for answer in answers)
    found = [await record(api, answer.headers["x-request-id"]) for answer in answers]
    failed_over = [r for r in found if len(r["attempts"]) == 2]
    assert failed_over, found  # the flaky one was tried once before it cooled down
    first, second = failed_over[0]["attempts"]
    assert (first["backend"], first["outcome"]) == ("flaky", "failed")
    assert "500" in first["error"] or first["error"]
    assert (second["backend"], second["outcome"]) == ("steady", "ok")
    assert failed_over[0]["backend"] == "steady"
    assert failed_over[0]["model"] == "m:latest"  # the name the backend serves it by
    assert failed_over[0]["route"] == "/v1/chat/completions"
    assert failed_over[0]["status"] == 200
    assert failed_over[0]["tokensOut"] > 0
    route = {"method": "POST", "route": "/v1/chat/completions", "status": "200"}
    assert (
        value(after, "runtime_http_requests_total", **route)
        - value(before, "runtime_http_requests_total", **route)
        == 6
    )
    assert (
        value(after, "runtime_failovers_total", model="m:latest")
        >= value(before, "runtime_failovers_total", model="m") + 1
    )
    failed = {"backend": "flaky", "model": "m:latest", "outcome": "failed"}
    assert value(after, "runtime_backend_requests_total", **failed) > value(
        before, "runtime_backend_requests_total", **failed
    )
    assert value(after, "runtime_backend_cooldowns_total", backend="flaky") >= 1
    assert (
        value(after, "runtime_tokens_total", backend="steady", model="m:latest", direction="out")
        > 0
    )
    lines = [r.getMessage() for r in caplog.records if r.name == "runtime.access"]
    line = next(text for text in lines if answers[0].headers["x-request-id"] in text)
    assert line.startswith("POST /v1/chat/completions 200 ")
    assert "backend=" in line
    assert "model=m:latest" in line


async def test_a_stream_records_its_time_to_first_token(api: httpx.AsyncClient) -> None:
    fake = FakeOllama()
    fake.add_model("m")
    async with serve(fake) as served:
        await one_backend(api, served.url)
        body = {"model": "m", "messages": HELLO, "stream": True}
        async with api.stream("POST", "/v1/chat/completions", json=body) as response:
            assert response.status_code == 200
            _ = [line async for line in response.aiter_lines()]
        request_id = response.headers["x-request-id"]
    found = await record(api, request_id)
    assert found["firstTokenMs"] is not None
    assert 0 < found["firstTokenMs"] <= found["durationMs"]
    metrics = await samples(api)
    assert (
        value(metrics, "runtime_time_to_first_token_seconds_count", backend="o", model="m:latest")
        >= 1
    )


async def test_a_refused_request_names_why_each_backend_was_passed_over(
    api: httpx.AsyncClient,
) -> None:
    fake = FakeOllama()
    fake.add_model("other")
    async with serve(fake) as served:
        g = await group(api, "g")
        await declare_model(api, g, "other")
        await routable(api, await backend(api, g, served.url, "ollama", "o"), "other")
        await declare_model(api, g, "m")
        refused = await api.post("/v1/chat/completions", json={"model": "m", "messages": HELLO})
    assert refused.status_code == 503
    found = await record(api, refused.headers["x-request-id"])
    assert found["status"] == 503
    assert found["error"]
    assert [entry["backend"] for entry in found["skipped"]] == ["o"]
    assert "does not serve" in found["skipped"][0]["reason"]


async def test_a_failed_pull_is_an_operation_a_metric_and_an_alert(
    api: httpx.AsyncClient,
) -> None:
    fake = FakeOllama()  # offers nothing to pull: every pull fails
    async with serve(fake) as served:
        before = await samples(api)
        g = await group(api, "g")
        created = await api.post(
            "/models", json={"model": "absent", "contextLength": 4096, "canChat": True}
        )
        assert created.status_code == 201
        await api.post(f"/model-affinity/{g}/models/absent")
        await backend(api, g, served.url, "ollama", "o")

        async def failed_pulls() -> list[dict[str, Any]]:
            page = (await api.get("/activity/operations", params={"op": "pull"})).json()
            return [op for op in page["operations"] if op["outcome"] == "error"]

        ops = await eventually(failed_pulls)
        assert ops[0]["subject"] == "absent@o"
        assert "does not exist" in ops[0]["error"]
        by_subject = (await api.get("/activity/operations/pull/absent@o")).json()
        assert by_subject["operations"]
        assert {op["subject"] for op in by_subject["operations"]} == {"absent@o"}
        alerts = (await api.get("/activity/alerts")).json()["alerts"]
        assert any(a["kind"] == "pull_failing" and a["subject"] == "absent@o" for a in alerts)
        after = await samples(api)
    assert value(after, "runtime_pulls_total", outcome="failed") > value(
        before, "runtime_pulls_total", outcome="failed"
    )
    assert value(after, "runtime_reconcile_cycle_duration_seconds_count") > value(
        before, "runtime_reconcile_cycle_duration_seconds_count"
    )


async def test_a_function_run_is_an_operation_a_metric_and_a_span(
    api: httpx.AsyncClient, spans: InMemorySpanExporter
) -> None:
    before = await samples(api)
    fn = {"name": "count", "scriptType": "goja", "script": "function handle(e) { return 1 }"}
    assert (await api.post("/functions", json=fn)).status_code == 201
    trigger = {"name": "t", "listenFor": {"type": "ping"}, "type": "function", "function": "count"}
    assert (await api.post("/event-triggers", json=trigger)).status_code == 201
    event = {
        "event_type": "ping",
        "event_source": "test",
        "aggregate_id": "a",
        "aggregate_type": "t",
        "version": 1,
        "created_at": datetime.now(UTC).isoformat(),
        "data": {},
    }
    assert (await api.post("/events", json=event)).status_code == 201

    async def runs() -> list[dict[str, Any]]:
        return list((await api.get("/activity/operations/function/count")).json()["operations"])

    (run,) = await eventually(runs)
    assert run["outcome"] == "ok"
    assert run["detail"]["trigger"] == "t"
    after = await samples(api)
    assert (
        value(after, "runtime_function_runs_total", function="count", status="succeeded")
        == value(before, "runtime_function_runs_total", function="count", status="succeeded") + 1
    )
    assert value(after, "runtime_events_appended_total", via="direct") > value(
        before, "runtime_events_appended_total", via="direct"
    )
    assert any(span.name == "function run" for span in spans.get_finished_spans())


@pytest.mark.parametrize("stream", [False, True])
async def test_spans_nest_under_the_clients_trace_and_reach_the_backend(
    api: httpx.AsyncClient, spans: InMemorySpanExporter, stream: bool
) -> None:
    fake = FakeOllama()
    fake.add_model("m")
    trace_id = "0af7651916cd43dd8448eb211c80319c"
    parent = "b7ad6b7169203331"
    async with serve(fake) as served:
        await one_backend(api, served.url)
        spans.clear()
        answer = await api.post(
            "/v1/chat/completions",
            json={"model": "m", "messages": HELLO, "stream": stream},
            headers={"traceparent": f"00-{trace_id}-{parent}-01"},
        )
    assert answer.status_code == 200
    finished = {span.name: span for span in spans.get_finished_spans()}
    server = finished["POST /v1/chat/completions"]
    assert format(server.context.trace_id, "032x") == trace_id
    assert server.parent is not None
    assert format(server.parent.span_id, "016x") == parent
    for name in ("routing", "backend attempt"):
        child = finished[name]
        assert child.context.trace_id == server.context.trace_id
        assert child.parent is not None
        assert child.parent.span_id == server.context.span_id
    assert finished["backend attempt"].attributes["runtime.backend"] == "o"
    found = await record(api, answer.headers["x-request-id"])
    assert found["traceId"] == trace_id
    attempt = finished["backend attempt"].context
    sent = f"00-{trace_id}-{attempt.span_id:016x}-01"
    chats = [n for n, (_, path, _) in enumerate(fake.requests) if path == "/api/chat"]
    assert fake.traceparents[chats[-1]] == sent  # the backend joins the trace under the attempt


async def test_a_chain_run_keeps_its_steps_and_spans(
    api: httpx.AsyncClient, spans: InMemorySpanExporter
) -> None:
    chain = {
        "id": "two-steps",
        "tasks": [
            {
                "id": "a",
                "handler": "noop",
                "transition": {"branches": [{"operator": "default", "goto": "b"}]},
            },
            {
                "id": "b",
                "handler": "noop",
                "transition": {"branches": [{"operator": "default", "goto": "end"}]},
            },
        ],
    }
    answer = await api.post(
        "/tasks", json={"input": "hello", "inputType": "string", "chain": chain}
    )
    assert answer.status_code == 200, answer.text
    state = await api.get(f"/activity/requests/{answer.headers['x-request-id']}/state")
    assert state.status_code == 200, state.text
    body = state.json()
    assert body["chain"] == "two-steps"
    assert [step["taskID"] for step in body["steps"]] == ["a", "b"]
    step_spans = [s for s in spans.get_finished_spans() if s.name == "chain step"]
    assert [s.attributes["runtime.task"] for s in step_spans] == ["a", "b"]
    plain = await api.get("/groups")
    refused = await api.get(f"/activity/requests/{plain.headers['x-request-id']}/state")
    assert refused.status_code == 404


async def test_services_report_a_killed_backend_then_its_recovery(api: httpx.AsyncClient) -> None:
    first, second = FakeOllama(), FakeOllama()
    first.add_model("m")
    second.add_model("m")
    async with serve(second) as spare:
        async with serve(first) as served:
            backend_id = await one_backend(api, served.url)
            ready = await api.get("/system/services")
            assert ready.status_code == 200
            assert ready.json()["status"] == "up", ready.json()
        # the backend is gone now

        async def degraded() -> dict[str, Any] | None:
            found = (await api.get("/system/services")).json()
            return found if found["status"] == "degraded" else None

        report = await eventually(degraded)
        (state,) = [s for s in report["services"] if s["kind"] == "backend"]
        assert (state["name"], state["status"]) == ("o", "down")
        assert state["reason"]

        async def alerted() -> list[dict[str, Any]]:
            alerts = (await api.get("/activity/alerts")).json()["alerts"]
            return [a for a in alerts if a["kind"] == "backend_down" and a["subject"] == "o"]

        (alert,) = await eventually(alerted)
        assert alert["count"] >= 2
        moved = await api.put(
            f"/backends/{backend_id}", json={"name": "o", "baseUrl": spare.url, "type": "ollama"}
        )
        assert moved.status_code == 200, moved.text

        async def up() -> bool:
            return bool((await api.get("/system/services")).json()["status"] == "up")

        await eventually(up)


async def test_resources_describe_this_process(api: httpx.AsyncClient) -> None:
    found = (await api.get("/system/resources")).json()
    assert found["rssBytes"] > 10 << 20
    assert found["eventLoopLagMs"] >= 0
    assert found["pools"]["database"]["kind"]
    assert set(found["queues"]) >= {"pulls", "deliveries", "activityUnsaved"}


async def test_activity_lists_filter_and_refuse_bad_filters(api: httpx.AsyncClient) -> None:
    await api.get("/nowhere")
    await api.get("/groups")

    async def listed() -> list[dict[str, Any]]:
        return list(
            (await api.get("/activity/requests", params={"status": "4xx"})).json()["requests"]
        )

    found = await eventually(listed)
    assert {r["status"] for r in found} == {404}
    page = (await api.get("/activity/requests", params={"limit": "1"})).json()
    assert len(page["requests"]) == 1
    assert page["next"] is not None
    older = (
        await api.get("/activity/requests", params={"limit": "1", "before": str(page["next"])})
    ).json()
    assert older["requests"][0]["cursor"] < page["requests"][0]["cursor"]
    for params in ({"status": "abc"}, {"status": "700"}, {"before": "x"}, {"limit": "0"}):
        refused = await api.get("/activity/requests", params=params)
        assert refused.status_code in (400, 422), params
        assert set(refused.json()["error"]) == {"code", "message", "param", "type"}
    missing = await api.get("/activity/requests/no-such-request")
    assert missing.status_code == 404


async def test_in_flight_requests_are_listed_while_they_run(api: httpx.AsyncClient) -> None:
    fake = FakeOllama()
    fake.add_model("m")
    fake.chat.latency = 1.0
    async with serve(fake) as served:
        await one_backend(api, served.url)
        slow = asyncio.ensure_future(
            api.post("/v1/chat/completions", json={"model": "m", "messages": HELLO})
        )

        async def running() -> list[dict[str, Any]]:
            found = (await api.get("/activity/stateful-requests")).json()["requests"]
            return [r for r in found if r["path"] == "/v1/chat/completions"]

        (entry,) = await eventually(running)
        assert entry["model"] == "m:latest"
        assert entry["elapsedMs"] > 0
        assert (await slow).status_code == 200
    assert await running() == []


async def test_no_secret_reaches_the_log(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    guarded = fast(settings, api_token=TOKEN, metrics_token="scrape-" + TOKEN)
    async with (
        serve(create_app(guarded), lifespan=True) as ours,
        httpx.AsyncClient(base_url=ours.url, timeout=10) as client,
    ):
        assert (await client.get("/groups")).status_code == 401
        assert (await client.get("/groups", headers={"X-API-Key": TOKEN})).status_code == 200
        wrong = await client.get("/groups", headers={"Authorization": f"Bearer {TOKEN}x"})
        assert wrong.status_code == 401
        assert (await client.get("/metrics")).status_code == 401
        scraped = await client.get("/metrics", headers={"Authorization": f"Bearer scrape-{TOKEN}"})
        assert scraped.status_code == 200
        provider = {"id": "openai", "apiKey": "sk-" + TOKEN, "type": "openai"}
        await client.post(
            "/providers/openai/configure", json=provider, headers={"X-API-Key": TOKEN}
        )
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "runtime.access" in {r.name for r in caplog.records}
    assert TOKEN not in text


async def test_a_replica_shows_the_other_replicas_requests(settings: Settings) -> None:
    if settings.database_url.startswith("sqlite"):
        pytest.skip("an embedded SQLite database belongs to one server process")
    quick = fast(settings)
    async with (
        serve(create_app(quick), lifespan=True) as first,
        serve(create_app(quick), lifespan=True) as second,
        httpx.AsyncClient(base_url=first.url, timeout=10) as a,
        httpx.AsyncClient(base_url=second.url, timeout=10) as b,
    ):
        answered = await a.get("/groups")
        node_a = (await a.get("/version")).json()["nodeInstanceID"]

        async def shown() -> dict[str, Any] | None:
            found = await b.get(f"/activity/requests/{answered.headers['x-request-id']}")
            return dict(found.json()) if found.status_code == 200 else None

        found = await eventually(shown)
    assert found["node"] == node_a
    assert found["route"] == "/groups"


async def test_a_method_outside_the_standard_ones_is_counted_as_other(
    api: httpx.AsyncClient,
) -> None:
    before = await samples(api)
    answer = await api.request("PROPFIND", "/groups")
    assert answer.status_code == 405
    after = await samples(api)
    other = {"method": "_OTHER", "route": "unmatched", "status": "405"}
    grew = value(after, "runtime_http_requests_total", **other)
    assert grew - value(before, "runtime_http_requests_total", **other) == 1
    assert not any(dict(labels).get("method") == "PROPFIND" for _, labels in after)
