from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from runtime import errors
from runtime.chainstore import SHIPPED
from runtime.taskengine.handlers import HANDLERS
from runtime.taskengine.schema import HandlerKind, decode_chain, encode_chain
from runtime.taskengine.validate import validate_chain
from tests.taskengine.helpers import TO_END, chain, task

CHAINS = sorted(SHIPPED.glob("*.json"))


def test_every_handler_kind_has_a_handler() -> None:
    assert set(HANDLERS) == set(HandlerKind)


def test_chain_round_trips_through_json() -> None:
    raw = {
        "id": "c1",
        "description": "demo",
        "debug": True,
        "token_limit": 100,
        "tasks": [
            {
                "id": "t1",
                "handler": "model_execution",
                "system_instruction": "be brief",
                "execute_config": {"model": "m", "providers": ["ollama"], "hooks": ["h"]},
                "compose": {"with_var": "input", "strategy": "override"},
                "transition": {
                    "on_failure": "t2",
                    "branches": [{"operator": "equals", "when": "x", "goto": "end"}],
                },
                "timeout": "30s",
                "retry_on_failure": 2,
            },
            {"id": "t2", "handler": "hook", "hook": {"name": "h", "tool_name": "t", "args": {}}},
        ],
    }
    decoded = decode_chain(json.dumps(raw).encode())
    assert decode_chain(encode_chain(decoded)) == decoded
    assert msgspec.json.decode(encode_chain(decoded))["tasks"][0]["execute_config"]["model"] == "m"


def test_empty_optional_keys_are_omitted_from_output() -> None:
    encoded = msgspec.json.decode(encode_chain(chain(task("t1", "noop"))))
    assert set(encoded["tasks"][0]) == {"id", "handler", "transition"}


def test_unknown_fields_are_ignored_and_keys_match_in_any_case() -> None:
    decoded = chain(task("t1", "noop", type="x", System_Instruction="be brief"))
    assert decoded.tasks[0].system_instruction == "be brief"


def test_a_wrongly_typed_field_is_rejected_naming_the_task_and_the_field() -> None:
    with pytest.raises(errors.BadRequestError, match=r"task 't1'.*Expected `int`") as info:
        chain(task("t1", "noop", retry_on_failure="twice"))
    assert info.value.param == "tasks[0].retry_on_failure"


def test_undecodable_json_is_a_bad_request() -> None:
    with pytest.raises(errors.BadRequestError, match="invalid task chain"):
        decode_chain(b"{not json")


@pytest.mark.parametrize(
    ("tasks", "message"),
    [
        ([], "chain has no tasks"),
        ([task("", "noop")], "task ID cannot be empty"),
        ([task("end", "noop")], "task ID cannot be 'end'"),
        ([task("a", "noop"), task("a", "noop")], "task a: duplicate task ID"),
        ([task("a", "chat_completion")], "task a: unknown handler 'chat_completion'"),
        ([task("a", "")], "task a: unknown handler '\\(empty\\)'"),
        (
            [task("a", "noop", transition={"branches": [{"operator": "eq", "goto": "end"}]})],
            "task a: unsupported operator: 'eq'",
        ),
        (
            [task("a", "noop", transition={"branches": [{"when": "x", "goto": "end"}]})],
            "task a: unsupported operator: ''",
        ),
        ([task("a", "noop", transition={"on_failure": "nope"})], "task a: .*on_failure.*'nope'"),
        ([task("a", "noop", prompt_template="{{.input")], "task a: invalid prompt_template"),
        ([task("a", "noop", print="{{if .x}}")], "task a: invalid print"),
        ([task("a", "noop", timeout="soon")], "task a: invalid timeout"),
        ([task("a", "hook")], "task a: hook task missing hook definition"),
    ],
)
def test_invalid_chains_are_rejected_with_a_message_naming_the_task(
    tasks: list[dict[str, object]], message: str
) -> None:
    with pytest.raises(errors.BadRequestError, match=message):
        validate_chain(chain(*tasks))


def test_unknown_goto_is_rejected_naming_the_task() -> None:
    broken = task("t1", "noop", transition={"branches": [{"operator": "default", "goto": "t9"}]})
    with pytest.raises(errors.BadRequestError, match=r"task t1: .*goto target 't9'") as info:
        validate_chain(chain(broken))
    assert info.value.param == "tasks[0].transition.branches[0].goto"


def test_goto_to_existing_task_or_end_is_valid() -> None:
    first = task("t1", "noop", transition={"branches": [{"operator": "default", "goto": "t2"}]})
    validate_chain(chain(first, task("t2", "noop", transition=TO_END)))


@pytest.mark.parametrize("path", CHAINS, ids=[p.name for p in CHAINS])
def test_shipped_chains_decode_and_validate(path: Path) -> None:
    validate_chain(decode_chain(path.read_bytes()))
