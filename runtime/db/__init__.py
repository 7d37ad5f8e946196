"""Storage: engine, sessions, tables and the translation of database errors."""

from runtime.db import tables
from runtime.db.base import Base
from runtime.db.database import Database

__all__ = ["Base", "Database", "tables"]
