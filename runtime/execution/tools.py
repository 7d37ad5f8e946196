"""HookTools: the task engine's `Tools` port over the remote hooks service."""

from __future__ import annotations

from typing import Any, Literal, cast

import msgspec

from runtime.hooks import HookService
from runtime.taskengine.chat import ToolSpec
from runtime.taskengine.ports import HookResult, ToolResult
from runtime.taskengine.schema import HookCall

ResultType = Literal["json", "string", "any"]


def _result(value: Any, data_type: str) -> HookResult:
    kind = data_type if data_type in ("json", "string") else "any"
    return HookResult(value=value, data_type=cast(ResultType, kind))


class HookTools:
    """Remote hook operations as model tools (`<hook>.<tool>`) and as `hook` tasks."""

    def __init__(self, hooks: HookService) -> None:
        self._hooks = hooks

    async def tools_for(self, hook_names: list[str]) -> list[ToolSpec]:
        return msgspec.convert(await self._hooks.tools(hook_names), list[ToolSpec])

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        return _result(*await self._hooks.call_tool(name, arguments))

    async def run_hook(self, hook: HookCall, input: Any) -> HookResult:
        return _result(*await self._hooks.run(hook.name, hook.tool_name, hook.args, input))
