"""Schemathesis drives every operation in our own /openapi.json, in-process, as an admin,
on SQLite: whatever the generated input, the API answers 4xx or 2xx, never 5xx."""

import os
import zlib
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.domain.severity import Severity
from warroom.incidents.actions import do_declare
from warroom.services.actions import do_create_service
from warroom.settings import Settings
from warroom.users.actions import do_create_token, do_create_user
from warroom.users.models import UserRole
from warroom.web.app import create_app

pytestmark = pytest.mark.xdist_group("fuzz")

# Small enough for every run; raise it (WARROOM_FUZZ_EXAMPLES=500) for a deeper search.
EXAMPLES = int(os.environ.get("WARROOM_FUZZ_EXAMPLES", "25"))


@dataclass(frozen=True)
class Seeded:
    app: FastAPI
    headers: dict[str, str]
    incident_id: int
    service: str
    handle: str


@pytest.fixture
def seeded(sqlite_db: Database) -> Seeded:
    clock = FakeClock()
    with sqlite_db.write() as session:
        admin = do_create_user(
            session, handle="ada", name="Ada", role=UserRole.ADMIN, now=clock.now()
        )
        secret = do_create_token(session, user=admin, now=clock.now()).secret
        do_create_service(session, name="checkout", now=clock.now())
        incident = do_declare(
            session,
            title="Checkout failing",
            severity=Severity.SEV2,
            service="checkout",
            actor="ada",
            now=clock.now(),
        )
        incident_id = incident.id
    app = create_app(
        Settings(database_url=sqlite_db.url, base_url="http://warroom.test"),
        db=sqlite_db,
        clock=clock,
    )
    return Seeded(app, {"Authorization": f"Bearer {secret}"}, incident_id, "checkout", "ada")


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every documented operation, read from an app that never touches
    its database: collection needs the list before any fixture runs."""
    app = create_app(Settings(database_url="sqlite://"), db=Database("sqlite://"))
    return [
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def _pick(value: object) -> bool:
    # crc32 rather than hash(): the same case picks the same way in every process.
    return zlib.crc32(str(value).encode()) % 3 == 0


def _aim_at_seeded_objects(case: Any, seeded: Seeded) -> None:
    """A third of the generated ids and names point at objects that exist, so the handlers'
    real work runs, not only their 404 branch."""
    params = case.path_parameters or {}
    if "incident_id" in params and _pick(params["incident_id"]):
        params["incident_id"] = seeded.incident_id
    if "ref" in params and _pick(params["ref"]):
        params["ref"] = seeded.service
    if "handle" in params and _pick(params["handle"]):
        params["handle"] = seeded.handle


# schemathesis' own pytest loader (`schemathesis.pytest.from_fixture`) relies on a pytest
# private attribute that pytest 9 removed, so each operation is driven through its
# Hypothesis strategy here instead: one pytest item per operation, a fresh database each.
@pytest.mark.parametrize(("method", "path"), _operations(), ids=lambda v: str(v))
def test_it_never_answers_with_a_server_error(method: str, path: str, seeded: Seeded) -> None:
    operation = schemathesis.openapi.from_asgi("/openapi.json", seeded.app)[path][method]
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def exercise(case: Any) -> None:
        _aim_at_seeded_objects(case, seeded)
        case.call_and_validate(headers=seeded.headers, checks=[not_a_server_error])

    exercise()


def test_it_serves_an_openapi_document_covering_the_core_api(seeded: Seeded) -> None:
    loaded = schemathesis.openapi.from_asgi("/openapi.json", seeded.app)
    paths = set(loaded.raw_schema["paths"])
    assert {
        "/api/v1/incidents",
        "/api/v1/incidents/{incident_id}",
        "/api/v1/services",
        "/api/v1/users",
        "/api/v1/tokens",
    } <= paths
