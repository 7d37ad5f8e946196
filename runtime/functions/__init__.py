"""User JavaScript functions, the event triggers that run them, and their run records."""

from runtime.functions.builtins import Builtins, ChainRunner
from runtime.functions.dispatch import Deliveries, Dispatcher, DispatchLoop, RunPolicy
from runtime.functions.sandbox import Limits, Sandbox
from runtime.functions.service import FunctionService
from runtime.functions.types import Function, Run, RunStatus, Trigger

__all__ = [
    "Builtins",
    "ChainRunner",
    "Deliveries",
    "DispatchLoop",
    "Dispatcher",
    "Function",
    "FunctionService",
    "Limits",
    "Run",
    "RunPolicy",
    "RunStatus",
    "Sandbox",
    "Trigger",
]
