"""The Alembic migrations build exactly the schema the models describe, on SQLite and
PostgreSQL: a model change without its migration fails here."""

import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, select, text

from tests.conftest import POSTGRES_URL, missing
from warroom.clock import FakeClock
from warroom.db.migrate import pending, upgrade
from warroom.db.models import Base
from warroom.db.session import Database, make_engine
from warroom.incidents.models import Incident
from warroom.services.models import IntegrationKey, Service
from warroom.settings import Settings
from warroom.web.app import create_app


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database nobody has migrated yet: an empty SQLite file or a fresh schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    if not POSTGRES_URL:
        missing("PostgreSQL tests need WARROOM_TEST_POSTGRES_URL")
    assert POSTGRES_URL is not None
    schema = f"wr_migrate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # any connection failure means: no PostgreSQL here
        missing(f"PostgreSQL at {POSTGRES_URL} is not reachable: {exc.__class__.__name__}")
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _diffs(url: str) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_it_sees_the_whole_schema_missing_from_an_empty_database(empty_url: str) -> None:
    # The comparison below is only worth something if it notices missing tables.
    added = {d[1].name for d in _diffs(empty_url) if d[0] == "add_table"}
    assert added == set(Base.metadata.tables)


def test_it_migrates_an_empty_database_to_exactly_the_models_schema(empty_url: str) -> None:
    upgrade(empty_url)
    assert _diffs(empty_url) == []
    engine = make_engine(empty_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert tables == set(Base.metadata.tables) | {"alembic_version"}
        assert not pending(engine)
    finally:
        engine.dispose()


def test_it_upgrades_an_up_to_date_database_without_changes(empty_url: str) -> None:
    upgrade(empty_url)
    upgrade(empty_url)
    assert _diffs(empty_url) == []


def test_it_reports_a_fresh_database_as_pending(empty_url: str) -> None:
    engine = make_engine(empty_url)
    try:
        assert pending(engine)
    finally:
        engine.dispose()


def test_it_keeps_a_pre_intake_integration_key_ingesting_after_the_upgrade(
    empty_url: str,
) -> None:
    # Revision 0003 (alert intake) moved each service's plain integration_key column to
    # integration_keys, hashed; monitoring already pointed at warroom must keep working.
    old_key = "0123456789abcdef0123456789abcdef"
    upgrade(empty_url, "0002")
    engine = make_engine(empty_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO services (name, description, integration_key, created_at) "
                    "VALUES ('legacy', '', :key, :at)"
                ),
                {"key": old_key, "at": datetime(2025, 6, 1, 12, 0, tzinfo=UTC)},
            )
    finally:
        engine.dispose()

    upgrade(empty_url)
    assert _diffs(empty_url) == []
    db = Database(empty_url)
    try:
        with db.read() as session:
            [key] = session.scalars(select(IntegrationKey)).all()
            assert key.key_hash == hashlib.sha256(old_key.encode()).hexdigest()
            assert key.prefix == old_key[:10]
            assert key.revoked_at is None
            assert key.service_id == session.scalar(select(Service.id))
        with TestClient(
            create_app(Settings(database_url=empty_url), db=db, clock=FakeClock())
        ) as c:
            r = c.post(
                "/integrations/events/v2/enqueue",
                json={
                    "routing_key": old_key,
                    "event_action": "trigger",
                    "dedup_key": "after-upgrade",
                    "payload": {"summary": "still wired", "source": "mon", "severity": "error"},
                },
            )
            assert r.status_code == 202, r.text
        with db.read() as session:
            [incident] = session.scalars(select(Incident)).all()
            assert incident.service.name == "legacy"
            assert incident.dedup_key == "after-upgrade"
    finally:
        db.dispose()
