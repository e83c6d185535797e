"""A real Synapse homeserver for tests, started once per session (see NOTES.md).

The Synapse interpreter comes from WARROOM_TEST_SYNAPSE_PYTHON, else the repository's
`.venv-synapse/bin/python` (.ci/run creates it); without either the tests that need it
are skipped locally and fail under WARROOM_REQUIRE_ALL=1.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import missing

REPO = Path(__file__).resolve().parents[2]
SERVER_NAME = "localhost"
STARTUP_TIMEOUT_SECONDS = 90.0

# Appended to the generated homeserver.yaml: open registration for the test accounts and
# rate limits high enough that a test run never meets one.
_LIMIT = "{per_second: 10000, burst_count: 10000}"
_TEST_CONFIG = f"""
enable_registration: true
enable_registration_without_verification: true
suppress_key_server_warning: true
presence:
  enabled: false
rc_message: {_LIMIT}
rc_registration: {_LIMIT}
rc_room_creation: {_LIMIT}
rc_login:
  address: {_LIMIT}
  account: {_LIMIT}
  failed_attempts: {_LIMIT}
rc_joins:
  local: {_LIMIT}
  remote: {_LIMIT}
rc_invites:
  per_room: {_LIMIT}
  per_user: {_LIMIT}
  per_issuer: {_LIMIT}
"""


@dataclass(frozen=True)
class MatrixUser:
    user_id: str
    access_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


@dataclass(frozen=True)
class Synapse:
    url: str
    server_name: str
    startup_seconds: float

    def register(self, localpart: str) -> MatrixUser:
        """A new account; the name gets a random suffix so tests never collide."""
        username = f"{localpart}-{uuid.uuid4().hex[:8]}"
        response = httpx.post(
            f"{self.url}/_matrix/client/v3/register",
            json={
                "username": username,
                "password": uuid.uuid4().hex,
                "auth": {"type": "m.login.dummy"},
                "inhibit_login": False,
            },
            timeout=30,
        )
        response.raise_for_status()
        body = response.json()
        return MatrixUser(body["user_id"], body["access_token"])

    def client_api(self, user: MatrixUser, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(
            method,
            f"{self.url}/_matrix/client/v3{path}",
            headers=user.headers,
            timeout=30,
            **kwargs,
        )

    def join(self, user: MatrixUser, room_id: str) -> httpx.Response:
        return self.client_api(user, "POST", f"/join/{quote(room_id, safe='')}", json={})


def synapse_python() -> str | None:
    configured = os.environ.get("WARROOM_TEST_SYNAPSE_PYTHON")
    if configured:
        return configured
    local = REPO / ".venv-synapse" / "bin" / "python"
    return str(local) if local.exists() else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _configure(config: Path, port: int) -> None:
    text = config.read_text()
    # The generated listener binds ::1 and 127.0.0.1 on 8008 with client and federation
    # resources; tests need the client API on one loopback address and a port of their own.
    text = text.replace("port: 8008", f"port: {port}", 1)
    text = text.replace("    - ::1\n", "", 1)
    text = text.replace("      - federation\n", "", 1)
    if f"port: {port}" not in text:
        raise RuntimeError(f"could not set the listener port in {config}")
    # The generated file ends in a comment without a newline: start the appendix afresh.
    config.write_text(text.rstrip("\n") + "\n" + _TEST_CONFIG)


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    python = synapse_python()
    if python is None or not Path(python).exists():
        missing(
            "Matrix tests need a Synapse interpreter: WARROOM_TEST_SYNAPSE_PYTHON or "
            ".venv-synapse (python3 -m venv .venv-synapse && "
            ".venv-synapse/bin/pip install matrix-synapse)"
        )
    assert python is not None
    home = tmp_path_factory.mktemp("synapse")
    config = home / "homeserver.yaml"
    generated = subprocess.run(
        [
            python,
            "-m",
            "synapse.app.homeserver",
            "--server-name",
            SERVER_NAME,
            "--config-path",
            str(config),
            "--generate-config",
            "--report-stats=no",
        ],
        cwd=home,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if generated.returncode != 0:
        pytest.fail(f"Synapse could not generate its config:\n{generated.stderr[-3000:]}")
    port = _free_port()
    _configure(config, port)
    url = f"http://127.0.0.1:{port}"
    output = home / "stdout.log"
    started = time.monotonic()
    with output.open("wb") as out:
        process = subprocess.Popen(
            [python, "-m", "synapse.app.homeserver", "--config-path", str(config)],
            cwd=home,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"Synapse exited with {process.returncode} while starting:\n"
                    f"{_log_tail(output)}\n{_log_tail(home / 'homeserver.log')}"
                )
            try:
                if httpx.get(f"{url}/_matrix/client/versions", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() - started > STARTUP_TIMEOUT_SECONDS:
                pytest.fail(
                    f"Synapse did not answer within {STARTUP_TIMEOUT_SECONDS:.0f}s:\n"
                    f"{_log_tail(home / 'homeserver.log')}"
                )
            time.sleep(0.2)
        startup = time.monotonic() - started
        print(f"\nSynapse ready at {url} after {startup:.1f}s", file=sys.stderr)
        yield Synapse(url=url, server_name=SERVER_NAME, startup_seconds=startup)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
