"""Settings from the environment: defaults, parsing, and one clear error per bad variable."""

from __future__ import annotations

import pytest

from runtime.config import DEFAULT_TENANCY, ConfigError, DefaultModel, Settings


def test_empty_environment_gives_safe_defaults() -> None:
    settings = Settings.from_env({})
    assert (settings.host, settings.port) == ("127.0.0.1", 8081)
    assert settings.database_url == "sqlite+aiosqlite:///./runtime.db"
    assert settings.api_token == ""
    assert settings.tenancy == DEFAULT_TENANCY
    assert settings.embed_model is None
    assert (settings.backend_max_connections, settings.backend_idle_seconds) == (100, 30.0)


def test_backend_connection_limits_are_read() -> None:
    env = {"RUNTIME_BACKEND_MAX_CONNECTIONS": "8", "RUNTIME_BACKEND_IDLE_SECONDS": "2.5"}
    settings = Settings.from_env(env)
    assert (settings.backend_max_connections, settings.backend_idle_seconds) == (8, 2.5)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@h:5432/db", "postgresql+asyncpg://u:p@h:5432/db"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
    ],
)
def test_database_urls_are_mapped_to_async_drivers(given: str, expected: str) -> None:
    assert Settings.from_env({"DATABASE_URL": given}).database_url == expected


def test_default_models_come_from_their_variables() -> None:
    settings = Settings.from_env(
        {
            "EMBED_MODEL": "nomic-embed-text:latest",
            "EMBED_MODEL_CONTEXT_LENGTH": "8192",
            "CHAT_MODEL": "phi3:3.8b",
            "CHAT_PROVIDER": "vllm",
            "TOKEN": "t",
        }
    )
    assert settings.embed_model == DefaultModel(
        model="nomic-embed-text:latest", provider="ollama", context_length=8192
    )
    assert settings.chat_model == DefaultModel(model="phi3:3.8b", provider="vllm")
    assert settings.task_model is None
    assert settings.api_token == "t"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"RUNTIME_TENANCY": "not-a-uuid"}, "RUNTIME_TENANCY"),
        ({"EMBED_MODEL": "m", "EMBED_MODEL_CONTEXT_LENGTH": "0"}, "EMBED_MODEL_CONTEXT_LENGTH"),
        ({"RUNTIME_LOG_LEVEL": "LOUD"}, "RUNTIME_LOG_LEVEL"),
        ({"RUNTIME_MAX_ROWS": "-1"}, "RUNTIME_MAX_ROWS"),
        ({"RUNTIME_BACKEND_MAX_CONNECTIONS": "0"}, "RUNTIME_BACKEND_MAX_CONNECTIONS"),
        ({"RUNTIME_BACKEND_IDLE_SECONDS": "0"}, "RUNTIME_BACKEND_IDLE_SECONDS"),
    ],
)
def test_bad_setting_names_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env(env)


def test_sandbox_workers_inherit_only_what_starts_python() -> None:
    env = {
        "PATH": "/usr/bin",
        "LANG": "C.UTF-8",
        "RUNTIME_SECRET_KEY": "k",
        "DATABASE_URL": "postgresql://u:p@db/x",
        "RUNTIME_API_TOKEN": "t",
        "HTTPS_PROXY": "http://u:p@proxy:3128",
    }
    assert Settings.from_env(env).sandbox_environment == {"PATH": "/usr/bin", "LANG": "C.UTF-8"}
