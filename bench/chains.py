"""Chain-step benchmark: what the task engine adds per step, without any network.

Run by hand: `python bench/chains.py [runs]`. Prints the per-step cost of a 50-step chain of
`noop` tasks and of `model_execution` steps against an in-process model that answers at once,
each against its in-run baseline: calling the same model directly (no engine) and one
step (the fixed cost of a run). Target: under 0.2 ms a step.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runtime.taskengine.chat import Message, ToolSpec
from runtime.taskengine.executor import Executor
from runtime.taskengine.ports import (
    ChatCall,
    ChatDelta,
    ChatResult,
    EmbedCall,
    HookResult,
    PromptCall,
)
from runtime.taskengine.schema import ChainDefinition, HookCall, decode_chain

STEPS = 50


class InstantModel:
    """Answers every chat at once; the baseline calls it directly."""

    async def chat(self, call: ChatCall) -> ChatResult:
        return ChatResult(message=Message(role="assistant", content="ok"), model="m")

    async def stream_chat(self, call: ChatCall) -> AsyncIterator[ChatDelta | ChatResult]:
        yield ChatDelta(content="ok")
        yield await self.chat(call)

    async def prompt(self, call: PromptCall) -> str:
        return "ok"

    async def embed(self, call: EmbedCall) -> list[float]:
        return [0.0]


class NoTools:
    async def tools_for(self, hook_names: list[str]) -> list[ToolSpec]:
        return []

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> HookResult:
        return HookResult(value=None)

    async def run_hook(self, hook: HookCall, input: Any) -> HookResult:
        return HookResult(value=None)


def linear(handler: str, steps: int, **fields: Any) -> ChainDefinition:
    tasks = [
        {
            "id": f"t{n}",
            "handler": handler,
            "transition": {
                "branches": [
                    {"operator": "default", "goto": f"t{n + 1}" if n + 1 < steps else "end"}
                ]
            },
            **fields,
        }
        for n in range(steps)
    ]
    return decode_chain({"id": "bench", "tasks": tasks})


async def timed(runs: int, work: Any) -> float:
    """Median seconds of `work()` over `runs` runs."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


async def main(runs: int) -> None:
    model = InstantModel()
    engine = Executor(model, NoTools(), max_steps=STEPS + 1)
    chat_input = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    cases = [
        ("noop", linear("noop", STEPS), linear("noop", 1), "hi", "string"),
        (
            "model_execution",
            linear("model_execution", STEPS, execute_config={"model": "m"}),
            linear("model_execution", 1, execute_config={"model": "m"}),
            chat_input,
            "openai_chat",
        ),
    ]
    direct = await timed(runs * STEPS, lambda: model.chat(ChatCall(messages=[])))
    print(f"direct model call (baseline): {direct * 1e6:.1f} us")
    for label, long, short, value, kind in cases:
        one = await timed(runs, lambda c=short, v=value, k=kind: engine.run(c, v, k))
        many = await timed(runs, lambda c=long, v=value, k=kind: engine.run(c, v, k))
        per_step = (many - one) / (STEPS - 1)
        print(
            f"{label:>16}: 1 step {one * 1e3:.3f} ms, {STEPS} steps {many * 1e3:.3f} ms, "
            f"{per_step * 1e3:.3f} ms a step ({per_step / direct:.0f}x a direct model call)"
        )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
