"""Affinity groups: which backends may serve which models, for a purpose."""

from runtime.affinity.service import GroupService
from runtime.affinity.types import Group, GroupSpec

__all__ = ["Group", "GroupService", "GroupSpec"]
