"""Paging someone by hand: one more person, or whoever a schedule has on call, is paged at
once through the same page rows and deliveries, also after an acknowledgement; each
request pages once; refused requests change nothing."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from tests.conftest import Personas
from tests.engine.helpers import events
from tests.paging.conftest import World
from warroom.cli import app as cli_app
from warroom.domain.lifecycle import Status
from warroom.domain.timeline import EventType
from warroom.engine.models import TaskState
from warroom.incidents.actions import do_change_status
from warroom.paging.hooks import DELIVER_PAGE
from warroom.paging.models import Page
from warroom.settings import get_settings

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")

DEMO = [(5, [{"user": "a"}]), (10, [{"user": "b"}])]


@pytest.fixture
def demo(world: World) -> World:
    world.users("a", "b", "dba")
    world.service(DEMO)
    return world


def page(
    client: TestClient, people: Personas, incident: int, **body: str
) -> tuple[int, dict[str, object]]:
    r = client.post(
        f"/api/v1/incidents/{incident}/page", json=body, headers=people.responder.headers
    )
    answer: dict[str, object] = r.json()
    return r.status_code, answer


def test_it_pages_a_person_outside_the_policy_at_once(
    demo: World, app_client: TestClient, people: Personas
) -> None:
    t = demo.clock.now()
    incident = demo.declare()
    demo.run()
    status, body = page(app_client, people, incident, user="dba")
    assert status == 202, body
    assert body["paged"] == ["dba"]
    assert body["request"] == 1
    demo.run()
    assert demo.paged_for_incident() == ["a", "dba"]
    # The policy goes on as planned beside it.
    demo.at(5, t)
    assert demo.paged_for_incident() == ["a", "dba", "b"]

    [requested] = events(demo.db, incident, EventType.PAGE_REQUESTED)
    assert requested["user"] == "dba"
    assert requested["users"] == ["dba"]
    sent = events(demo.db, incident, EventType.PAGE_SENT)
    assert [e["user"] for e in sent] == ["a", "dba", "b"]
    r = app_client.get(f"/api/v1/incidents/{incident}/timeline", headers=people.viewer.headers)
    [asked] = [e for e in r.json()["items"] if e["type"] == "page_requested"]
    assert asked["actor"] == "rita"


def test_it_pages_after_an_acknowledgement_and_even_if_one_comes_before_delivery(
    demo: World, app_client: TestClient, people: Personas
) -> None:
    incident = demo.declare()
    demo.run()
    demo.ack(incident)
    assert page(app_client, people, incident, user="dba")[0] == 202
    demo.run()
    assert demo.paged_for_incident() == ["a", "dba"]

    # Asked for while nobody held it, then acknowledged before the engine sent it: the
    # acknowledgement stops the policy, not the call for an expert.
    other = demo.declare(title="Checkout is failing")
    assert page(app_client, people, other, user="b")[0] == 202
    demo.ack(other)
    demo.run()
    assert demo.paged_for_incident() == ["a", "dba", "b"]
    # The policy's own first step of that incident was cancelled by the acknowledgement.
    assert demo.pages(other) == [(0, 0, "b", "sent")]


def test_it_pages_once_per_request_and_twice_when_asked_twice(
    demo: World, app_client: TestClient, people: Personas
) -> None:
    incident = demo.declare()
    assert page(app_client, people, incident, user="dba")[0] == 202
    status, second = page(app_client, people, incident, user="dba")
    assert status == 202
    assert second["request"] == 2
    demo.run()
    demo.run()
    assert sorted(demo.paged_for_incident()) == ["a", "dba", "dba"]
    assert sorted((loop, level, user) for loop, level, user, _ in demo.pages(incident)) == [
        (0, 0, "dba"),
        (0, 1, "dba"),
        (1, 0, "a"),
    ]


def test_it_pages_whoever_a_schedule_has_on_call(
    demo: World, app_client: TestClient, people: Personas
) -> None:
    t = demo.clock.now()
    demo.schedule(
        "database",
        [
            {
                "name": "weekly",
                "users": ["dba", "b"],
                "rotation_start": (t - timedelta(days=1)).replace(tzinfo=None),
                "turn_length_hours": 24 * 7,
            }
        ],
    )
    incident = demo.declare()
    demo.run()
    status, body = page(app_client, people, incident, schedule="database")
    assert status == 202, body
    assert body["paged"] == ["dba"]
    assert body["schedule"] == "database"
    demo.run()
    assert demo.paged_for_incident() == ["a", "dba"]
    [requested] = events(demo.db, incident, EventType.PAGE_REQUESTED)
    assert (requested["schedule"], requested["users"]) == ("database", ["dba"])


def test_it_refuses_when_nobody_is_on_call_and_writes_nothing(
    demo: World, app_client: TestClient, people: Personas
) -> None:
    t = demo.clock.now()
    demo.schedule(
        "ended",
        [
            {
                "name": "old",
                "users": ["dba"],
                "rotation_start": (t - timedelta(days=3)).replace(tzinfo=None),
                "turn_length_hours": 24,
                "end": (t - timedelta(days=1)).replace(tzinfo=None),
            }
        ],
    )
    incident = demo.declare()
    status, body = page(app_client, people, incident, schedule="ended")
    assert status == 409
    assert "nobody is on call for schedule 'ended'" in str(body["detail"])
    assert events(demo.db, incident, EventType.PAGE_REQUESTED) == []
    demo.run()
    assert demo.paged_for_incident() == ["a"]
    with demo.db.read() as session:
        assert session.scalars(select(Page).where(Page.loop == 0)).all() == []


def test_it_refuses_bad_requests_and_finished_incidents(
    demo: World, app_client: TestClient, people: Personas
) -> None:
    incident = demo.declare()
    assert page(app_client, people, incident, user="nobody-here")[0] == 404
    assert page(app_client, people, incident, schedule="no-such-schedule")[0] == 404
    assert page(app_client, people, incident)[0] == 422
    assert page(app_client, people, incident, user="dba", schedule="x")[0] == 422
    viewer = app_client.post(
        f"/api/v1/incidents/{incident}/page", json={"user": "dba"}, headers=people.viewer.headers
    )
    assert viewer.status_code == 403
    assert page(app_client, people, 999_999, user="dba")[0] == 404
    r = app_client.post(f"/api/v1/incidents/{incident}/resolve", headers=people.responder.headers)
    assert r.status_code == 200
    status, body = page(app_client, people, incident, user="dba")
    assert status == 409
    assert "resolved" in str(body["detail"])
    demo.run()
    assert "dba" not in demo.paged_for_incident()


def test_it_does_not_send_a_requested_page_once_the_incident_is_resolved(
    demo: World, app_client: TestClient, people: Personas
) -> None:
    incident = demo.declare()
    assert page(app_client, people, incident, user="dba")[0] == 202
    with demo.db.write() as session:
        do_change_status(
            session,
            incident_id=incident,
            status=Status.RESOLVED,
            actor="rita",
            now=demo.clock.now(),
        )
    demo.run()
    assert demo.paged_for_incident() == []
    assert demo.pages(incident) == [(0, 0, "dba", "cancelled")]
    assert all(task.state is not TaskState.PENDING for task in demo.tasks(incident, DELIVER_PAGE))


def test_it_pages_someone_from_the_incident_page(
    demo: World, app_client: TestClient, people: Personas
) -> None:
    incident = demo.declare()
    demo.run()
    demo.ack(incident)
    r = app_client.post("/login", data={"token": people.responder.token}, follow_redirects=False)
    assert r.status_code == 303
    html = app_client.get(f"/incidents/{incident}").text
    assert "data-page-user" in html
    assert "data-escalate" not in html  # acknowledged: the policy is stopped, paging is not
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert csrf
    r = app_client.post(
        f"/incidents/{incident}/page",
        data={"csrf": csrf.group(1), "user": "dba"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert "Page requested" in app_client.get(r.headers["location"]).text
    demo.run()
    assert demo.paged_for_incident() == ["a", "dba"]

    refused = app_client.post(
        f"/incidents/{incident}/page",
        data={"csrf": csrf.group(1), "user": "dba", "schedule": "database"},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert "exactly one" in refused.text
    no_csrf = app_client.post(
        f"/incidents/{incident}/page", data={"user": "dba"}, follow_redirects=False
    )
    assert no_csrf.status_code in (400, 403)
    demo.run()
    assert demo.paged_for_incident() == ["a", "dba"]


def test_it_pages_someone_from_the_command_line(
    demo: World, people: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = demo.declare()
    monkeypatch.setenv("WARROOM_DATABASE_URL", demo.db.url)
    for name in ("WARROOM_URL", "WARROOM_TOKEN", "WARROOM_USER", "WARROOM_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        result = runner.invoke(
            cli_app, ["incident", "page", str(incident), "--user", "dba", "--as", "rita", "--json"]
        )
        assert result.exit_code == 0, (result.stdout, result.stderr)
        assert json.loads(result.stdout)["paged"] == ["dba"]
        neither = runner.invoke(cli_app, ["incident", "page", str(incident), "--as", "rita"])
        assert neither.exit_code != 0
        assert "exactly one of --user or --schedule" in neither.stderr
    finally:
        get_settings.cache_clear()
    # The command line runs on the real clock; the engine here on the test's.
    demo.clock.set(datetime.now(UTC))
    demo.run()
    assert "dba" in demo.paged_for_incident()
    [requested] = events(demo.db, incident, EventType.PAGE_REQUESTED)
    assert requested["user"] == "dba"
