"""Relayed SSE bytes without the usage event, however the reads split them."""

from __future__ import annotations

from runtime.wire.sse import UsageFilter

CONTENT = b'data: {"id":"x","choices":[{"delta":{"content":"hi"}}],"usage":null}'
USAGE = b'data: {"id":"x","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}'
DONE = b"data: [DONE]"


def relayed(*reads: bytes) -> bytes:
    cut = UsageFilter()
    return b"".join(cut.feed(read) for read in reads) + cut.rest()


def stream(separator: bytes) -> tuple[bytes, bytes]:
    sent = separator.join([CONTENT, USAGE, DONE]) + separator
    return sent, separator.join([CONTENT, DONE]) + separator


def test_the_usage_event_is_cut_wherever_one_read_ends() -> None:
    for separator in (b"\n\n", b"\r\n\r\n"):
        sent, shown = stream(separator)
        for split in range(1, len(sent)):
            assert relayed(sent[:split], sent[split:]) == shown, (separator, split)


def test_the_usage_event_is_cut_across_three_reads() -> None:
    sent, shown = stream(b"\n\n")
    for first in range(1, len(sent), 5):
        for second in range(first + 1, len(sent), 11):
            assert relayed(sent[:first], sent[first:second], sent[second:]) == shown


def test_other_events_pass_untouched_and_whole_at_once() -> None:
    cut = UsageFilter()
    assert cut.feed(CONTENT + b"\n\n" + CONTENT[:10]) == CONTENT + b"\n\n"
    assert cut.feed(CONTENT[10:] + b"\n\n") == CONTENT + b"\n\n"
    assert cut.rest() == b""


def test_a_usage_event_without_its_end_is_cut_when_the_stream_ends() -> None:
    assert relayed(CONTENT + b"\n\n" + USAGE) == CONTENT + b"\n\n"
    assert relayed(CONTENT + b"\n\n" + CONTENT) == CONTENT + b"\n\n" + CONTENT
