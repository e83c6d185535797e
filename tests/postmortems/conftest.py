"""Incidents run to resolution through the API, the way responders do, so each
postmortem test starts where a real one would: a resolved incident with a timeline."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Personas
from warroom.clock import FakeClock

API = "/api/v1/incidents"
Json = dict[str, Any]


class Desk:
    """A responder at the API: declare, work and resolve incidents, then write them up."""

    def __init__(self, client: TestClient, people: Personas, clock: FakeClock) -> None:
        self.client, self.people, self.clock = client, people, clock
        self.h = people.responder.headers

    def call(self, method: str, path: str, body: Json | None = None, **kw: Any) -> Any:
        r = self.client.request(method, path, json=body, headers=kw.pop("headers", self.h), **kw)
        assert r.is_success, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.headers.get("content-type", "").startswith("application/json") else r

    def declare(self, **fields: Any) -> Json:
        body = {
            "title": "Checkout is failing",
            "severity": "SEV-2",
            "service": "checkout",
            "description": "Card payments fail for about 5% of customers.",
        } | fields
        out: Json = self.call("POST", API, body)
        return out

    def resolved(self, **fields: Any) -> int:
        """An incident worked the usual way: acknowledged after 4 minutes, a commander,
        a note, an update, resolved 40 minutes after it began."""
        iid = int(self.declare(**fields)["id"])
        self.clock.advance(minutes=4)
        self.call("POST", f"{API}/{iid}/acknowledge")
        self.call("PUT", f"{API}/{iid}/roles/incident_commander", {"user": "rita"})
        self.call("POST", f"{API}/{iid}/notes", {"text": "Rolled back the 14:00 deploy"})
        self.call("POST", f"{API}/{iid}/updates", {"kind": "initial"})
        self.clock.advance(minutes=36)
        self.call("POST", f"{API}/{iid}/resolve")
        return iid

    def postmortem(self, iid: int) -> Json:
        out: Json = self.call("POST", f"{API}/{iid}/postmortem")
        return out

    def incident(self, iid: int) -> Json:
        out: Json = self.call("GET", f"{API}/{iid}")
        return out

    def items(self, iid: int) -> list[Json]:
        page = self.call("GET", "/api/v1/action-items", params={"incident": iid, "limit": 500})
        return list(page["items"])

    def finish_all(self, iid: int) -> None:
        for item in self.items(iid):
            if item["status"] not in ("done", "wont_do"):
                self.call("PATCH", f"/api/v1/action-items/{item['id']}", {"status": "done"})


@pytest.fixture
def desk(app_client: TestClient, people: Personas, clock: FakeClock) -> Desk:
    r = app_client.post("/api/v1/services", json={"name": "checkout"}, headers=people.admin.headers)
    assert r.status_code == 201, r.text
    return Desk(app_client, people, clock)


Call = Callable[..., Any]
