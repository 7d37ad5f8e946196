"""/taskchains and POST /tasks through HTTP: stored chains, validation, inline runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from runtime.app import create_app
from runtime.chainstore import SHIPPED
from runtime.config import ConfigError, Settings
from tests.api.test_backends import assert_error
from tests.services.test_startup import leaves

Client = AsyncTestClient[Litestar]
TO_END = {"branches": [{"operator": "default", "goto": "end"}]}
ECHO = {
    "id": "echo",
    "description": "passes its input through",
    "tasks": [{"id": "pass", "handler": "noop", "transition": TO_END}],
}


async def test_chain_crud_round_trips(client: Client) -> None:
    created = await client.post("/taskchains", json=ECHO)
    assert created.status_code == 201
    assert created.json() == ECHO
    assert (await client.get("/taskchains/echo")).json() == ECHO
    assert [c["id"] for c in (await client.get("/taskchains")).json()] == ["echo"]
    changed = ECHO | {"description": "still echoes"}
    assert (await client.post("/taskchains", json=changed)).status_code == 201  # upsert
    assert (await client.get("/taskchains/echo")).json()["description"] == "still echoes"
    replaced = await client.put("/taskchains/echo", json=ECHO)
    assert (replaced.status_code, replaced.json()) == (200, ECHO)
    removed = await client.delete("/taskchains/echo")
    assert (removed.status_code, removed.json()) == (200, "task chain echo deleted")
    assert (await client.get("/taskchains/echo")).status_code == 404
    assert (await client.get("/taskchains")).json() == []


@pytest.mark.parametrize(
    ("chain", "status", "words"),
    [
        (ECHO | {"id": ""}, 422, "task chain ID is required"),
        (ECHO | {"tasks": []}, 422, "at least one task"),
        (
            ECHO
            | {
                "tasks": [
                    {
                        "id": "a",
                        "handler": "noop",
                        "transition": {"branches": [{"operator": "default", "goto": "nowhere"}]},
                    }
                ]
            },
            400,
            "nowhere",
        ),
        (ECHO | {"tasks": [{"id": "a", "handler": "teleport", "transition": TO_END}]}, 400, "a"),
        (
            ECHO
            | {
                "tasks": [
                    {
                        "id": "a",
                        "handler": "noop",
                        "prompt_template": "{{ unclosed",
                        "transition": TO_END,
                    }
                ]
            },
            400,
            "a",
        ),
    ],
)
async def test_invalid_chains_are_rejected_naming_the_task_and_nothing_is_stored(
    client: Client, chain: dict[str, Any], status: int, words: str
) -> None:
    response = await client.post("/taskchains", json=chain)
    assert response.status_code == status, response.text
    assert words in assert_error(
        response.json(), response.json()["error"]["code"], response.json()["error"]["param"]
    )
    assert (await client.get("/taskchains")).json() == []


async def test_chain_update_and_delete_errors(client: Client) -> None:
    assert (await client.put("/taskchains/echo", json=ECHO)).status_code == 404
    await client.post("/taskchains", json=ECHO)
    mismatch = await client.put("/taskchains/echo", json=ECHO | {"id": "other"})
    assert mismatch.status_code == 422
    assert (await client.delete("/taskchains/nope")).status_code == 404
    assert (await client.get("/taskchains", params={"limit": "0"})).status_code == 422


@pytest.mark.parametrize(
    ("value", "input_type", "output"),
    [
        ("hello", "string", "hello"),
        ({"value": "inner"}, "string", "inner"),
        (42, "STRING", "42"),
        ("17", "int", 17),
        (3.5, "float", 3.5),
        ("true", "bool", True),
        ({"a": [1, 2]}, "json", {"a": [1, 2]}),
        ([1, 2], "any", [1, 2]),
    ],
)
async def test_tasks_keep_every_input_type(
    client: Client, value: Any, input_type: str, output: Any
) -> None:
    response = await client.post(
        "/tasks", json={"input": value, "inputType": input_type, "chain": ECHO}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["output"] == output
    assert body["outputType"] == input_type.lower()
    [step] = body["state"]
    assert (step["taskID"], step["taskHandler"]) == ("pass", "noop")


async def test_task_request_errors(client: Client) -> None:
    missing = await client.post("/tasks", json={"input": "x", "inputType": "string"})
    assert missing.status_code == 400
    assert_error(missing.json(), "bad_request", "chain")
    unknown = await client.post("/tasks", json={"input": "x", "inputType": "yaml", "chain": ECHO})
    assert unknown.status_code == 400
    assert "unknown data type: yaml" in assert_error(unknown.json(), "bad_request", "inputType")


async def test_a_cycle_stops_at_the_step_limit(client: Client) -> None:
    loop = {
        "id": "loop",
        "tasks": [
            {
                "id": "a",
                "handler": "noop",
                "transition": {"branches": [{"operator": "default", "goto": "b"}]},
            },
            {
                "id": "b",
                "handler": "noop",
                "transition": {"branches": [{"operator": "default", "goto": "a"}]},
            },
        ],
    }
    response = await client.post(
        "/tasks", json={"input": "x", "inputType": "string", "chain": loop}
    )
    assert response.status_code == 500
    assert "64" in assert_error(response.json(), "internal_error")


async def test_raise_error_fails_the_chain_with_its_message(client: Client) -> None:
    chain = {
        "id": "boom",
        "tasks": [
            {
                "id": "fail",
                "handler": "raise_error",
                "prompt_template": "bad input: {{.input}}",
                "transition": TO_END,
            }
        ],
    }
    response = await client.post(
        "/tasks", json={"input": "x", "inputType": "string", "chain": chain}
    )
    assert response.status_code == 500
    assert "bad input: x" in response.json()["error"]["message"]


async def test_the_shipped_chains_and_the_directory_s_are_loaded_at_start(
    settings: Settings, tmp_path: Path
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    shipped_chat = msgspec.json.decode(SHIPPED.joinpath("chat.json").read_bytes())
    (mine / "chat.json").write_text(
        msgspec.json.encode(shipped_chat | {"description": "ours"}).decode()
    )
    (mine / "extra.json").write_text('{"id": "extra", "tasks": [{"id": "n", "handler": "noop"}]}')
    seeded = msgspec.structs.replace(settings, chains_dir=str(mine))
    async with AsyncTestClient(create_app(seeded)) as client:
        chat = (await client.get("/taskchains/chat")).json()
        assert chat["tasks"][0]["handler"] == "model_execution"
        assert chat["description"] == "ours"  # the directory's file wins over the shipped one
    async with AsyncTestClient(create_app(seeded)) as client:  # loading again changes nothing
        ids = sorted(c["id"] for c in (await client.get("/taskchains")).json())
        assert ids == ["chat", "extra", "rag"]


async def test_the_shipped_chains_load_wherever_the_server_starts(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./chains here: the default directory is missing
    seeded = msgspec.structs.replace(settings, chains_dir="chains")
    async with AsyncTestClient(create_app(seeded)) as client:
        ids = sorted(c["id"] for c in (await client.get("/taskchains")).json())
        assert ids == ["chat", "rag"]


@pytest.mark.parametrize(
    ("name", "content", "named"),
    [
        ("broken.json", '{"id": "b", "tasks": [{"id": "x", "handler": "nope"}]}', "broken.json"),
        ("bad.yaml", "id: [unclosed", "bad.yaml: invalid YAML"),
    ],
)
async def test_a_bad_chain_file_stops_start_up_naming_it(
    settings: Settings, tmp_path: Path, name: str, content: str, named: str
) -> None:
    (tmp_path / name).write_text(content)
    broken = msgspec.structs.replace(settings, chains_dir=str(tmp_path))
    with pytest.raises(BaseException) as raised:  # noqa: PT011 - the lifespan wraps it in groups
        async with AsyncTestClient(create_app(broken)):
            pass
    found = leaves(raised.value)
    assert any(isinstance(e, ConfigError) and named in str(e) for e in found), found


async def test_yaml_chain_files_are_loaded_beside_json_ones(
    settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "echo.json").write_bytes(msgspec.json.encode(ECHO))
    (tmp_path / "greet.yml").write_text(
        "id: greet\n"
        "tasks:\n"
        "  - id: hello\n"
        "    handler: noop\n"
        "    transition: {branches: [{operator: default, goto: end}]}\n"
    )
    (tmp_path / "notes.txt").write_text("not a chain")
    seeded = msgspec.structs.replace(settings, chains_dir=str(tmp_path))
    async with AsyncTestClient(create_app(seeded)) as client:
        ids = sorted(c["id"] for c in (await client.get("/taskchains")).json())
    assert ids == ["chat", "echo", "greet", "rag"]  # beside the shipped ones
