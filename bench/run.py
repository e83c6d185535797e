"""HTTP benchmarks for `make bench`: a real `warroom serve` process driven by wrk.

Measures declaring incidents (a write transaction with timeline and checklist rows),
listing incidents and reading one, on SQLite (and PostgreSQL when
WARROOM_BENCH_POSTGRES_URL is set). Prints a line per figure; the last line is JSON.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from warroom.clock import SystemClock
from warroom.db.migrate import upgrade
from warroom.db.session import Database
from warroom.services.actions import do_create_service
from warroom.users.actions import do_create_token, do_create_user
from warroom.users.models import UserRole

SECONDS = int(os.environ.get("WARROOM_BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("WARROOM_BENCH_CONNECTIONS", "8"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(url: str) -> str:
    upgrade(url)
    db = Database(url)
    now = SystemClock().now()
    with db.write() as session:
        user = do_create_user(session, handle="bench", name="Bench", role=UserRole.ADMIN, now=now)
        do_create_service(session, name="checkout", now=now)
        secret = do_create_token(session, user=user, now=now).secret
    db.dispose()
    return secret


def wrk(url: str, token: str, *, method: str = "GET", body: str | None = None) -> dict[str, float]:
    script = (
        f'wrk.method = "{method}"\n'
        f'wrk.headers["Authorization"] = "Bearer {token}"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    if body is not None:
        script += f"wrk.body = {json.dumps(body)}\n"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    out = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(CONNECTIONS),
            "-d",
            f"{SECONDS}s",
            "--latency",
            "-s",
            f.name,
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    Path(f.name).unlink()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    pct = {}
    for label in ("50", "99"):
        m = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", out)
        assert m, out
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
        pct[label] = float(m.group(1)) * scale
    return {
        "rps": rps,
        "p50_ms": pct["50"],
        "p99_ms": pct["99"],
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def run(label: str, url: str) -> dict[str, dict[str, float]]:
    token = seed(url)
    port = free_port()
    env = dict(os.environ, WARROOM_DATABASE_URL=url, WARROOM_LIVE_REFRESH_SECONDS="0")
    server = subprocess.Popen(
        [sys.executable, "-m", "warroom", "serve", "--port", str(port), "--no-engine"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        declare = json.dumps(
            {"title": "Checkout errors", "severity": "SEV-2", "service": "checkout"}
        )
        results = {
            "declare": wrk(f"{base}/api/v1/incidents", token, method="POST", body=declare),
            "list50": wrk(f"{base}/api/v1/incidents?limit=50", token),
            "show": wrk(f"{base}/api/v1/incidents/1", token),
        }
    finally:
        server.terminate()
        server.wait(10)
    for name, figures in results.items():
        print(
            f"{label:8} {name:8} {figures['rps']:8.0f} req/s  p50 {figures['p50_ms']:7.2f} ms"
            f"  p99 {figures['p99_ms']:7.2f} ms  non-2xx {figures['non_2xx']}"
        )
    return results


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("bench needs wrk: apt-get install -y wrk")
    figures: dict[str, object] = {"seconds": SECONDS, "connections": CONNECTIONS}
    with tempfile.TemporaryDirectory() as tmp:
        figures["sqlite"] = run("sqlite", f"sqlite:///{tmp}/bench.db")
    pg = os.environ.get("WARROOM_BENCH_POSTGRES_URL")
    if pg:
        schema = f"bench_{os.getpid()}"
        admin = create_engine(pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            figures["postgres"] = run("postgres", f"{pg}?options=-csearch_path%3D{schema}")
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
