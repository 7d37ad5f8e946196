"""Routing: choose a concrete (backend, model) for one request, health-aware, group-bound."""

from runtime.routing.health import Health
from runtime.routing.resolver import Resolver
from runtime.routing.types import Capability, Route, RouteRequest

__all__ = ["Capability", "Health", "Resolver", "Route", "RouteRequest"]
