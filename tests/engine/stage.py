"""The app, the engine and a service with responders, for end-to-end room tests."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Personas
from tests.fakes.slack import FakeSlack
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.engine.handlers import default_handlers
from warroom.engine.models import Task
from warroom.engine.runner import Engine
from warroom.incidents.models import Incident
from warroom.incidents.timers import TIMER_KINDS
from warroom.settings import Settings
from warroom.users.actions import do_create_user
from warroom.web.app import create_app

INITIAL = "We are currently investigating reports of checkout issues."
# carol has no Slack id: she is skipped (and said so) when a Slack room opens.
SLACK_IDS: Mapping[str, dict[str, str]] = {
    "alice": {"slack": "U0ALICE001"},
    "bob": {"slack": "U0BOB00001"},
    "carol": {"matrix": "@carol:example.org"},
}


@dataclass
class Stage:
    client: TestClient
    db: Database
    clock: FakeClock
    settings: Settings
    people: Personas
    slack: FakeSlack | None = None

    def engine(self) -> Engine:
        # Room work only: the incident's own timers (response target, …) are tested apart.
        handlers = {k: h for k, h in default_handlers().items() if k not in TIMER_KINDS}
        return Engine(self.db, self.clock, self.settings, handlers, name="test")

    def run_until_idle(self) -> int:
        runner, total = self.engine(), 0
        while ran := runner.run_once():
            total += ran
        return total

    def service_with_responders(self, chat_ids: Mapping[str, dict[str, str]] = SLACK_IDS) -> str:
        """A service whose responders are users with these chat ids; its alert key."""
        with self.db.write() as session:
            for handle, ids in chat_ids.items():
                user = do_create_user(
                    session, handle=handle, name=handle.title(), now=self.clock.now()
                )
                user.chat_ids = dict(ids)
        r = self.client.post(
            "/api/v1/services",
            # The component is the engine's work too; these tests count room steps only.
            json={"name": "checkout", "responders": list(chat_ids), "mark_component": False},
            headers=self.people.admin.headers,
        )
        assert r.status_code == 201, r.text
        return str(r.json()["integration_key"])

    def trigger(self, key: str) -> int:
        r = self.client.post(
            "/v2/enqueue",
            json={
                "routing_key": key,
                "event_action": "trigger",
                "dedup_key": "checkout-5xx",
                "payload": {
                    "summary": "Checkout 5xx rate above 5%",
                    "source": "prometheus",
                    "severity": "critical",
                },
            },
        )
        assert r.status_code == 202, r.text
        with self.db.read() as session:
            incident_id = session.scalar(
                select(Incident.id).where(Incident.dedup_key == "checkout-5xx")
            )
        assert incident_id is not None
        return incident_id

    def incident(self, incident_id: int) -> Incident:
        with self.db.read() as session:
            incident = session.get(Incident, incident_id)
            assert incident is not None
            return incident

    def tasks(self, incident_id: int) -> dict[str, Task]:
        with self.db.read() as session:
            return {
                t.kind: t
                for t in session.scalars(
                    # The incident's own timers (response target, …) are not room work.
                    select(Task).where(
                        Task.incident_id == incident_id, Task.kind.not_in(TIMER_KINDS)
                    )
                )
            }


def staged(
    db: Database,
    clock: FakeClock,
    people: Personas,
    slack: FakeSlack | None = None,
    **settings: Any,
) -> Iterator[Stage]:
    """The app on the test's database and clock; the Slack settings point at the fake."""
    values: dict[str, Any] = {"database_url": db.url, "base_url": "http://warroom.test"}
    if slack is not None:
        values |= {"slack_bot_token": slack.token, "slack_api_url": slack.api_url}
    app_settings = Settings(**(values | settings))
    with TestClient(create_app(app_settings, db=db, clock=clock)) as client:
        yield Stage(client, db, clock, app_settings, people, slack)
