"""What the benchmarks share: a real `warroom serve` process, and wrk driving it."""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def warroom_server(database_url: str, *, workers: int = 1, **env: str) -> Iterator[str]:
    port = free_port()
    environ = dict(
        os.environ,
        WARROOM_DATABASE_URL=database_url,
        WARROOM_LIVE_REFRESH_SECONDS="0",
        **env,
    )
    server = subprocess.Popen(
        [
            sys.executable,
            *("-m", "warroom", "serve", "--port", str(port), "--no-engine"),
            *("--workers", str(workers)),
        ],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{base}/healthz")
        yield base
    finally:
        server.terminate()
        server.wait(10)


def wait_ready(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def wrk(
    url: str,
    script: str,
    *,
    seconds: int,
    connections: int,
    threads: int = 2,
) -> dict[str, float]:
    """Run wrk with a Lua script; requests/s, p50/p99 latency (ms) and non-2xx count."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t",
                str(threads),
                "-c",
                str(connections),
                "-d",
                f"{seconds}s",
                "--latency",
                "-s",
                f.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        Path(f.name).unlink()
    rps = float(_find(r"Requests/sec:\s+([\d.]+)", out))
    total = int(_find(r"(\d+) requests in", out))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    figures = {
        "rps": rps,
        "requests": total,
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": sum(int(x) for x in socket_errors.groups()) if socket_errors else 0,
    }
    for label in ("50", "99"):
        m = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)\b", out)
        if m is None:
            raise RuntimeError(out)
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
        figures[f"p{label}_ms"] = round(float(m.group(1)) * scale, 3)
    return figures


def _find(pattern: str, text: str) -> str:
    m = re.search(pattern, text)
    if m is None:
        raise RuntimeError(f"wrk output without {pattern!r}:\n{text}")
    return m.group(1)


def lua_post(headers: dict[str, str], body: str | None = None) -> str:
    lines = ['wrk.method = "POST"']
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    if body is not None:
        lines.append(f"wrk.body = {json.dumps(body)}")
    return "\n".join(lines) + "\n"
