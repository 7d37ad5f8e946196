"""The offered models in Ollama's shapes: /api/tags, /api/show and /api/ps. Pure.

Backends of other kinds report less than Ollama does (no digest, size or family): those fields
stay empty, and `general.architecture` names the backend kind instead. Capabilities are what
the groups declare: `tools` for a chat model (the backend decides whether the model uses them).
"""

from __future__ import annotations

from datetime import datetime

from runtime.state.catalog import Offer
from runtime.wire import ollama as ow

MANAGED_BY_GROUPS = (
    "{action} is not offered here: this server manages models through groups, not through "
    "Ollama's API. Declare a model with POST /models and add it to a group with "
    "POST /model-affinity/{{group_id}}/models/{{model_id}}: the group's Ollama backends then "
    "pull it (progress: GET /queue, GET /queue/inProgress); DELETE /models/{{model}} removes it"
)


def _details(offer: Offer) -> ow.TagDetails:
    details = offer.served.details
    return ow.TagDetails(
        parent_model=details.parent_model,
        format=details.format,
        family=details.family,
        families=list(details.families) or None,
        parameter_size=details.parameter_size,
        quantization_level=details.quantization_level,
    )


def tags(offers: list[Offer], taken_at: datetime | None) -> ow.Tags:
    """/api/tags: every model a request can reach now."""
    return ow.Tags(
        models=[
            ow.Tag(
                name=offer.served.name,
                model=offer.served.name,
                modified_at=offer.served.modified_at or taken_at,
                size=offer.served.size,
                digest=offer.served.digest,
                details=_details(offer),
            )
            for offer in offers
        ]
    )


def running(offers: list[Offer]) -> ow.RunningList:
    """/api/ps: the models served now (backends are not asked what they hold in memory)."""
    return ow.RunningList(
        models=[
            ow.Running(
                name=offer.served.name,
                model=offer.served.name,
                size=offer.served.size,
                digest=offer.served.digest,
                details=_details(offer),
                context_length=offer.capabilities.context_length,
            )
            for offer in offers
        ]
    )


def show(offer: Offer) -> ow.Show:
    """/api/show: details, capabilities and `<architecture>.context_length` when known."""
    caps = offer.capabilities
    details = _details(offer)
    architecture = details.family or offer.kinds[0]
    info: dict[str, object] = {"general.architecture": architecture}
    if caps.context_length:
        info[f"{architecture}.context_length"] = caps.context_length
    capabilities = []
    if caps.can_chat or caps.can_prompt:
        capabilities.append("completion")
    if caps.can_chat:
        capabilities.append("tools")
    if caps.can_embed:
        capabilities.append("embedding")
    return ow.Show(
        details=details,
        model_info=info,
        capabilities=capabilities,
        modified_at=offer.served.modified_at,
    )
