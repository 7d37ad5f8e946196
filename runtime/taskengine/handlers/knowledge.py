"""The `search_knowledge` handler: retrieve chunks and hand them on as numbered sources (ours).

The query is the input's text (the last message of a chat), or `prompt_template` rendered by
the executor. A chat comes out as the same chat with one system message listing the sources
`[1]`, `[2]`, ... and asking for citations; any other input comes out as a prompt text with
the sources and the question. The eval is `found` or `none` (nothing retrieved).
"""

from __future__ import annotations

from typing import Any

import msgspec

from runtime.taskengine.chat import ChatHistory, Message, OpenAIChatRequest, OpenAIMessage
from runtime.taskengine.datatypes import DataType, prompt_of
from runtime.taskengine.handlers.base import HandlerError, Outcome, TaskContext
from runtime.taskengine.ports import KnowledgeQuery, Source
from runtime.taskengine.schema import KnowledgeSearch

INSTRUCTION = (
    "Answer from the numbered sources below. Cite each source you use as [n] right after the "
    "statement it supports. If the sources do not hold the answer, say so."
)
NOTHING = "No source in the knowledge base matches the question; say that you do not know."


def sources_block(sources: list[Source]) -> str:
    """The sources as the model reads them: `[n] path` and the chunk's text."""
    if not sources:
        return NOTHING
    listed = "\n\n".join(f"[{s.index}] {s.path}\n{s.text}" for s in sources)
    return f"{INSTRUCTION}\n\nSources:\n\n{listed}"


async def search_knowledge(ctx: TaskContext, value: Any, data_type: DataType) -> Outcome:
    if ctx.knowledge is None:
        raise HandlerError("search_knowledge: no knowledge base is available")
    try:
        query = prompt_of(value, data_type, ctx.task.handler)
    except ValueError as exc:
        raise HandlerError(str(exc)) from exc
    if not query.strip():
        raise HandlerError("search_knowledge: the query is empty")
    config = ctx.task.search or KnowledgeSearch()
    sources = await ctx.knowledge.search(
        KnowledgeQuery(
            query=query,
            topk=config.topk,
            path=config.path,
            mode=config.mode,
            filters=list(config.filters),
        )
    )
    block = sources_block(sources)
    label = "found" if sources else "none"
    if data_type is DataType.OPENAI_CHAT and isinstance(value, OpenAIChatRequest):
        messages = _with_system(value.messages, OpenAIMessage(role="system", content=block))
        return Outcome(msgspec.structs.replace(value, messages=messages), data_type, label)
    if data_type is DataType.CHAT_HISTORY and isinstance(value, ChatHistory):
        messages = _with_system(value.messages, Message(role="system", content=block))
        return Outcome(msgspec.structs.replace(value, messages=messages), data_type, label)
    text = f"{block}\n\nQuestion: {query}"
    return Outcome(text, DataType.STRING, label)


def _with_system(messages: list[Any], system: Any) -> list[Any]:
    """`system` after the chat's leading system messages (the client's own instructions)."""
    at = 0
    while at < len(messages) and messages[at].role == "system":
        at += 1
    return [*messages[:at], system, *messages[at:]]
