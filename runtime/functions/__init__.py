"""User JavaScript functions, the event triggers that run them, and their run records."""

from runtime.functions.builtins import Builtins, ChainRunner
from runtime.functions.dispatch import Deliveries, Dispatcher, DispatchLoop, RunPolicy
from runtime.functions.service import FunctionService
from runtime.functions.types import Function, Run, Trigger
from runtime.sandbox import RunStatus

__all__ = [
    "Builtins",
    "ChainRunner",
    "Deliveries",
    "DispatchLoop",
    "Dispatcher",
    "Function",
    "FunctionService",
    "Run",
    "RunPolicy",
    "RunStatus",
    "Trigger",
]
