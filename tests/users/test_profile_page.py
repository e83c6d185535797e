"""The profile page, `/users/<handle>`: a person manages how they are paged from the
browser; others see it redacted and without forms."""

import html
import re

import httpx
from fastapi.testclient import TestClient

from tests.conftest import Personas
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.users.contact_actions import do_add_contact_method
from warroom.users.delivery import note_failure
from warroom.users.repository import get_user


def sign_in(client: TestClient, token: str) -> None:
    client.cookies.clear()
    r = client.post("/login", data={"token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text


def post(client: TestClient, path: str, **data: str) -> httpx.Response:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/incidents").text)
    assert found
    return client.post(path, data={"csrf": found.group(1), **data}, follow_redirects=False)


def test_it_lets_a_person_add_a_method_set_rules_and_waking_hours(
    app_client: TestClient, people: Personas
) -> None:
    sign_in(app_client, people.responder.token)
    assert 'href="/users/rita"' in app_client.get("/incidents").text  # "Profile" in the nav
    r = post(
        app_client,
        "/users/rita/contact-methods",
        url="json://hooks.example.com/rita?token=s3cret",
        label="pager",
        delay_minutes="0",
    )
    assert r.status_code == 303, r.text
    page = app_client.get("/users/rita").text
    assert "pager" in page
    assert "not verified" in page
    assert "s3cret" not in page
    method_id = re.search(r'data-method-id="(\d+)"', page)
    assert method_id
    r = post(
        app_client,
        "/users/rita/notification-rules",
        rule_method=method_id.group(1),
        rule_delay="2.5",
    )
    assert r.status_code == 303
    assert "after <strong>2.5 min</strong>" in app_client.get("/users/rita").text
    r = post(
        app_client,
        "/users/rita/profile",
        time_zone="Europe/Berlin",
        waking_start="08:00",
        waking_end="22:00",
    )
    assert r.status_code == 303
    assert "08:00\u201322:00" in app_client.get("/users/rita").text
    r = post(app_client, "/users/rita/profile", time_zone="Europe/Berlin", waking_start="08:00")
    assert r.status_code == 422
    assert "both a start and an end" in html.unescape(r.text)


def test_it_shows_a_failing_method_and_hides_forms_from_others(
    app_client: TestClient, people: Personas, db: Database, clock: FakeClock
) -> None:
    with db.write() as session:
        ada = get_user(session, "ada")
        method = do_add_contact_method(
            session, user=ada, url="slack://T1/B2/secret-token", now=clock.now()
        )
        note_failure(session, method_id=method.id, error="channel_not_found", now=clock.now())
    sign_in(app_client, people.responder.token)
    page = app_client.get("/users/ada").text
    assert "channel_not_found" in page
    assert "secret-token" not in page
    assert "Send test page" not in page
    r = post(app_client, f"/users/ada/contact-methods/{method.id}/delete")
    assert r.status_code == 403
    assert "@ada" in html.unescape(r.text)
