"""Pure routing: candidates from a snapshot, the least-in-flight policy, cooldowns."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from runtime.execution.gateway import ChatGateway
from runtime.providers import Chat
from runtime.providers.messages import Capabilities, ServedModel
from runtime.registry.types import Backend, BackendKind
from runtime.routing.candidates import candidates
from runtime.routing.health import Health
from runtime.routing.policy import order
from runtime.routing.resolver import Resolver
from runtime.routing.types import Capability, Route, RouteRequest
from runtime.state.snapshot import SnapshotHolder
from runtime.state.types import BackendState, PulledModel, Snapshot
from runtime.wire.openai import parse_chat

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CHAT = frozenset({Capability.CHAT})


def backend(name: str, kind: BackendKind = BackendKind.OLLAMA) -> Backend:
    return Backend(
        id=name, name=name, base_url=f"http://{name}:1", type=kind, created_at=NOW, updated_at=NOW
    )


def state(
    name: str,
    *models: tuple[str, Capabilities],
    error: str = "",
    kind: BackendKind = BackendKind.OLLAMA,
) -> BackendState:
    return BackendState(
        backend=backend(name, kind),
        groups=frozenset({"g"}),
        models=tuple(m for m, _ in models),
        pulled=tuple(
            PulledModel(served=ServedModel(name=m, model=m), capabilities=c) for m, c in models
        ),
        error=error,
    )


def chat(context: int = 4096) -> Capabilities:
    return Capabilities(context_length=context, can_chat=True, can_prompt=True, can_stream=True)


def snapshot(*states: BackendState) -> Snapshot:
    return Snapshot(backends={s.backend.id: s for s in states})


def test_only_backends_that_serve_the_model_with_the_capability_are_candidates() -> None:
    snap = snapshot(
        state("a", ("llama3:latest", chat())),
        state("b", ("llama3:latest", Capabilities())),  # served, but declared by no group of b
        state("c", ("phi3:latest", chat())),
        state("d", ("llama3:latest", chat()), error="down"),
    )
    found = candidates(snap, RouteRequest(model="llama3", needs=CHAT))
    assert [r.backend.id for r in found] == ["a"]
    assert found[0].model == "llama3:latest"


def test_context_and_provider_filters() -> None:
    snap = snapshot(
        state("small", ("m:1", chat(2048))),
        state("big", ("m:1", chat(32768)), kind=BackendKind.VLLM),
    )
    big_enough = candidates(snap, RouteRequest(model="m:1", needs=CHAT, min_context=8000))
    assert [r.backend.id for r in big_enough] == ["big"]
    on_ollama = candidates(snap, RouteRequest(model="m:1", needs=CHAT, provider="ollama"))
    assert [r.backend.id for r in on_ollama] == ["small"]


def route(name: str) -> Route:
    return Route(backend=backend(name), model="m", context_length=1)


def test_policy_prefers_least_in_flight_and_puts_cooling_backends_last() -> None:
    routes = [route("busy"), route("cool"), route("idle")]
    ordered = order(routes, {"busy": 3}, lambda b: b == "cool", random.Random(1))
    assert [r.backend.id for r in ordered] == ["idle", "busy", "cool"]


def test_policy_breaks_ties_at_random() -> None:
    routes = [route("a"), route("b")]
    firsts = {
        order(routes, {}, lambda _: False, random.Random(seed))[0].backend.id for seed in range(20)
    }
    assert firsts == {"a", "b"}


def test_cooldown_doubles_and_ends_on_success() -> None:
    now = [0.0]
    health = Health(clock=lambda: now[0])
    assert health.failed("a") == 1.0
    assert health.failed("a") == 2.0
    assert health.cooling("a")
    now[0] = 2.5
    assert not health.cooling("a")
    health.failed("a")
    health.succeeded("a")
    assert not health.cooling("a")
    assert health.failed("a") == 1.0


def test_in_flight_counts_come_and_go() -> None:
    health = Health()
    health.started("a")
    health.started("a")
    health.finished("a")
    assert health.in_flight == {"a": 1}
    health.finished("a")
    assert health.in_flight == {}


async def test_an_empty_backend_stream_leaves_no_request_in_flight() -> None:
    class Silent:
        async def stream_chat(self, chat: Chat) -> AsyncIterator[bytes]:
            return
            yield b""

    holder = SnapshotHolder()
    holder.replace(snapshot(state("a", ("m:latest", chat()))))
    health = Health()
    gateway = ChatGateway(Resolver(holder, health, random.Random(0)), lambda _: Silent())  # type: ignore[arg-type,return-value]
    body = b'{"model": "m", "stream": true, "messages": [{"role": "user", "content": "hi"}]}'
    parts = [part async for part in await gateway.stream(parse_chat(body), body)]
    assert parts == []
    assert health.in_flight == {}
