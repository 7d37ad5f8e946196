"""What a handler receives and returns; the `Handler` protocol of the registry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from runtime.taskengine.chat import ToolSpec
from runtime.taskengine.datatypes import DataType
from runtime.taskengine.ports import EmbedCall, Knowledge, Llm, PromptCall, Tools
from runtime.taskengine.schema import ChainDefinition, LLMExecutionConfig, TaskDefinition

DeltaSink = Callable[[str], Awaitable[None]]


class HandlerError(Exception):
    """A handler cannot produce an output; the task attempt fails with this message."""


class Outcome(NamedTuple):
    """A handler's result: the value, its type and the transition eval string."""

    value: Any
    data_type: DataType
    eval: str


@dataclass(kw_only=True)
class TaskContext:
    """Everything one task attempt may use; built by the executor for each attempt."""

    task: TaskDefinition
    chain: ChainDefinition
    llm: Llm
    tools: Tools
    now: Callable[[], datetime]
    chain_input_type: DataType
    client_tools: list[ToolSpec] = field(default_factory=list)
    hook_names: frozenset[str] = frozenset()
    on_delta: DeltaSink | None = None
    knowledge: Knowledge | None = None

    @property
    def config(self) -> LLMExecutionConfig:
        return self.task.execute_config or LLMExecutionConfig()

    def prompt_call(self, prompt: str) -> PromptCall:
        config = self.config
        return PromptCall(
            prompt=prompt,
            system_instruction=self.task.system_instruction,
            models=config.model_names(),
            providers=config.provider_names(),
            temperature=config.temperature,
        )

    def embed_call(self, text: str) -> EmbedCall:
        return EmbedCall(
            text=text, models=self.config.model_names(), providers=self.config.provider_names()
        )


class Handler(Protocol):
    """Turns a task input into an `Outcome`; raising fails the attempt."""

    async def __call__(self, ctx: TaskContext, value: Any, data_type: DataType) -> Outcome: ...
