"""The pure reconciliation plan: pulls for missing models, states for every backend kind."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from runtime.providers.messages import Capabilities, ServedModel
from runtime.registry.types import Backend, BackendKind, Model
from runtime.state.names import canonical
from runtime.state.reconcile import plan
from runtime.state.types import Declared, Observation, PullModel, RemoveModel

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def backend(kind: BackendKind = BackendKind.OLLAMA) -> Backend:
    return Backend(
        id="b1", name="b1", base_url="http://h:1", type=kind, created_at=NOW, updated_at=NOW
    )


def model(name: str, *, context: int = 4096, chat: bool = True, embed: bool = False) -> Model:
    return Model(
        id=name,
        model=name,
        context_length=context,
        can_chat=chat,
        can_embed=embed,
        can_prompt=chat,
        can_stream=chat,
        created_at=NOW,
        updated_at=NOW,
    )


def served(name: str, caps: Capabilities | None = None) -> ServedModel:
    return ServedModel(name=name, model=name, capabilities=caps)


def declared(*models: Model, kind: BackendKind = BackendKind.OLLAMA) -> Declared:
    return Declared(backend=backend(kind), models=models, groups=frozenset({"g"}))


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("llama3", "llama3:latest"),
        ("llama3:latest", "llama3:latest"),
        ("llama3:8b", "llama3:8b"),
        ("hf.co/org/model", "hf.co/org/model:latest"),
        ("localhost:5000/library/phi3", "localhost:5000/library/phi3:latest"),
        ("models/gemini-1.5-flash", "gemini-1.5-flash:latest"),
    ],
)
def test_model_names_are_compared_in_canonical_form(given: str, expected: str) -> None:
    assert canonical(given) == expected


def test_missing_declared_model_on_ollama_is_pulled() -> None:
    state, actions = plan(
        declared(model("phi3:3.8b"), model("llama3")),
        Observation(served=(served("llama3:latest"),)),
        prune=False,
    )
    assert actions == [PullModel(backend=backend(), model="phi3:3.8b")]
    assert state.models == ("llama3", "phi3:3.8b")
    assert [p.served.name for p in state.pulled] == ["llama3:latest"]
    assert state.error == ""


def test_untagged_declaration_matches_latest_and_is_not_pulled_again() -> None:
    _, actions = plan(
        declared(model("llama3")), Observation(served=(served("llama3:latest"),)), prune=True
    )
    assert actions == []


def test_undeclared_model_is_pruned_only_when_pruning_is_on() -> None:
    seen = Observation(served=(served("old:1b"),))
    _, kept = plan(declared(), seen, prune=False)
    _, pruned = plan(declared(), seen, prune=True)
    assert kept == []
    assert pruned == [RemoveModel(backend=backend(), model="old:1b")]


def test_undeclared_served_model_has_no_capabilities() -> None:
    state, _ = plan(declared(), Observation(served=(served("x:1"),)), prune=False)
    assert state.pulled[0].capabilities == Capabilities()


def test_capabilities_are_the_declared_ones_narrowed_by_the_backend() -> None:
    observed = Capabilities(context_length=2048, can_chat=True, can_prompt=True, can_stream=True)
    state, _ = plan(
        declared(model("m:1", context=8192, embed=True)),
        Observation(served=(served("m:1", observed),)),
        prune=False,
    )
    caps = state.pulled[0].capabilities
    assert caps.context_length == 2048
    assert (caps.can_chat, caps.can_embed) == (True, False)


def test_unreachable_backend_keeps_declared_names_and_reports_the_error() -> None:
    state, actions = plan(
        declared(model("m:1")), Observation(error="connection refused"), prune=True
    )
    assert actions == []
    assert state.error == "connection refused"
    assert state.models == ("m:1",)
    assert state.pulled == ()


@pytest.mark.parametrize("kind", [BackendKind.VLLM, BackendKind.OPENAI, BackendKind.GEMINI])
def test_non_ollama_backends_are_never_pulled_into(kind: BackendKind) -> None:
    state, actions = plan(
        declared(model("a:1"), kind=kind), Observation(served=(served("a:1"),)), prune=True
    )
    assert actions == []
    assert state.error == ""
    assert state.pulled[0].capabilities.can_chat is True


@pytest.mark.parametrize("kind", [BackendKind.VLLM, BackendKind.OPENAI, BackendKind.GEMINI])
def test_backend_serving_none_of_its_declared_models_is_in_error(kind: BackendKind) -> None:
    state, _ = plan(
        declared(model("wanted:1"), kind=kind),
        Observation(served=(served("other:1"),)),
        prune=False,
    )
    assert "none of the declared models is served" in state.error
