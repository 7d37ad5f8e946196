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

_SYSTEM, _USER = Role.SYSTEM.value, Role.USER.value
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

    One pass from the newest message back: a turn is complete at its question (or at the
    first message, when the chat starts with an answer), and is kept whole or not at all.
    Raises InvalidInputError when the instructions and the question alone do not fit.
    """
    instructions = [m for m in messages if m[0] == _SYSTEM]
    used = sum(cost(content) for _, content in instructions) + cost(question)
    if used > tokens:
        raise errors.InvalidInputError(
            f"the chat's instructions and the message need about {used} tokens, more than the "
            f"{tokens} the model's context window leaves for a prompt",
            param="message",
        )
    first = next((at for at, m in enumerate(messages) if m[0] != _SYSTEM), len(messages))
    start, pending = len(messages), 0
    for at in range(len(messages) - 1, first - 1, -1):
        role, content = messages[at]
        if role == _SYSTEM:
            continue
        pending += estimate_text(content) + PER_MESSAGE
        if role == _USER or at == first:  # a whole turn: kept if it fits, else nothing older
            if used + pending > tokens:
                break
            used, pending, start = used + pending, 0, at
    return instructions + [m for m in messages[start:] if m[0] != _SYSTEM]
