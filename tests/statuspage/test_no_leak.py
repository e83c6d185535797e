"""Property: nothing marked internal ever reaches /api/v2. Random mixes of public and
internal components, private, public and made-private-again incidents, public and internal
updates, notes, descriptions and commanders are written with unique marker strings in
every internal field; then every endpoint's bytes are searched for those markers."""

import itertools
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.statuspage.conftest import StatusData
from tests.statuspage.statuspage_client import ENDPOINTS, StatuspageClient
from warroom.domain.comms import UpdateKind, UpdateStatus
from warroom.domain.severity import Severity
from warroom.incidents.actions import do_add_note, do_set_public

INTERNAL = "SECRETMARK"
_serial = itertools.count()


def _mark(kind: str) -> str:
    return f"{INTERNAL}{kind}{next(_serial)}x"


_update = st.tuples(
    st.booleans(),  # public
    st.sampled_from([None, UpdateStatus.IDENTIFIED, UpdateStatus.MONITORING]),
    st.booleans(),  # pins an internal component
)
_incident = st.fixed_dictionaries(
    {
        "visibility": st.sampled_from(["private", "public", "via_update", "made_private"]),
        "severity": st.sampled_from(list(Severity)),
        "show_responders": st.booleans(),
        "updates": st.lists(_update, max_size=3),
        "note": st.booleans(),
        "resolve": st.booleans(),
    }
)


def _build(data: StatusData, spec: dict[str, Any], n: int) -> None:
    tag = next(_serial)
    public_component = f"Public component {tag}"
    internal_component = _mark("component")
    data.component(public_component, description=f"shown {tag}")
    data.component(internal_component, public=False, description=_mark("cdesc"))
    service = _mark("service")
    data.service(service)
    shown = spec["show_responders"]
    commander = f"Shown person {tag}" if shown else _mark("person")
    handle = f"u{tag}"
    data.user(handle, commander)
    hidden = spec["visibility"] in ("private", "made_private")
    incident = data.incident(
        title=_mark("title"),
        description=_mark("description"),
        service=service,
        severity=spec["severity"],
        commander=handle,
        public_title=(
            (_mark("hiddentitle") if hidden else f"Public title {tag}")
            if spec["visibility"] in ("public", "made_private")
            else None
        ),
        components={public_component: "degraded_performance"},
        show_responders=shown,
    )
    for public, status, pin_internal in spec["updates"]:
        goes_public = public and not hidden
        body = f"Public body {tag}" if goes_public else _mark("body")
        pins = {internal_component: "major_outage"} if pin_internal else None
        data.update(
            incident,
            body=body,
            public=goes_public,
            status=status,
            components=pins,
            public_title=f"Public title {tag}" if goes_public else None,
        )
    if spec["visibility"] == "via_update":
        data.update(
            incident,
            body=f"Public body {tag}",
            public=True,
            kind=UpdateKind.UPDATE,
            public_title=f"Public title {tag}",
        )
    if spec["note"]:
        with data.db.write() as s:
            do_add_note(s, incident_id=incident, text=_mark("note"), actor="test", now=data.now())
    if spec["visibility"] == "made_private":
        with data.db.write() as s:
            do_set_public(s, incident_id=incident, actor="test", now=data.now(), public=False)
    if spec["resolve"]:
        data.resolve(incident)
    data.clock.advance(minutes=n + 1)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(incidents=st.lists(_incident, min_size=1, max_size=3))
def test_nothing_internal_ever_appears_in_any_v2_response(
    status_data: StatusData, app_client: TestClient, incidents: list[dict[str, Any]]
) -> None:
    for n, spec in enumerate(incidents):
        _build(status_data, spec, n)
    status_data.maintenance(name=f"Window {next(_serial)}", body="Planned.", components=[])
    for path in ENDPOINTS:
        r = app_client.get(f"/api/v2/{path}")
        assert r.status_code == 200
        assert INTERNAL.encode() not in r.content, (path, r.text)
    # And what did go public reads as Statuspage's shapes.
    client = StatuspageClient(app_client)
    summary = client.summary()
    assert all(not c.name.startswith(INTERNAL) for c in summary.components)
