"""Tables of identity and access: API keys, users, the token signing key, rate counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from runtime.db.base import Base, JSONType, UTCDateTime, id_column


class ApiKeyRow(Base):
    """An API key: only the SHA-256 of its secret is kept; `prefix` finds it."""

    __tablename__ = "api_keys"

    id: Mapped[str] = id_column()
    prefix: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    scopes: Mapped[list[str]] = mapped_column(JSONType, nullable=False)
    groups: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    rpm: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tpm: Mapped[int | None] = mapped_column(Integer, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)


class RateCountRow(Base):
    """What one subject (a key, a user, an address) used in one fixed window of a minute."""

    __tablename__ = "rate_counts"

    subject: Mapped[str] = mapped_column(String(300), primary_key=True)
    window: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    used: Mapped[int] = mapped_column(BigInteger, nullable=False)


class UserRow(Base):
    """A user who logs in with email and password (kept as an argon2id hash).

    `token_version` grows on logout, which revokes every token issued before.
    """

    __tablename__ = "users"

    id: Mapped[str] = id_column()
    email: Mapped[str] = mapped_column(String(320), unique=True, nullable=False)
    friendly_name: Mapped[str] = mapped_column(String(255), nullable=False)
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    scopes: Mapped[list[str]] = mapped_column(JSONType, nullable=False)
    token_version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class IdentitySecretRow(Base):
    """A secret generated on first start and shared by every replica (the token signing key)."""

    __tablename__ = "identity_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)


class AccessEntryRow(Base):
    """A permission an identity (a user or key id) holds on one resource."""

    __tablename__ = "access_entries"
    __table_args__ = (UniqueConstraint("identity", "resource_type", "resource"),)

    id: Mapped[str] = id_column()
    identity: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    resource: Mapped[str] = mapped_column(String(512), nullable=False)
    resource_type: Mapped[str] = mapped_column(String(32), nullable=False)
    permission: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
