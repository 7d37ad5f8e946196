"""User JavaScript, contained: a supervised pool of worker processes that each run V8 isolates.

The server never loads V8. `Sandbox` (the pool, `pool.py`) hands each run or compile check to a
worker process (`worker.py`, started as `python -m runtime.sandbox.worker`; `process.py` is the
server's handle on one), which creates, uses and disposes every isolate on its one thread
(`isolate.py`). The two talk over the worker's
stdin and stdout in length-prefixed msgpack frames (`protocol.py`); builtin calls made by a
script travel back over the same pipe and are answered by the server.

Importing this package is cheap: the worker's modules import nothing of the server.
"""

from runtime.sandbox.pool import Sandbox
from runtime.sandbox.protocol import Limits, Outcome, RunStatus

__all__ = ["Limits", "Outcome", "RunStatus", "Sandbox"]
