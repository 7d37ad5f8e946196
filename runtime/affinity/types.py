"""Domain data for affinity groups."""

from __future__ import annotations

from datetime import datetime

import msgspec

EMBED_GROUP_ID = "internal_embed_group"
TASKS_GROUP_ID = "internal_tasks_group"
CHAT_GROUP_ID = "internal_chat_group"


class Group(msgspec.Struct, frozen=True, kw_only=True):
    """An affinity group: backends and models in one group may serve each other."""

    id: str
    name: str
    purpose_type: str
    created_at: datetime
    updated_at: datetime


class GroupSpec(msgspec.Struct, frozen=True, kw_only=True):
    """What a caller gives to create or update a group (not yet validated)."""

    name: str
    purpose_type: str = ""
