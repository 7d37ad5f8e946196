"""Settings: every knob the server has, parsed once from the environment by the CLI.

Nothing reads the environment at import time; `Settings.from_env` is called by `cli.py` and
tests build `Settings(...)` directly.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from typing import Any, Literal, cast, get_args

import msgspec

DEFAULT_TENANCY = "54882f1d-3788-44f9-aed6-19a793c4568f"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./runtime.db"
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class ConfigError(Exception):
    """A setting has a value the server cannot start with; the message names the variable."""


class DefaultModel(msgspec.Struct, frozen=True, kw_only=True):
    """One of the default models (embed, task, chat) seeded at start-up."""

    model: str
    provider: str = "ollama"
    context_length: int = 2048


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """The server's configuration; immutable once built."""

    host: str = "127.0.0.1"
    port: int = 8081
    database_url: str = DEFAULT_DATABASE_URL
    api_token: str = ""
    tenancy: str = DEFAULT_TENANCY
    secret_key: str = ""
    # users' access tokens: signing key (empty: generated once, kept in the database), lifetime
    token_secret: str = ""
    token_ttl: float = 3600.0
    self_registration: bool = False
    login_rpm: int = 10  # login attempts a minute, per address and per account
    user_rpm: int = 0  # requests a minute of each signed-in user; 0: unlimited
    user_tpm: int = 0  # tokens a minute of each signed-in user on model routes; 0: unlimited
    embed_model: DefaultModel | None = None
    task_model: DefaultModel | None = None
    chat_model: DefaultModel | None = None
    max_rows: int = 100_000
    reconcile_interval: float = 10.0
    provider_timeout: float = 5.0
    # connections to one backend (scheme, host, port): at most this many open, idle ones closed
    backend_max_connections: int = 100
    backend_idle_seconds: float = 30.0
    pull_stall_timeout: float = 60.0
    pull_retry_after: float = 600.0
    pull_lease: float = 15.0
    pull_backoff: float = 5.0
    pull_workers: int = 2
    prune_models: bool = False
    function_timeout: float = 10.0
    function_memory_mb: int = 64
    function_workers: int = 2
    function_processes: int = 3
    function_worker_memory_mb: int = 512
    function_attempts: int = 3
    function_backoff: float = 1.0
    function_runs_kept: int = 1000
    trigger_depth: int = 8
    chain_step_limit: int = 64
    # a chat turn's hold on its chat; a turn still running after this may be overtaken
    chat_turn_lease: float = 900.0
    telegram_api_url: str = "https://api.telegram.org"
    telegram_poll_timeout: float = 25.0  # getUpdates long-poll wait
    telegram_lease: float = 60.0  # a replica's hold on a frontend, renewed every poll
    telegram_claim_interval: float = 5.0  # how often free frontends are looked for
    telegram_backoff: float = 5.0  # wait after a failed poll (a 429's retry_after wins)
    hook_schema_ttl: float = 30.0
    # outbound URL policy: metadata and link-local addresses are always refused
    outbound_deny_private: bool = False
    outbound_allow_hosts: frozenset[str] = frozenset()
    # HTTP_PROXY & co. by scheme ("http", "https", "all", "no"); values may hold credentials
    proxies: dict[str, str] = msgspec.field(default_factory=dict)
    # what a sandbox worker process inherits: enough to start Python, never a secret
    sandbox_environment: dict[str, str] = msgspec.field(default_factory=dict)
    # the knowledge base: the largest upload, how often an index job is tried, its lease
    upload_limit: int = 50 << 20
    index_attempts: int = 5
    index_lease: float = 60.0
    job_retry: float = 5.0
    index_workers: int = 1  # built-in indexers per process; 0 leaves index jobs to external workers
    chains_dir: str = "chains"
    log_level: LogLevel = "INFO"
    log_format: Literal["text", "json"] = "text"
    # activity records: at most this many waiting in memory, kept this long (and at most
    # `activity_rows` of each kind) in the database
    activity_keep: int = 10_000
    activity_retention_hours: int = 24
    activity_rows: int = 100_000
    activity_flush_interval: float = 1.0
    alert_down_cycles: int = 3
    # a token that may read /metrics (besides keys with the read scope)
    metrics_token: str = ""
    metrics_multiprocess: bool = False  # PROMETHEUS_MULTIPROC_DIR is set: merge workers' files
    debug: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables; raises ConfigError naming the bad one."""
        env = os.environ if env is None else env
        reader = _Reader(env)
        return cls(
            host=reader.text("HOST", "127.0.0.1"),
            port=reader.integer("PORT", 8081, low=1, high=65535),
            database_url=normalise_database_url(reader.text("DATABASE_URL", DEFAULT_DATABASE_URL)),
            api_token=reader.text("RUNTIME_API_TOKEN", "") or reader.text("TOKEN", ""),
            tenancy=reader.uuid("RUNTIME_TENANCY", DEFAULT_TENANCY),
            secret_key=reader.text("RUNTIME_SECRET_KEY", ""),
            token_secret=reader.text("RUNTIME_TOKEN_SECRET", ""),
            token_ttl=reader.seconds("RUNTIME_TOKEN_TTL", 3600.0),
            self_registration=reader.flag("RUNTIME_SELF_REGISTRATION"),
            login_rpm=reader.integer("RUNTIME_LOGIN_RPM", 10, low=1),
            user_rpm=reader.integer("RUNTIME_USER_RPM", 0, low=0),
            user_tpm=reader.integer("RUNTIME_USER_TPM", 0, low=0),
            embed_model=reader.default_model("EMBED"),
            task_model=reader.default_model("TASK"),
            chat_model=reader.default_model("CHAT"),
            max_rows=reader.integer("RUNTIME_MAX_ROWS", 100_000, low=1),
            reconcile_interval=reader.seconds("RUNTIME_RECONCILE_INTERVAL", 10.0),
            provider_timeout=reader.seconds("RUNTIME_PROVIDER_TIMEOUT", 5.0),
            backend_max_connections=reader.integer("RUNTIME_BACKEND_MAX_CONNECTIONS", 100, low=1),
            backend_idle_seconds=reader.seconds("RUNTIME_BACKEND_IDLE_SECONDS", 30.0),
            pull_stall_timeout=reader.seconds("RUNTIME_PULL_STALL_TIMEOUT", 60.0),
            pull_retry_after=reader.seconds("RUNTIME_PULL_RETRY_AFTER", 600.0),
            pull_lease=reader.seconds("RUNTIME_PULL_LEASE", 15.0),
            pull_backoff=reader.seconds("RUNTIME_PULL_BACKOFF", 5.0),
            pull_workers=reader.integer("RUNTIME_PULL_WORKERS", 2, low=1, high=64),
            prune_models=reader.flag("RUNTIME_PRUNE_MODELS"),
            function_timeout=reader.seconds("RUNTIME_FUNCTION_TIMEOUT", 10.0),
            function_memory_mb=reader.integer("RUNTIME_FUNCTION_MEMORY_MB", 64, low=8, high=4096),
            function_workers=reader.integer("RUNTIME_FUNCTION_WORKERS", 2, low=1, high=64),
            function_processes=reader.integer("RUNTIME_FUNCTION_PROCESSES", 3, low=1, high=64),
            function_worker_memory_mb=reader.integer(
                "RUNTIME_FUNCTION_WORKER_MEMORY_MB", 512, low=256, high=65536
            ),
            function_attempts=reader.integer("RUNTIME_FUNCTION_ATTEMPTS", 3, low=1, high=100),
            function_backoff=reader.seconds("RUNTIME_FUNCTION_BACKOFF", 1.0),
            function_runs_kept=reader.integer("RUNTIME_FUNCTION_RUNS_KEPT", 1000, low=1),
            hook_schema_ttl=reader.seconds("RUNTIME_HOOK_SCHEMA_TTL", 30.0),
            outbound_deny_private=reader.flag("RUNTIME_OUTBOUND_DENY_PRIVATE"),
            outbound_allow_hosts=reader.hosts("RUNTIME_OUTBOUND_ALLOW_HOSTS"),
            proxies=reader.proxies(),
            sandbox_environment={k: env[k] for k in _SANDBOX_PASSED_ON if k in env},
            trigger_depth=reader.integer("RUNTIME_TRIGGER_DEPTH", 8, low=0, high=1000),
            chain_step_limit=reader.integer("RUNTIME_CHAIN_STEP_LIMIT", 64, low=1, high=100_000),
            chat_turn_lease=reader.seconds("RUNTIME_CHAT_TURN_LEASE", 900.0),
            telegram_api_url=reader.text("RUNTIME_TELEGRAM_API_URL", "https://api.telegram.org"),
            telegram_poll_timeout=reader.seconds("RUNTIME_TELEGRAM_POLL_TIMEOUT", 25.0),
            telegram_lease=reader.seconds("RUNTIME_TELEGRAM_LEASE", 60.0),
            telegram_claim_interval=reader.seconds("RUNTIME_TELEGRAM_CLAIM_INTERVAL", 5.0),
            telegram_backoff=reader.seconds("RUNTIME_TELEGRAM_BACKOFF", 5.0),
            upload_limit=reader.integer("RUNTIME_UPLOAD_LIMIT_MB", 50, low=1, high=4096) << 20,
            index_attempts=reader.integer("RUNTIME_INDEX_ATTEMPTS", 5, low=1, high=100),
            index_lease=reader.seconds("RUNTIME_INDEX_LEASE", 60.0),
            job_retry=reader.seconds("RUNTIME_JOB_RETRY", 5.0),
            index_workers=reader.integer("RUNTIME_INDEX_WORKERS", 1, low=0, high=64),
            chains_dir=reader.text("RUNTIME_CHAINS_DIR", "chains"),
            log_level=reader.log_level("RUNTIME_LOG_LEVEL"),
            log_format=reader.choice("RUNTIME_LOG_FORMAT", ("text", "json")),
            activity_keep=reader.integer("RUNTIME_ACTIVITY_KEEP", 10_000, low=100),
            activity_retention_hours=reader.integer(
                "RUNTIME_ACTIVITY_RETENTION_HOURS", 24, low=1, high=24 * 366
            ),
            activity_rows=reader.integer("RUNTIME_ACTIVITY_ROWS", 100_000, low=100),
            activity_flush_interval=reader.seconds("RUNTIME_ACTIVITY_FLUSH_SECONDS", 1.0),
            alert_down_cycles=reader.integer("RUNTIME_ALERT_DOWN_CYCLES", 3, low=1, high=1000),
            metrics_token=reader.text("RUNTIME_METRICS_TOKEN", ""),
            metrics_multiprocess=bool(reader.text("PROMETHEUS_MULTIPROC_DIR", "")),
        )


_SANDBOX_PASSED_ON = ("PATH", "PYTHONPATH", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "HOME")


def normalise_database_url(url: str) -> str:
    """Map the URL schemes users write (`postgres://`, `sqlite:///`) to async drivers."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    if url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        return url
    raise ConfigError(
        "DATABASE_URL must start with sqlite:///, sqlite+aiosqlite:///, postgres://, "
        "postgresql:// or postgresql+asyncpg://"
    )


class _Reader:
    """Typed access to an environment mapping with one clear error per bad variable."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def text(self, name: str, default: str) -> str:
        return self._env.get(name, "").strip() or default

    def hosts(self, name: str) -> frozenset[str]:
        """A comma-separated list of host names, lower-cased."""
        raw = self._env.get(name, "")
        return frozenset(h.strip().strip("[]").lower() for h in raw.split(",") if h.strip())

    def proxies(self) -> dict[str, str]:
        """`<scheme>_proxy` variables by scheme; lower-case names win, as with curl."""
        found: dict[str, str] = {}
        for name, value in self._env.items():
            lower = name.lower()
            if value.strip() and lower.endswith("_proxy"):
                scheme = lower.removesuffix("_proxy")
                if name == lower or scheme not in found:
                    found[scheme] = value.strip()
        return found

    def integer(self, name: str, default: int, *, low: int, high: int | None = None) -> int:
        raw = self._env.get(name, "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f">= {low}"
            raise ConfigError(f"{name} must be {bound}, got {value}")
        return value

    def seconds(self, name: str, default: float) -> float:
        raw = self._env.get(name, "").strip().removesuffix("s")
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
        if not 0 < value < 86_400:  # noqa: PLR2004 - one day
            raise ConfigError(f"{name} must be between 0 and 86400 seconds, got {raw!r}")
        return value

    def flag(self, name: str) -> bool:
        raw = self._env.get(name, "").strip().lower()
        if raw in ("", "0", "false", "no", "off"):
            return False
        if raw in ("1", "true", "yes", "on"):
            return True
        raise ConfigError(f"{name} must be true or false, got {raw!r}")

    def uuid(self, name: str, default: str) -> str:
        raw = self.text(name, default)
        try:
            return str(uuid.UUID(raw))
        except ValueError:
            raise ConfigError(f"{name} must be a UUID, got {raw!r}") from None

    def choice(self, name: str, allowed: tuple[str, ...]) -> Any:
        """One of `allowed` (the first is the default), case-insensitive."""
        raw = self.text(name, allowed[0]).lower()
        if raw not in allowed:
            raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {raw!r}")
        return raw

    def log_level(self, name: str) -> LogLevel:
        raw = self.text(name, "INFO").upper()
        if raw not in get_args(LogLevel):
            raise ConfigError(f"{name} must be one of {', '.join(get_args(LogLevel))}, got {raw!r}")
        return cast(LogLevel, raw)

    def default_model(self, prefix: str) -> DefaultModel | None:
        model = self.text(f"{prefix}_MODEL", "")
        if not model:
            return None
        return DefaultModel(
            model=model,
            provider=self.text(f"{prefix}_PROVIDER", "ollama"),
            context_length=self.integer(f"{prefix}_MODEL_CONTEXT_LENGTH", 2048, low=1),
        )
