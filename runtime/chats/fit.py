"""History fitting: what of a chat the model is shown on the next turn. Pure.

The policy: every system instruction (in the order given), then the latest whole turns (a
question with its answers) that fit, then the new message. Older turns are dropped first and a
message is never cut. The budget is the model's context window less a quarter kept for the
answer; sizes are `runtime.wire.tokens` estimates plus a few tokens of framing per message.
"""

from __future__ import annotations

from runtime import errors
from runtime.chats.types import Role
from runtime.wire.tokens import estimate_text

PER_MESSAGE = 4  # role and separators a chat template adds around each message
ANSWER_SHARE = 4  # 1/4 of the window is left for the answer


def budget(context_length: int) -> int:
    """Tokens the prompt may use in a window of `context_length`."""
    return max(0, context_length - context_length // ANSWER_SHARE)


def cost(text: str) -> int:
    return estimate_text(text) + PER_MESSAGE


Shown = tuple[str, str]  # (role, content) of a stored message


def fit(messages: list[Shown], question: str, tokens: int) -> list[Shown]:
    """The instructions and the latest turns that fit in `tokens` with `question`.

    Raises InvalidInputError when the instructions and the question alone do not fit.
    """
    instructions = [m for m in messages if m[0] == Role.SYSTEM]
    used = sum(cost(content) for _, content in instructions) + cost(question)
    if used > tokens:
        raise errors.InvalidInputError(
            f"the chat's instructions and the message need about {used} tokens, more than the "
            f"{tokens} the model's context window leaves for a prompt",
            param="message",
        )
    kept: list[list[Shown]] = []
    for turn in reversed(_turns(messages)):
        size = sum(cost(content) for _, content in turn)
        if used + size > tokens:
            break
        used += size
        kept.append(turn)
    return instructions + [m for turn in reversed(kept) for m in turn]


def _turns(messages: list[Shown]) -> list[list[Shown]]:
    """Questions with the answers that follow them (instructions left out)."""
    turns: list[list[Shown]] = []
    for message in messages:
        if message[0] == Role.SYSTEM:
            continue
        if message[0] == Role.USER or not turns:
            turns.append([message])
        else:
            turns[-1].append(message)
    return turns
