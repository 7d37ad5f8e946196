"""Log set-up: text lines (default) or JSON lines, written by a thread off the event loop.

A handler writing to a slow stderr pipe would stall the loop; records go through a queue to a
listener thread instead. The access log (`runtime.access`) passes its fields as `fields`, which
the JSON format puts as keys and the text format shows in its message.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import queue
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

import msgspec

LogFormat = Literal["text", "json"]
TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_BATCH = 512  # records written at most in one write
# after a write, the writer lets records gather this long: under load it wakes once per
# pause instead of once per record (each wake-up costs the event loop a GIL hand-off)
_PAUSE = 0.02
_encoder = msgspec.json.Encoder()
Fields = dict[str, Any] | None
# an access line's parts (`access`): created, level name, logger name, message, fields
Parts = tuple[float, str, str, str, Fields]
Item = logging.LogRecord | Parts | None
_ours: _Enqueue | None = None
_LEVELS = {
    logging.DEBUG: "DEBUG",
    logging.INFO: "INFO",
}  # an access line's  # the handler `configure` put on the root logger


class _Stamp:
    """Times formatted to the second once per second (strftime is half a line's cost)."""

    def __init__(self, pattern: str, convert: Callable[[float], time.struct_time]) -> None:
        self._pattern, self._convert = pattern, convert
        self._second, self._text = -1, ""

    def __call__(self, created: float) -> str:
        second = int(created)
        if second != self._second:  # one writer thread formats: no lock needed
            self._second, self._text = second, time.strftime(self._pattern, self._convert(second))
        return self._text


class TextFormatter(logging.Formatter):
    """`TEXT` lines, with logging's own time format (`2026-12-03 13:16:23,042`).

    The line is put together directly: the same text as `logging.Formatter(TEXT)` at a third
    of its cost, which is paid once per request for the access line.
    """

    def __init__(self) -> None:
        super().__init__(TEXT)
        self._stamp = _Stamp("%Y-%m-%d %H:%M:%S", time.localtime)

    def format(self, record: logging.LogRecord) -> str:
        line = self._line(record.created, record.msecs, record.levelname, record.name)
        line += record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line += "\n" + record.exc_text
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line

    def access(
        self, created: float, level: str, name: str, message: str, _fields: Fields = None
    ) -> str:
        """The line of a record with only these parts (an access line, see `access`)."""
        return self._line(created, _msecs(created), level, name) + message

    def _line(self, created: float, msecs: float, level: str, name: str) -> str:
        return f"{self._stamp(created)},{int(msecs):03d} {level} {name}: "


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, and the record's fields."""

    def __init__(self) -> None:
        super().__init__()
        self._stamp = _Stamp("%Y-%m-%dT%H:%M:%S", time.gmtime)

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None)
        line = self._fields(
            record.created,
            record.msecs,
            record.levelname,
            record.name,
            record.getMessage(),
            fields if isinstance(fields, dict) else None,
        )
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return _encoder.encode(line).decode()

    def access(
        self, created: float, level: str, name: str, message: str, fields: Fields = None
    ) -> str:
        line = self._fields(created, _msecs(created), level, name, message, fields)
        return _encoder.encode(line).decode()

    def _fields(
        self, created: float, msecs: float, level: str, name: str, message: str, fields: Fields
    ) -> dict[str, Any]:
        line: dict[str, Any] = {
            "time": f"{self._stamp(created)}.{int(msecs):03d}Z",
            "level": level,
            "logger": name,
            "message": message,
        }
        if fields:
            line.update(fields)
        return line


def _msecs(created: float) -> int:
    return int((created - int(created)) * 1000)  # as logging.LogRecord has it


# libraries whose DEBUG lines carry SQL parameters or URLs (secrets among them), or one line
# per backend request: never below WARNING
QUIET = ("aiosqlite", "httpx", "httpcore", "asyncio")


def quiet_libraries() -> None:
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


def formatter(fmt: LogFormat) -> TextFormatter | JsonFormatter:
    return JsonFormatter() if fmt == "json" else TextFormatter()


def access(logger: logging.Logger, level: int, message: str, fields: Fields = None) -> None:
    """One access line (the caller checked `logger.isEnabledFor(level)`).

    When the set-up of `configure` is all that would handle it, the line goes to the writer as
    its parts: the same text, without a `LogRecord` and the handler chain, which cost more
    than the rest of observing a request. Any other handler or filter on the way (a test's,
    an embedding application's) gets a normal record with the fields as `fields`.
    """
    ours = _ours
    if ours is not None and _alone(logger, ours, level):
        name = _LEVELS.get(level) or logging.getLevelName(level)
        ours.records.put((time.time(), name, logger.name, message, fields))
        return
    entry = logger.makeRecord(logger.name, level, __file__, 0, message, (), None)
    if fields:
        entry.fields = fields
    logger.handle(entry)


def _alone(logger: logging.Logger, ours: _Enqueue, level: int) -> bool:
    """Whether `ours` is the only handler a record of `logger` would meet, and no filter."""
    if logger.filters or logger.disabled:
        return False
    node: logging.Logger | None = logger
    while node is not None:
        for handler in node.handlers:
            if handler is not ours or handler.filters or level < handler.level:
                return False
        node = node.parent if node.propagate else None
    return True


def configure(level: str, fmt: LogFormat) -> Writer:
    """Route every log record through a queue to a writer thread; the caller stops it."""
    records: queue.SimpleQueue[Item] = queue.SimpleQueue()
    writer = Writer(records, formatter(fmt))
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    global _ours  # noqa: PLW0603 - the one set-up of the process's logging
    _ours = _Enqueue(records)
    root.addHandler(_ours)
    root.setLevel(level)
    # what no line of ours shows, and what each record would otherwise look up (the logging
    # HOWTO's "Optimization"): thread, process and multiprocessing names
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    writer.start()
    return writer


class Writer(threading.Thread):
    """Formats queued records and writes all that are waiting in one `write` (one syscall)."""

    def __init__(
        self, records: queue.SimpleQueue[Item], fmt: TextFormatter | JsonFormatter
    ) -> None:
        super().__init__(name="log-writer", daemon=True)
        self._records = records
        self._format = fmt

    def run(self) -> None:
        while True:
            batch = [self._records.get()]
            with contextlib.suppress(queue.Empty):
                while len(batch) < _BATCH:
                    batch.append(self._records.get_nowait())
            lines = [self._line(record) for record in batch if record is not None]
            if lines:
                self._write("\n".join(lines) + "\n")
            if None in batch:
                return
            time.sleep(_PAUSE)

    def _line(self, item: logging.LogRecord | Parts) -> str:
        if isinstance(item, tuple):
            return self._format.access(*item)
        try:
            return self._format.format(item)
        except Exception:  # noqa: BLE001 - a record that cannot be formatted still shows
            return f"{item.levelname} {item.name}: {item.msg!r}"

    @staticmethod
    def _write(text: str) -> None:
        with contextlib.suppress(OSError, ValueError):  # a closed or broken stderr
            sys.stderr.write(text)
            sys.stderr.flush()

    def stop(self) -> None:
        """Write what is queued, then end."""
        self._records.put(None)
        self.join(timeout=5)


class _Enqueue(logging.handlers.QueueHandler):
    """Keeps the record's own fields and traceback for the writer's formatter."""

    def __init__(self, records: queue.SimpleQueue[Item]) -> None:
        super().__init__(records)
        self.records = records  # typed: what `access` puts its lines on

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = record.getMessage()
        record.args = None
        record.exc_info = None
        return record
