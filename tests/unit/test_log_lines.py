"""Log lines: the text formatter writes what `logging.Formatter(TEXT)` writes, faster."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

import msgspec
import pytest

from runtime.observability import logs
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


@pytest.fixture
def configured() -> Iterator[Callable[[str], logs.Writer]]:
    """`logs.configure` as the CLI runs it; the process's logging put back afterwards."""
    root = logging.getLogger()
    before, level, writers = list(root.handlers), root.level, []

    def configure(fmt: str) -> logs.Writer:
        writers.append(logs.configure("INFO", fmt))  # type: ignore[arg-type]
        return writers[-1]

    yield configure
    for writer in writers:
        writer.stop()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in before:
        root.addHandler(handler)
    root.setLevel(level)
    logs._ours = None


def written(capsys: pytest.CaptureFixture[str], writer: logs.Writer) -> list[str]:
    writer.stop()  # writes what is queued, then ends
    return capsys.readouterr().err.splitlines()


def test_an_access_line_on_the_short_way_is_the_line_a_record_makes(
    configured: Callable[[str], logs.Writer], capsys: pytest.CaptureFixture[str]
) -> None:
    access, made = logging.getLogger("runtime.access"), []
    factory = logging.getLogRecordFactory()

    def counted(*args: Any, **kwargs: Any) -> logging.LogRecord:
        made.append(args)
        return factory(*args, **kwargs)

    writer = configured("text")
    logging.setLogRecordFactory(counted)
    try:
        logs.access(access, logging.INFO, "GET /health 200 0.10ms id=a")
        assert made == []  # no record on the short way
        access.info("GET /health 200 0.10ms id=a")
        assert len(made) == 1
    finally:
        logging.setLogRecordFactory(factory)
    short, standard = written(capsys, writer)
    assert short.split(" ", 2)[2] == standard.split(" ", 2)[2]  # all but the time
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO runtime.access: .*", short)

    writer = configured("json")
    logs.access(access, logging.INFO, "GET /x 200", {"status": 200, "requestId": "a"})
    line = msgspec.json.decode(written(capsys, writer)[0])
    assert line["message"] == "GET /x 200"
    assert (line["level"], line["logger"], line["status"], line["requestId"]) == (
        "INFO",
        "runtime.access",
        200,
        "a",
    )
    assert line["time"].endswith("Z")


def test_another_handler_on_the_way_gets_the_access_line_as_a_record_with_its_fields(
    configured: Callable[[str], logs.Writer], capsys: pytest.CaptureFixture[str]
) -> None:
    class Keep(logging.Handler):
        def __init__(self) -> None:
            super().__init__()
            self.records: list[logging.LogRecord] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.records.append(record)

    access, keep = logging.getLogger("runtime.access"), Keep()
    writer = configured("text")
    logging.getLogger("runtime").addHandler(keep)
    try:
        logs.access(access, logging.INFO, "GET /x 200", {"status": 200})
    finally:
        logging.getLogger("runtime").removeHandler(keep)
    (kept,) = keep.records
    assert (kept.getMessage(), kept.fields) == ("GET /x 200", {"status": 200})  # type: ignore[attr-defined]
    assert written(capsys, writer)[0].endswith("INFO runtime.access: GET /x 200")
