"""The `runtime-api` command as a user runs it: real processes, real sockets, real signals."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from runtime.config import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "runtime", *args]


def environment(database_url: str, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("RUNTIME_", "TOKEN"))}
    return keep | {"DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"} | extra


class Server:
    """A `runtime-api serve` child process on a free port."""

    def __init__(self, database_url: str, cwd: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(  # noqa: S603
            command("serve", "--port", str(self.port)),
            env=environment(database_url, **env),
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.process.stdout.read().decode() if self.process.stdout else ""
                pytest.fail(f"server exited with {self.process.returncode}: {output}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        pytest.fail("server did not become ready")

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=20)
        if self.process.stdout:
            self.process.stdout.close()
        return code


@pytest.fixture
def servers(db_url: str, tmp_path: Path) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()
        if server.process.stdout:
            server.process.stdout.close()


def test_serve_starts_on_an_empty_database_and_lists_nothing(
    db_url: str, tmp_path: Path, servers: list[Server]
) -> None:
    server = Server(db_url, tmp_path)
    servers.append(server)
    server.wait_ready()
    for path in ("/backends", "/models", "/providers/configs", "/backend-affinity/x/backends"):
        response = httpx.get(server.url + path)
        assert response.status_code == 200, path
        assert response.json() == [], path
    assert server.terminate() == 0


def test_second_replica_starts_on_the_same_database_and_sees_the_same_data(
    db_url: str, tmp_path: Path, servers: list[Server]
) -> None:
    first, second = Server(db_url, tmp_path), Server(db_url, tmp_path)
    servers += [first, second]
    first.wait_ready()
    second.wait_ready()
    created = httpx.post(
        first.url + "/backends",
        json={"name": "shared", "baseUrl": "http://127.0.0.1:11434", "type": "ollama"},
    )
    assert created.status_code == 201
    seen = httpx.get(f"{second.url}/backends/{created.json()['id']}")
    assert seen.status_code == 200
    assert first.terminate() == 0
    assert second.terminate() == 0
    third = Server(db_url, tmp_path)
    servers.append(third)
    third.wait_ready()
    assert [b["name"] for b in httpx.get(third.url + "/backends").json()] == ["shared"]
    assert third.terminate() == 0


def test_token_protects_the_served_api(db_url: str, tmp_path: Path, servers: list[Server]) -> None:
    server = Server(db_url, tmp_path, TOKEN="letmein")
    servers.append(server)
    server.wait_ready()
    assert httpx.get(server.url + "/backends").status_code == 401
    assert httpx.get(server.url + "/backends", headers={"X-API-Key": "letmein"}).status_code == 200
    assert server.terminate() == 0


def test_bad_setting_stops_start_up_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(  # noqa: S603
        command("serve"),
        env=environment("sqlite:///x.db", PORT="eighty"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "PORT" in lines[0]
    assert not (tmp_path / "x.db").exists()


def test_migrate_creates_the_schema_on_a_new_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    for _ in range(2):
        result = subprocess.run(  # noqa: S603
            command("migrate"),
            env=environment(url),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "fresh.db").stat().st_size > 0


def test_settings_fixture_database_is_the_one_served(settings: Settings, db_url: str) -> None:
    assert settings.database_url == db_url
