"""A public update written from the template, and a public title nobody chose, say only
what the public may know: public components and words chosen for customers, never the
service's internal name, the internal title or the incident's description."""

from tests.statuspage.conftest import StatusData
from warroom.db.session import Database
from warroom.domain.comms import UpdateKind
from warroom.domain.severity import Severity
from warroom.incidents.actions import do_publish_update, do_set_public
from warroom.incidents.models import Incident

INTERNAL_TITLE = "HighErrorRate payments-svc prod-eu-3"
INTERNAL_DESCRIPTION = "pgbouncer pool exhausted on db-7, see runbook"


def _incident(status_data: StatusData) -> int:
    status_data.component("Card payments")
    status_data.component("Ledger DB", public=False)
    status_data.service("payments-svc", component="Card payments")
    return status_data.incident(
        title=INTERNAL_TITLE,
        service="payments-svc",
        severity=Severity.SEV1,
        description=INTERNAL_DESCRIPTION,
    )


def test_a_public_draft_names_public_components_and_a_public_impact(
    status_data: StatusData, db: Database
) -> None:
    iid = _incident(status_data)
    with db.write() as session:
        update = do_publish_update(
            session,
            incident_id=iid,
            kind=UpdateKind.INITIAL,
            actor="rita",
            now=status_data.now(),
            public=True,
            components={"Card payments": "major_outage", "Ledger DB": "major_outage"},
        )
        body = update.body
    assert body.splitlines()[0] == "We are currently investigating reports of Card payments issues."
    assert "Affected services: Card payments" in body
    assert "Impact: The service is unavailable for many customers." in body
    for internal in ("payments-svc", "Ledger DB", INTERNAL_DESCRIPTION):
        assert internal not in body


def test_an_internal_draft_keeps_the_responders_words(
    status_data: StatusData, db: Database
) -> None:
    iid = _incident(status_data)
    with db.write() as session:
        update = do_publish_update(
            session,
            incident_id=iid,
            kind=UpdateKind.INITIAL,
            actor="rita",
            now=status_data.now(),
            public=False,
        )
        body = update.body
    assert "reports of payments-svc issues" in body
    assert f"Impact: {INTERNAL_DESCRIPTION}" in body


def test_a_public_title_nobody_chose_comes_from_impact_and_public_components(
    status_data: StatusData, db: Database
) -> None:
    iid = _incident(status_data)
    with db.write() as session:
        do_set_public(session, incident_id=iid, actor="rita", now=status_data.now(), public=True)
    with db.read() as session:
        incident = session.get(Incident, iid)
        assert incident is not None
        assert incident.public_title == "Outage affecting Card payments"
