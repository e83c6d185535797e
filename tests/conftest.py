"""Shared fixtures: a migrated database (SQLite, and PostgreSQL when configured), a clock
tests move by hand, an app on that database, and four personas with tokens."""

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from warroom.clock import FakeClock
from warroom.db.migrate import upgrade
from warroom.db.models import Base
from warroom.db.session import Database
from warroom.settings import Settings
from warroom.users.actions import do_create_token, do_create_user
from warroom.users.models import UserRole
from warroom.web.app import create_app

REQUIRE_ALL = os.environ.get("WARROOM_REQUIRE_ALL") == "1"
POSTGRES_URL = os.environ.get("WARROOM_TEST_POSTGRES_URL")


def missing(reason: str) -> None:
    """Skip on a bare machine; fail where the full suite is required (CI)."""
    if REQUIRE_ALL:
        pytest.fail(f"required by WARROOM_REQUIRE_ALL=1: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "warroom.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_schema_url(worker_id: str) -> Iterator[str]:
    if not POSTGRES_URL:
        missing("PostgreSQL tests need WARROOM_TEST_POSTGRES_URL")
    assert POSTGRES_URL is not None
    schema = f"wr_test_{worker_id}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # any connection failure means: no PostgreSQL here
        missing(f"PostgreSQL at {POSTGRES_URL} is not reachable: {exc.__class__.__name__}")
    sep = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _truncate_all(db: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database: every test that takes it runs on SQLite and PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "warroom.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        database = Database(f"sqlite:///{path}")
        yield database
        database.dispose()
    else:
        database = Database(request.getfixturevalue("postgres_schema_url"))
        _truncate_all(database)
        yield database
        database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    """SQLite only, for tests about the web or CLI layer rather than the database."""
    path = tmp_path / "warroom.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(db: Database) -> Settings:
    return Settings(database_url=db.url, base_url="http://warroom.test")


@pytest.fixture
def app_client(db: Database, clock: FakeClock, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, db=db, clock=clock)) as client:
        yield client


@dataclass(frozen=True)
class Persona:
    handle: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class Personas:
    admin: Persona
    responder: Persona
    viewer: Persona
    # A responder in name, holding a token that was never issued: an outsider.
    outsider: Persona


@pytest.fixture
def people(db: Database, clock: FakeClock) -> Personas:
    made = {}
    with db.write() as session:
        for handle, role in (
            ("ada", UserRole.ADMIN),
            ("rita", UserRole.RESPONDER),
            ("vic", UserRole.VIEWER),
        ):
            user = do_create_user(
                session, handle=handle, name=handle.title(), role=role, now=clock.now()
            )
            made[handle] = Persona(
                handle, do_create_token(session, user=user, now=clock.now()).secret
            )
    return Personas(
        admin=made["ada"],
        responder=made["rita"],
        viewer=made["vic"],
        outsider=Persona("mallory", "wr_not-a-token-anyone-issued"),
    )


@dataclass(frozen=True)
class LiveServer:
    """warroom served over real HTTP on the test's database."""

    url: str
    db: Database
    admin: Persona
    client: httpx.Client

    def service(self, name: str = "checkout", **fields: object) -> tuple[dict[str, object], str]:
        """A new service and its integration key."""
        r = self.client.post(
            "/api/v1/services", json={"name": name, **fields}, headers=self.admin.headers
        )
        assert r.status_code == 201, r.text
        body: dict[str, object] = r.json()
        return body, str(body["integration_key"])


@pytest.fixture
def live(db: Database, clock: FakeClock, people: Personas) -> Iterator[LiveServer]:
    """Runs on SQLite and PostgreSQL, like `db`. Uses the FakeClock: move it to make
    response targets pass; real clients never see the difference."""
    from tests.servers import serve_app

    app = create_app(Settings(database_url=db.url), db=db, clock=clock)
    with serve_app(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield LiveServer(url, db, people.admin, client)
