"""OpenAI's legacy `/v1/completions`, served as chat: one user turn per prompt. Pure.

The answer's text is the chat answer's content; streamed, each chat chunk's content becomes a
`text_completion` chunk. Our backends all speak chat, so this works for every backend kind
(a base model without a chat template is not served through this route).
"""

from __future__ import annotations

import time
from typing import Annotated

import msgspec

from runtime import errors
from runtime.wire import ids
from runtime.wire.openai import ChatMessage, ChatRequest, Chunk, Completion, StreamOptions, Usage


class CompletionRequest(msgspec.Struct, kw_only=True):
    """The parts of a completions request we honour (`max_tokens` defaults to 16, as OpenAI's)."""

    model: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    prompt: str | list[str]
    max_tokens: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] | None = 16
    temperature: float | None = None
    top_p: float | None = None
    stop: str | list[str] | None = None
    seed: int | None = None
    n: Annotated[int, msgspec.Meta(ge=1, le=1)] = 1
    stream: bool = False
    stream_options: StreamOptions | None = None
    echo: bool = False
    suffix: str | None = None
    user: str | None = None

    def prompts(self) -> list[str]:
        prompts = [self.prompt] if isinstance(self.prompt, str) else self.prompt
        if not prompts:
            raise errors.BadRequestError("prompt must not be empty", param="prompt")
        if self.stream and len(prompts) > 1:
            raise errors.BadRequestError("a streamed completion takes one prompt", param="prompt")
        if self.suffix:
            raise errors.BadRequestError("suffix (insertion) is not supported", param="suffix")
        return prompts

    def chat(self, prompt: str) -> ChatRequest:
        """The chat request that answers one prompt."""
        return ChatRequest(
            model=self.model,
            messages=[ChatMessage(role="user", content=prompt)],
            stream=self.stream,
            stream_options=self.stream_options,
            temperature=self.temperature,
            top_p=self.top_p,
            max_tokens=self.max_tokens or None,
            stop=self.stop,
            seed=self.seed,
        )


class TextChoice(msgspec.Struct, kw_only=True):
    """One prompt's answer text (or a piece of it, streamed)."""

    index: int
    text: str
    finish_reason: str | None = None
    logprobs: None = None


class TextCompletion(msgspec.Struct, kw_only=True):
    """A `text_completion` (the whole answer, or one chunk of a stream)."""

    id: str
    created: int
    model: str
    choices: list[TextChoice]
    usage: Usage | None = None
    object: str = "text_completion"


def whole(
    request: CompletionRequest, prompts: list[str], answers: list[Completion]
) -> TextCompletion:
    """The answer to every prompt, one choice each, usage summed."""
    choices, prompt_tokens, output_tokens = [], 0, 0
    for i, (prompt, answer) in enumerate(zip(prompts, answers, strict=True)):
        text = answer.message.content or ""
        finish = answer.choices[0].finish_reason if answer.choices else "stop"
        choices.append(
            TextChoice(index=i, text=prompt + text if request.echo else text, finish_reason=finish)
        )
        if answer.usage:
            prompt_tokens += answer.usage.prompt_tokens
            output_tokens += answer.usage.completion_tokens
    return TextCompletion(
        id=ids.text_completion_id(),
        created=int(time.time()),
        model=request.model,
        choices=choices,
        usage=Usage.of(prompt_tokens, output_tokens),
    )


class TextStream:
    """Chat chunks of one streamed answer as `text_completion` chunks."""

    def __init__(self, request: CompletionRequest, prompt: str) -> None:
        self._id = ids.text_completion_id()
        self._created = int(time.time())
        self._model = request.model
        self._echo = prompt if request.echo else ""

    def _chunk(self, choices: list[TextChoice], usage: Usage | None = None) -> TextCompletion:
        return TextCompletion(
            id=self._id, created=self._created, model=self._model, choices=choices, usage=usage
        )

    def chunks(self, chunk: Chunk) -> list[TextCompletion]:
        out = []
        for choice in chunk.choices:
            text = choice.delta.content or ""
            if self._echo:
                text, self._echo = self._echo + text, ""
            if text or choice.finish_reason:
                out.append(
                    self._chunk(
                        [TextChoice(index=0, text=text, finish_reason=choice.finish_reason)]
                    )
                )
        if chunk.usage is not None:
            out.append(self._chunk([], chunk.usage))
        return out
