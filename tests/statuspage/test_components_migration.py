"""Revision 0012 turns each service's free-text component into a real, linked component
and keeps what the page said, on SQLite and PostgreSQL."""

from datetime import UTC, datetime

from sqlalchemy import select, text

from tests.integration.test_migrations import _diffs, empty_url  # noqa: F401 (a fixture)
from warroom.db.migrate import upgrade
from warroom.db.session import Database, make_engine
from warroom.domain.components import ComponentStatus
from warroom.services.models import Service
from warroom.statuspage.models import Component, ComponentStatusChange, IncidentComponent

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _service(conn: object, name: str, component: str | None, status: str) -> int:
    execute = conn.execute  # type: ignore[attr-defined]
    execute(
        text(
            "INSERT INTO services (name, description, component, component_status, "
            "severity_rules, responders, open_room, post_initial_message, mark_component, "
            "created_at) VALUES (:name, '', :component, :status, '[]', '[]', true, true, "
            "true, :at)"
        ),
        {"name": name, "component": component, "status": status, "at": AT},
    )
    found = execute(text("SELECT id FROM services WHERE name = :n"), {"n": name}).scalar_one()
    assert isinstance(found, int)
    return found


def _incident(conn: object, service_id: int, status: str, dedup_key: str | None) -> int:
    execute = conn.execute  # type: ignore[attr-defined]
    execute(
        text(
            "INSERT INTO incidents (title, description, severity, status, service_id, drill, "
            "started_at, detected_at, triggered_at, response_target_minutes, updated_at, "
            "dedup_key, reopen_count, severity_assessed, updates_on_time, updates_late, "
            "public, public_responders) VALUES ('down', '', 'SEV-1', :status, :sid, false, "
            ":at, :at, :at, 15, :at, :key, 0, false, 0, 0, false, false)"
        ),
        {"status": status, "sid": service_id, "at": AT, "key": dedup_key},
    )
    found = execute(text("SELECT max(id) FROM incidents")).scalar_one()
    assert isinstance(found, int)
    return found


def test_it_moves_each_service_component_to_a_linked_component(
    empty_url: str,  # noqa: F811 (the fixture imported above)
) -> None:
    upgrade(empty_url, "0011")
    engine = make_engine(empty_url)
    try:
        with engine.begin() as conn:
            checkout = _service(conn, "checkout", "Checkout", "major_outage")
            web = _service(conn, "checkout-web", "Checkout", "operational")
            search = _service(conn, "search", "Search", "operational")
            _service(conn, "billing", None, "degraded_performance")
            firing = _incident(conn, checkout, "acknowledged", "5xx")
            _incident(conn, checkout, "resolved", "old")
    finally:
        engine.dispose()

    upgrade(empty_url)
    assert _diffs(empty_url) == []
    db = Database(empty_url)
    try:
        with db.read() as s:
            components = {c.name: c for c in s.scalars(select(Component))}
            assert set(components) == {"Checkout", "Search"}
            for c in components.values():
                assert c.public is True
                assert c.manual_status is ComponentStatus.OPERATIONAL
                assert len(c.code) == 12
            # What the page said is kept; the incident that held it is now linked to it,
            # so it comes back by itself when that incident resolves.
            assert components["Checkout"].status is ComponentStatus.MAJOR_OUTAGE
            assert components["Search"].status is ComponentStatus.OPERATIONAL
            [link] = s.scalars(select(IncidentComponent)).all()
            assert (link.incident_id, link.component_id) == (firing, components["Checkout"].id)
            assert (link.status, link.source) == (None, "automatic")
            history = s.scalars(select(ComponentStatusChange)).all()
            assert [(h.component_id, h.status) for h in history] == [
                (components["Checkout"].id, ComponentStatus.MAJOR_OUTAGE)
            ]
            services = {sv.id: sv for sv in s.scalars(select(Service))}
            assert services[checkout].component == "Checkout"
            assert services[web].component == "Checkout"
            assert services[search].component == "Search"
            billing = next(sv for sv in services.values() if sv.name == "billing")
            assert billing.component is None
            assert billing.component_status is None
    finally:
        db.dispose()
