"""Log lines: the text formatter writes what `logging.Formatter(TEXT)` writes, faster."""

from __future__ import annotations

import logging
import sys

import msgspec

from runtime.observability.logs import TEXT, JsonFormatter, TextFormatter


def record(msg: str, args: tuple[object, ...] = (), *, failed: bool = False) -> logging.LogRecord:
    exc_info = None
    if failed:
        try:
            raise ValueError("boom")  # noqa: TRY301 - a real traceback to format
        except ValueError:
            exc_info = sys.exc_info()
    return logging.LogRecord("runtime.access", logging.INFO, __file__, 1, msg, args, exc_info)


def test_a_text_line_is_what_the_standard_formatter_writes() -> None:
    standard, ours = logging.Formatter(TEXT), TextFormatter()
    plain = record("POST %s %d 1.20ms id=%s", ("/v1/chat/completions", 200, "abc"))
    assert ours.format(plain) == standard.format(plain)
    a, b = record("failed", failed=True), record("failed", failed=True)
    b.created, b.msecs = a.created, a.msecs
    assert ours.format(b) == standard.format(a)
    assert "ValueError: boom" in ours.format(b)


def test_lines_within_one_second_keep_their_own_milliseconds() -> None:
    ours, first, later = TextFormatter(), record("one"), record("two")
    first.created, first.msecs = 1_800_000_000.001, 1.0
    later.created, later.msecs = 1_800_000_000.999, 999.0
    assert ours.format(first).split(" ")[1].endswith(",001")
    assert ours.format(later).split(" ")[1].endswith(",999")


def test_a_json_line_has_utc_time_with_milliseconds() -> None:
    line = record("hello")
    line.created, line.msecs = 1_800_000_000.25, 250.0
    assert msgspec.json.decode(JsonFormatter().format(line))["time"] == "2027-01-15T08:00:00.250Z"
