"""Review tracking (SPEC §5): each resolved incident asks its tech lead to review the
service's runbook; marking the runbook reviewed answers every such request."""

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Personas
from tests.runbooks.conftest import RunbookData
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.domain.action_items import ActionItemKind, ActionItemStatus
from warroom.domain.timeline import EventType
from warroom.incidents.actions import do_resolve
from warroom.incidents.models import TimelineEvent
from warroom.postmortems.models import ActionItem


def _resolve(db: Database, clock: FakeClock, incident_id: int) -> None:
    with db.write() as s:
        do_resolve(s, incident_id=incident_id, actor="rita", now=clock.now())


def _reviews(db: Database) -> list[tuple[int, str, str | None, ActionItemStatus]]:
    with db.read() as s:
        items = s.scalars(
            select(ActionItem)
            .where(ActionItem.kind == ActionItemKind.RUNBOOK_REVIEW)
            .order_by(ActionItem.id)
        ).all()
        return [
            (i.incident_id, i.title, i.owner.handle if i.owner else None, i.status) for i in items
        ]


def test_resolving_an_incident_asks_its_tech_lead_to_review_the_runbook(
    people: Personas, data: RunbookData, db: Database, clock: FakeClock
) -> None:
    data.service()
    incident = data.incident(tech_lead="rita")
    assert _reviews(db) == []
    _resolve(db, clock, incident)
    assert _reviews(db) == [
        (incident, "Review the payments-api runbook after this incident", "rita", "open")
    ]


def test_a_drill_leaves_no_review_item(
    people: Personas, data: RunbookData, db: Database, clock: FakeClock
) -> None:
    data.service()
    _resolve(db, clock, data.incident(drill=True))
    assert _reviews(db) == []


def test_marking_the_runbook_reviewed_finishes_the_services_open_review_items(
    app_client: TestClient, people: Personas, data: RunbookData, db: Database, clock: FakeClock
) -> None:
    data.service("payments-api")
    data.service("checkout-web")
    data.runbook("payments-api")
    first = data.incident(tech_lead="rita")
    _resolve(db, clock, first)
    second = data.incident("Card processor slow", tech_lead="vic")
    _resolve(db, clock, second)
    elsewhere = data.incident("Checkout 5xx", service="checkout-web")
    _resolve(db, clock, elsewhere)

    runbook = app_client.get(
        "/api/v1/services/payments-api/runbook", headers=people.viewer.headers
    ).json()
    assert [r["incident_id"] for r in runbook["open_reviews"]] == [first, second]

    clock.advance(hours=2)
    reviewed = app_client.post(
        "/api/v1/services/payments-api/runbook/review", headers=people.responder.headers
    )
    assert reviewed.status_code == 200
    body = reviewed.json()
    assert body["reviewed_by"] == "rita"
    assert body["reviewed_at"] == clock.now().isoformat().replace("+00:00", "Z")
    assert len(body["finished_items"]) == 2
    assert body["open_reviews"] == []
    statuses = {incident: status for incident, _, _, status in _reviews(db)}
    assert statuses == {first: "done", second: "done", elsewhere: "open"}
    with db.read() as s:
        changed = s.scalars(
            select(TimelineEvent).where(
                TimelineEvent.incident_id == first,
                TimelineEvent.type == EventType.ACTION_ITEM_CHANGED,
            )
        ).all()
    assert [(e.actor, e.data["changes"]) for e in changed] == [("rita", {"status": "done"})]


def test_reviewing_a_service_without_a_runbook_is_404(
    app_client: TestClient, people: Personas, data: RunbookData
) -> None:
    data.service()
    answer = app_client.post(
        "/api/v1/services/payments-api/runbook/review", headers=people.responder.headers
    )
    assert answer.status_code == 404
