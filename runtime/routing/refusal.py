"""Pure: the error that says why no backend can serve a request, naming each backend's reason.

A model declared nowhere is a 404 (`model_not_found`, close names suggested); declared but in no
group with a backend, or no backend serving it now, is a 503 that says which.
"""

from __future__ import annotations

from runtime import errors
from runtime.providers.messages import Capabilities
from runtime.routing.types import Capability, RouteRequest
from runtime.state.names import canonical
from runtime.state.types import BackendState, ModelFacts, PullFact


def refusal(request: RouteRequest, facts: ModelFacts) -> errors.Error:
    model = request.model
    if not facts.declared:
        hint = f"; did you mean {', '.join(map(repr, facts.similar))}?" if facts.similar else ""
        return errors.ModelNotFoundError(
            f"model {model!r} is not declared (see GET /models){hint}", param="model"
        )
    if not facts.states:
        return errors.UnavailableError(
            f"no backend can serve model {model!r}: it is not declared in any group that has "
            "a backend",
            param="model",
        )
    needs = ", ".join(sorted(request.needs))
    context = f", context >= {request.min_context}" if request.min_context > 1 else ""
    reasons = "; ".join(
        f"{state.backend.name}: {_reason(request, state, facts.pulls.get(state.backend.id))}"
        for state in sorted(facts.states, key=lambda s: s.backend.name)
    )
    return errors.UnavailableError(
        f"no backend can serve model {model!r} ({needs}{context}) right now: {reasons}",
        param="model",
    )


def _reason(request: RouteRequest, state: BackendState, pull: PullFact | None) -> str:
    kind = state.backend.type.value
    if request.provider and kind != request.provider:
        return f"is a {kind} backend, the request asks for {request.provider}"
    if state.error:
        return f"unreachable or unusable: {state.error}"
    wanted = canonical(request.model)
    served = next((p for p in state.pulled if canonical(p.served.name) == wanted), None)
    if served is not None:
        return _unfit(request, served.capabilities)
    if pull is not None:
        return _pulling(pull)
    names = sorted(p.served.name for p in state.pulled)
    return f"does not serve it (serves {names[:10]})"


def _unfit(request: RouteRequest, caps: Capabilities) -> str:
    has = {
        Capability.CHAT: caps.can_chat,
        Capability.PROMPT: caps.can_prompt,
        Capability.EMBED: caps.can_embed,
        Capability.STREAM: caps.can_stream,
    }
    missing = sorted(need for need in request.needs if not has[need])
    if missing:
        return f"lacks the capability {', '.join(missing)} for it"
    if request.min_context and caps.context_length < request.min_context:
        return f"context too small ({caps.context_length} < {request.min_context} tokens)"
    return "cannot serve it right now"


def _pulling(pull: PullFact) -> str:
    if pull.status == "failed":
        return f"pull failed: {pull.error}"
    if pull.status == "cancelled":
        return "pull cancelled"
    if pull.total:
        return f"pull at {pull.completed * 100 // pull.total} %"
    return f"pull {pull.status}"
