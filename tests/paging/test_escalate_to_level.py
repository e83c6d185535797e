"""Escalate to a named level: the level asked for is paged now (even one already paged, or
after the policy ran out), the escalation goes on from it on a plan re-based at that
moment, and requests that cannot be honoured are refused and change nothing."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import Personas
from tests.engine.helpers import events
from tests.paging.conftest import World
from warroom.cli import app as cli_app
from warroom.domain.timeline import SYSTEM_ACTOR, EventType
from warroom.services.actions import do_create_service
from warroom.settings import get_settings

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")

DEMO = [(5, [{"user": "a"}]), (10, [{"user": "b"}]), (15, [{"user": "c"}])]


@pytest.fixture
def demo(world: World) -> World:
    world.users("a", "b", "c")
    world.service(DEMO)
    return world


def escalate(client: TestClient, people: Personas, incident: int, level: int) -> int:
    r = client.post(
        f"/api/v1/incidents/{incident}/escalate",
        json={"level": level},
        headers=people.responder.headers,
    )
    return r.status_code


def test_it_pages_the_named_level_now_and_goes_on_from_it(
    demo: World, app_client: TestClient, people: Personas
) -> None:
    t = demo.clock.now()
    incident = demo.declare()
    demo.run()
    demo.at(1, t)
    assert escalate(app_client, people, incident, 3) == 200
    demo.run()
    assert demo.paged_for_incident() == ["a", "c"]  # level 3 at +1; level 2 jumped over
    demo.at(5, t)  # level 2 of the old plan was due now: cancelled
    assert demo.paged_for_incident() == ["a", "c"]
    demo.at(120, t)  # level 3 was the last and the policy does not repeat
    assert demo.paged_for_incident() == ["a", "c"]

    [manual] = [e for e in events(demo.db, incident, EventType.ESCALATED) if e.get("manual")]
    assert manual["level"] == 3
    assert manual["loop"] == 2


def test_it_pages_a_level_already_paged_again_and_re_bases_the_rest(
    demo: World, app_client: TestClient, people: Personas
) -> None:
    t = demo.clock.now()
    incident = demo.declare()
    demo.run()
    demo.at(6, t)
    assert demo.paged_for_incident() == ["a", "b"]
    assert escalate(app_client, people, incident, 1) == 200
    demo.run()
    assert demo.paged_for_incident() == ["a", "b", "a"]
    demo.at(10.9, t)
    assert demo.paged_for_incident() == ["a", "b", "a"]
    demo.at(11, t)  # level 2 five minutes after the jump, not at +15 (old level 3)
    assert demo.paged_for_incident() == ["a", "b", "a", "b"]
    demo.at(15, t)
    assert demo.paged_for_incident() == ["a", "b", "a", "b"]
    demo.at(21, t)
    assert demo.paged_for_incident() == ["a", "b", "a", "b", "c"]
    assert [(loop, level, user) for loop, level, user, _ in demo.pages(incident)] == [
        (1, 0, "a"),
        (1, 1, "b"),
        (2, 0, "a"),
        (2, 1, "b"),
        (2, 2, "c"),
    ]


def test_it_wakes_the_director_after_the_policy_ran_out(
    demo: World, app_client: TestClient, people: Personas
) -> None:
    t = demo.clock.now()
    incident = demo.declare()
    demo.run()
    demo.at(60, t)
    assert demo.paged_for_incident() == ["a", "b", "c"]
    # "Next level" has nothing left; a named level still does.
    r = app_client.post(f"/api/v1/incidents/{incident}/escalate", headers=people.responder.headers)
    assert r.status_code == 409
    assert escalate(app_client, people, incident, 3) == 200
    demo.run()
    assert demo.paged_for_incident() == ["a", "b", "c", "c"]
    manual = [e for e in events(demo.db, incident, EventType.ESCALATED) if e.get("manual")]
    assert [(e["level"], e["loop"]) for e in manual] == [(3, 2)]


def test_it_records_who_asked_for_which_level(
    demo: World, app_client: TestClient, people: Personas
) -> None:
    incident = demo.declare()
    demo.run()
    assert escalate(app_client, people, incident, 2) == 200
    demo.run()
    r = app_client.get(f"/api/v1/incidents/{incident}/timeline", headers=people.viewer.headers)
    assert r.status_code == 200
    escalated = [e for e in r.json()["items"] if e["type"] == "escalated"]
    assert [(e["actor"], e["data"].get("manual"), e["data"]["level"]) for e in escalated] == [
        (SYSTEM_ACTOR, None, 1),
        ("rita", True, 2),
        (SYSTEM_ACTOR, None, 2),
    ]


def test_it_refuses_a_level_the_policy_does_not_have_and_changes_nothing(
    demo: World, app_client: TestClient, people: Personas
) -> None:
    t = demo.clock.now()
    incident = demo.declare()
    demo.run()
    r = app_client.post(
        f"/api/v1/incidents/{incident}/escalate",
        json={"level": 4},
        headers=people.responder.headers,
    )
    assert r.status_code == 422
    assert "levels 1 to 3" in r.json()["detail"]
    assert r.json()["allowed"] == ["1", "2", "3"]
    zero = app_client.post(
        f"/api/v1/incidents/{incident}/escalate",
        json={"level": 0},
        headers=people.responder.headers,
    )
    assert zero.status_code == 422
    demo.at(5, t)
    assert demo.paged_for_incident() == ["a", "b"]  # the plan went on untouched


def test_it_refuses_a_viewer_an_acknowledged_or_resolved_incident_and_no_policy(
    demo: World, app_client: TestClient, people: Personas
) -> None:
    incident = demo.declare()
    demo.run()
    r = app_client.post(
        f"/api/v1/incidents/{incident}/escalate", json={"level": 2}, headers=people.viewer.headers
    )
    assert r.status_code == 403
    demo.ack(incident)
    acked = app_client.post(
        f"/api/v1/incidents/{incident}/escalate",
        json={"level": 2},
        headers=people.responder.headers,
    )
    assert acked.status_code == 409
    assert "/page" in acked.json()["detail"]
    resolved = app_client.post(
        f"/api/v1/incidents/{incident}/resolve", headers=people.responder.headers
    )
    assert resolved.status_code == 200
    assert escalate(app_client, people, incident, 2) == 409

    with demo.db.write() as session:
        do_create_service(
            session, name="search", now=demo.clock.now(), open_room=False, mark_component=False
        )
    bare = demo.declare(service="search")
    r = app_client.post(
        f"/api/v1/incidents/{bare}/escalate", json={"level": 1}, headers=people.responder.headers
    )
    assert r.status_code == 409
    assert "no escalation policy" in r.json()["detail"]
    demo.clock.set(demo.clock.now() + timedelta(minutes=30))
    demo.run()
    assert demo.paged_for_incident() == ["a"]


def test_it_escalates_to_a_chosen_level_from_the_incident_page(
    demo: World, app_client: TestClient, people: Personas
) -> None:
    incident = demo.declare()
    demo.run()
    r = app_client.post("/login", data={"token": people.responder.token}, follow_redirects=False)
    assert r.status_code == 303
    html = app_client.get(f"/incidents/{incident}").text
    assert "Escalate to Level 3 — c" in html
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert csrf
    r = app_client.post(
        f"/incidents/{incident}/escalate",
        data={"csrf": csrf.group(1), "level": "3"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    demo.run()
    assert demo.paged_for_incident() == ["a", "c"]
    r = app_client.post(
        f"/incidents/{incident}/escalate",
        data={"csrf": csrf.group(1), "level": "9"},
        follow_redirects=False,
    )
    assert r.status_code == 422
    assert "levels 1 to 3" in r.text
    # "Next level" after the last: nothing left, said on the page.
    r = app_client.post(
        f"/incidents/{incident}/escalate",
        data={"csrf": csrf.group(1), "level": "next"},
        follow_redirects=False,
    )
    assert r.status_code == 409
    assert "no further levels" in r.text


def test_it_escalates_to_a_level_from_the_command_line(
    demo: World, people: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = demo.declare()
    monkeypatch.setenv("WARROOM_DATABASE_URL", demo.db.url)
    for name in ("WARROOM_URL", "WARROOM_TOKEN", "WARROOM_USER", "WARROOM_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        args = ["incident", "escalate", str(incident), "--level", "2", "--as", "rita"]
        result = runner.invoke(cli_app, [*args, "--json"])
        assert result.exit_code == 0, (result.stdout, result.stderr)
        assert json.loads(result.stdout)["id"] == incident
        wrong = runner.invoke(
            cli_app, ["incident", "escalate", str(incident), "--level", "7", "--as", "rita"]
        )
        assert wrong.exit_code == 1
        assert "levels 1 to 3" in wrong.stderr
    finally:
        get_settings.cache_clear()
    demo.clock.set(datetime.now(UTC))
    demo.run()
    assert demo.paged_for_incident() == ["b"]  # level 1 had not been paged yet: jumped over
    manual = [e for e in events(demo.db, incident, EventType.ESCALATED) if e.get("manual")]
    assert [e["level"] for e in manual] == [2]
