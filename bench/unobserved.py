"""`runtime-api` with observability taken out, the baseline of `bench/observability.py`.

Run as `python bench/unobserved.py serve --port N`. Before the server starts, three things are
replaced in this process only: the application skips the request observer (no request id,
access line, request metrics or activity record), every labelled metric child is a no-op, and
the activity service keeps nothing. What remains is the same tree's request path, so the
difference to a normal server is what observability costs, measured in one sitting.
"""

from __future__ import annotations

import sys
from typing import Any

from litestar import Litestar

from runtime import app, cli
from runtime.activity import service
from runtime.observability import metrics


class _Nothing:
    def inc(self, *_: Any) -> None: ...

    def dec(self, *_: Any) -> None: ...

    def observe(self, *_: Any) -> None: ...

    def set(self, *_: Any) -> None: ...


_NOTHING = _Nothing()


def _child(_metric: Any, *_labels: str) -> Any:
    return _NOTHING


async def _unobserved(self: Litestar, scope: Any, receive: Any, send: Any) -> None:
    await Litestar.__call__(self, scope, receive, send)


def _ignore(_self: Any, _record: Any) -> None:
    return None


def main() -> int:
    metrics.child = _child  # type: ignore[assignment]
    app.RuntimeApp.__call__ = _unobserved  # type: ignore[method-assign]
    service.Activity.started = _ignore  # type: ignore[method-assign]
    service.Activity.finished = _ignore  # type: ignore[method-assign]
    return cli.main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
