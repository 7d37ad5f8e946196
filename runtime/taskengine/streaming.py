"""Which `model_execution` steps stream their tokens to a caller's sink (SPEC 0 item 11).

Static rule: a `model_execution` task (without `compose`) is *terminal* when every branch of
its transition leads to the end of the chain, either directly (`goto` is `end` or empty) or
through pass-through tasks (`noop`, `convert_to_openai_chat_response` without
`prompt_template`, `input_var` or `compose`) whose branches all lead to the end the same way.
A branch `equals "tool-call"` is ignored: a reply with tool calls is never the final text,
so tool loops (model → execute_tool_calls → model) still stream their last answer. Every run
of a terminal task is streamed; content a tool-calling reply carries is streamed as well.
Pure.
"""

from __future__ import annotations

from runtime.taskengine.schema import END, ChainDefinition, HandlerKind, Operator, TaskDefinition

_PASS_THROUGH = {HandlerKind.NOOP.value, HandlerKind.CONVERT_TO_OPENAI_CHAT_RESPONSE.value}


def _leads_to_end(chain: ChainDefinition, target: str, seen: frozenset[str]) -> bool:
    if target in {"", END}:
        return True
    task = chain.task(target)
    if task is None or target in seen or task.handler not in _PASS_THROUGH:
        return False
    if task.prompt_template or task.input_var or task.compose is not None:
        return False
    return _branches_end(chain, task, seen | {target}, skip_tool_calls=False)


def _branches_end(
    chain: ChainDefinition, task: TaskDefinition, seen: frozenset[str], *, skip_tool_calls: bool
) -> bool:
    branches = [
        b
        for b in task.transition.branches
        if not (skip_tool_calls and b.operator == Operator.EQUALS and b.when == "tool-call")
    ]
    return bool(branches) and all(_leads_to_end(chain, b.goto, seen) for b in branches)


def streamable_tasks(chain: ChainDefinition) -> frozenset[str]:
    """Ids of the terminal `model_execution` tasks, whose tokens go to the sink."""
    return frozenset(
        task.id
        for task in chain.tasks
        if task.handler == HandlerKind.MODEL_EXECUTION
        and task.compose is None
        and _branches_end(chain, task, frozenset({task.id}), skip_tool_calls=True)
    )


def has_streamable_step(chain: ChainDefinition) -> bool:
    """Whether `Executor.run(..., on_delta=...)` streams tokens for this chain."""
    return bool(streamable_tasks(chain))
