"""`warroom serve` speaks https when given a certificate, which is what PagerDuty's own
client insists on: the client, unmodified, against the real command."""

import os
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pagerduty
import pytest
from sqlalchemy import func, select

from tests.servers import free_port, self_signed_certificate
from warroom.clock import SystemClock
from warroom.db.migrate import upgrade
from warroom.db.session import Database
from warroom.incidents.models import Incident
from warroom.services.actions import do_create_service
from warroom.users.actions import do_create_user


def test_it_serves_https_for_the_pagerduty_client(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/tls.db"
    upgrade(url)
    db = Database(url)
    with db.write() as session:
        do_create_user(session, handle="ops", name="Ops", now=SystemClock().now())
        key = do_create_service(session, name="checkout", now=SystemClock().now()).first_key.secret
    cert, private = self_signed_certificate(tmp_path)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "warroom", "serve", "--port", str(port), "--no-engine"],
        env=dict(
            os.environ,
            WARROOM_DATABASE_URL=url,
            WARROOM_TLS_CERTFILE=str(cert),
            WARROOM_TLS_KEYFILE=str(private),
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"https://127.0.0.1:{port}"
    trust = ssl.create_default_context(cafile=str(cert))
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{base}/healthz", verify=trust).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail("warroom serve did not come up over https")
            time.sleep(0.1)
        client = pagerduty.EventsApiV2Client(key, base_url=base, verify=trust)
        client.max_http_attempts = 1
        try:
            assert client.trigger("Disk full", "db-1", dedup_key="disk", severity="error") == "disk"
        finally:
            client.close()
        with db.read() as session:
            assert session.scalar(select(func.count()).select_from(Incident)) == 1
    finally:
        server.terminate()
        server.wait(10)
        db.dispose()
