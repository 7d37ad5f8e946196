"""Activity: request and operation records (bounded in memory, kept in the database), alerts."""

from runtime.activity.service import Activity, Bounds

__all__ = ["Activity", "Bounds"]
