"""API benchmark (`make bench`): declaring incidents (a write with timeline rows), listing
them and reading one, against a real `warroom serve` driven by wrk, on SQLite and on
PostgreSQL when WARROOM_BENCH_POSTGRES_URL is set. The last line printed is JSON."""

import json
import os
import shutil
import tempfile

from sqlalchemy import create_engine, text

from bench.common import lua_post, warroom_server, wrk
from warroom.clock import SystemClock
from warroom.db.migrate import upgrade
from warroom.db.session import Database
from warroom.services.actions import do_create_service
from warroom.users.actions import do_create_token, do_create_user
from warroom.users.models import UserRole

SECONDS = int(os.environ.get("WARROOM_BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("WARROOM_BENCH_CONNECTIONS", "8"))


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


def run(label: str, url: str) -> dict[str, dict[str, float]]:
    token = seed(url)
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    get = "\n".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in auth.items())
    declare = json.dumps({"title": "Checkout errors", "severity": "SEV-2", "service": "checkout"})
    with warroom_server(url) as base:
        results = {
            "declare": wrk(
                f"{base}/api/v1/incidents",
                lua_post(auth, declare),
                seconds=SECONDS,
                connections=CONNECTIONS,
            ),
            "list50": wrk(
                f"{base}/api/v1/incidents?limit=50", get, seconds=SECONDS, connections=CONNECTIONS
            ),
            "show": wrk(
                f"{base}/api/v1/incidents/1", get, seconds=SECONDS, connections=CONNECTIONS
            ),
        }
    for name, f in results.items():
        print(
            f"{label:8} {name:8} {f['rps']:8.0f} req/s  p50 {f['p50_ms']:7.2f} ms"
            f"  p99 {f['p99_ms']:7.2f} ms  non-2xx {f['non_2xx']}"
        )
    return results


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("bench needs wrk: apt-get install -y wrk")
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
            admin.dispose()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
