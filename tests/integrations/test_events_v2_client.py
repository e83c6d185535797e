"""The official PagerDuty client (PyPI `pagerduty`), unmodified, drives warroom over real
HTTP: SPEC §3 says an Events API v2 client pointed at warroom's base URL must work.

pagerduty 7.x refuses any base URL that is not https:// (`ApiClient.url`'s setter raises
UrlError), so warroom is served here over TLS with a throwaway self-signed certificate,
as it would be behind a TLS-terminating proxy, and the client is told to trust it."""

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pagerduty
import pytest
from sqlalchemy import func, select

from tests.conftest import LiveServer, Personas
from tests.servers import self_signed_certificate, serve_app
from warroom.alerts.models import Alert
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.incidents.models import Incident
from warroom.settings import Settings
from warroom.web.app import create_app

Json = dict[str, Any]


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def live(
    db: Database, clock: FakeClock, people: Personas, certificate: tuple[Path, Path]
) -> Iterator[LiveServer]:
    """Like conftest's `live` (SQLite and PostgreSQL, the FakeClock), served over TLS."""
    app = create_app(Settings(database_url=db.url), db=db, clock=clock)
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    with (
        serve_app(app, tls=certificate) as url,
        httpx.Client(base_url=url, timeout=30, verify=trust) as client,
    ):
        yield LiveServer(url, db, people.admin, client)


@pytest.fixture
def trust(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


def _incidents(live: LiveServer) -> list[Json]:
    r = live.client.get("/api/v1/incidents", headers=live.admin.headers)
    assert r.status_code == 200, r.text
    items: list[Json] = r.json()["items"]
    return sorted(items, key=lambda i: i["id"])


def _alert_count(live: LiveServer) -> int:
    with live.db.read() as session:
        return session.scalar(select(func.count()).select_from(Alert)) or 0


@pytest.fixture(params=["root", "integrations_events"])
def base_url(request: pytest.FixtureRequest, live: LiveServer) -> str:
    """The client posts to base_url + "/v2/enqueue": warroom's root works (the alias),
    and so does the documented `/integrations/events` prefix."""
    return live.url if request.param == "root" else live.url + "/integrations/events"


@pytest.fixture
def connect(base_url: str, trust: ssl.SSLContext) -> Iterator[Any]:
    """Makes PagerDuty clients for an integration key, and closes them afterwards (an
    open keep-alive connection holds up the server's shutdown)."""
    made: list[pagerduty.EventsApiV2Client] = []

    def client_for(key: str) -> pagerduty.EventsApiV2Client:
        client = pagerduty.EventsApiV2Client(key, base_url=base_url, verify=trust)
        # A failure should fail the test, not be retried for minutes.
        client.max_http_attempts = 1
        made.append(client)
        return client

    yield client_for
    for client in made:
        client.close()


def test_it_takes_an_incident_through_its_life_from_the_pagerduty_client(
    live: LiveServer, connect: Any
) -> None:
    _, key = live.service("checkout")
    client = connect(key)

    returned = client.trigger(
        "Checkout error rate above 5%", "web-1", dedup_key="checkout-5xx", severity="critical"
    )
    assert returned == "checkout-5xx"
    [incident] = _incidents(live)
    assert incident["severity"] == "SEV-1"
    assert incident["status"] == "triggered"
    assert incident["title"] == "Checkout error rate above 5%"
    assert incident["service"] == "checkout"

    assert client.acknowledge("checkout-5xx") == "checkout-5xx"
    [incident] = _incidents(live)
    assert incident["status"] == "acknowledged"
    assert incident["acknowledged_at"] is not None

    assert client.resolve("checkout-5xx") == "checkout-5xx"
    [incident] = _incidents(live)
    assert incident["status"] == "resolved"
    assert incident["resolved_at"] is not None

    # After resolve, the same key starts over: a new alert and a new incident.
    assert client.trigger("Checkout errors again", "web-1", dedup_key="checkout-5xx") == (
        "checkout-5xx"
    )
    first, second = _incidents(live)
    assert first["status"] == "resolved"
    assert second["status"] == "triggered"
    assert second["id"] != first["id"]
    assert _alert_count(live) == 2


def test_it_maps_each_pagerduty_severity_to_the_default_incident_severity(
    live: LiveServer, connect: Any
) -> None:
    _, key = live.service("search")
    client = connect(key)
    expected = {"critical": "SEV-1", "error": "SEV-2", "warning": "SEV-3", "info": "SEV-4"}
    for severity in expected:
        client.trigger(f"search is {severity}", "idx-1", dedup_key=severity, severity=severity)
    by_title = {i["title"]: i["severity"] for i in _incidents(live)}
    assert by_title == {f"search is {s}": sev for s, sev in expected.items()}


def test_it_generates_a_dedup_key_for_a_trigger_without_one(live: LiveServer, connect: Any) -> None:
    _, key = live.service("billing")
    client = connect(key)

    generated = client.trigger("Invoices are late", "billing-worker")
    assert isinstance(generated, str)
    assert generated
    other = client.trigger("Invoices are late", "billing-worker")
    assert other != generated  # no key: each trigger is its own alert
    assert len(_incidents(live)) == 2

    # The generated key is a real dedup key: the client can resolve with it.
    client.resolve(generated)
    statuses = {i["title"] + str(i["id"]): i["status"] for i in _incidents(live)}
    assert sorted(statuses.values()) == ["resolved", "triggered"]
    with live.db.read() as session:
        keys = set(session.scalars(select(Incident.dedup_key)))
    assert keys == {generated, other}
