"""Tool names on the wire: hook tools keep their chain names, backends get names they accept."""

from __future__ import annotations

import re

from runtime.execution.llm import ToolNames
from runtime.taskengine.chat import FunctionSpec, ToolSpec

ALLOWED = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def tools(*names: str) -> list[ToolSpec]:
    return [ToolSpec(function=FunctionSpec(name=name)) for name in names]


def test_hook_tool_names_become_names_backends_accept_and_map_back() -> None:
    names = ToolNames(tools("weather.forecast", "client_tool", "odd name!"))
    assert names.wire("weather.forecast") == "weather__forecast"
    assert names.wire("client_tool") == "client_tool"
    assert ALLOWED.match(names.wire("odd name!"))
    for original in ("weather.forecast", "client_tool", "odd name!"):
        assert names.original(names.wire(original)) == original


def test_names_that_would_collide_stay_distinct() -> None:
    names = ToolNames(tools("a.b", "a__b", "x" * 80, "x" * 81))
    wires = [names.wire(n) for n in ("a.b", "a__b", "x" * 80, "x" * 81)]
    assert len(set(wires)) == 4
    assert all(ALLOWED.match(w) for w in wires)
    assert names.original(names.wire("a__b")) == "a__b"


def test_unknown_names_in_replies_pass_through() -> None:
    assert ToolNames([]).original("made_up") == "made_up"
