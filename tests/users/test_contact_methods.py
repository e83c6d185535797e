"""Contact methods, notification rules and waking hours through the API: who may see
and change them, what is refused, how a test page verifies a method, and how the
0008 migration carries each user's old contact list over."""

import re
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.conftest import Personas
from tests.notify.test_apprise import Mailbox, Receiver, receiver, smtp
from warroom.clock import FakeClock
from warroom.db.migrate import alembic_config, upgrade
from warroom.db.session import Database, make_engine
from warroom.engine.handlers import default_handlers
from warroom.engine.runner import Engine
from warroom.settings import Settings
from warroom.users.contacts import verified_user_ids
from warroom.users.repository import get_user

__all__ = ["receiver", "smtp"]

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")

API = "/api/v1/users"


def run_engine(db: Database, clock: FakeClock, settings: Settings) -> None:
    engine = Engine(db, clock, settings, default_handlers(), name="t")
    while engine.run_once():
        pass


def add(client: TestClient, who: dict[str, str], handle: str, url: str, **more: object) -> int:
    r = client.post(f"{API}/{handle}/contact-methods", json={"url": url, **more}, headers=who)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def link_in(text_: str) -> str:
    found = re.search(r"http://warroom\.test(/verify/[A-Za-z0-9_\-.]+)", text_)
    assert found, text_
    return found.group(1)


def test_it_verifies_a_method_when_the_test_page_link_is_followed(
    app_client: TestClient,
    people: Personas,
    receiver: Receiver,
    db: Database,
    clock: FakeClock,
    settings: Settings,
) -> None:
    me = people.responder.headers
    method = add(app_client, me, "rita", receiver.url("/rita"))
    r = app_client.post(f"{API}/rita/contact-methods/{method}/test", headers=me)
    assert r.status_code == 202, r.text
    assert r.json()["verified"] is False
    run_engine(db, clock, settings)
    [(path, body)] = receiver.requests
    assert path == "/rita"
    assert body["title"] == "warroom test page"
    link = link_in(body["message"])

    page = app_client.get(link)  # no sign-in: from a phone
    assert page.status_code == 200
    assert "Confirm" in page.text
    assert (
        app_client.get(f"{API}/rita/contact-methods", headers=me).json()["items"][0]["verified"]
        is False
    )  # a link scanner's GET changes nothing
    done = app_client.post(link)
    assert done.status_code == 200
    assert "verified" in done.text
    [listed] = app_client.get(f"{API}/rita/contact-methods", headers=me).json()["items"]
    assert listed["verified"] is True
    with db.read() as session:
        rita = get_user(session, "rita")
        assert verified_user_ids(session, [rita.id, rita.id + 999]) == {rita.id}

    # A new address loses verification, and the old link no longer proves anything.
    r = app_client.patch(
        f"{API}/rita/contact-methods/{method}", json={"url": receiver.url("/new")}, headers=me
    )
    assert r.json()["verified"] is False
    assert app_client.post(link).status_code == 410
    assert app_client.post(link[:-3] + "abc").status_code == 403


def test_it_sends_a_test_page_by_email_to_a_real_smtp_server(
    app_client: TestClient,
    people: Personas,
    smtp: tuple[int, Mailbox],
    db: Database,
    clock: FakeClock,
    settings: Settings,
) -> None:
    port, mailbox = smtp
    url = f"mailto://127.0.0.1:{port}?from=warroom@example.com&to=rita@example.com&mode=insecure"
    method = add(app_client, people.responder.headers, "rita", url)
    app_client.post(f"{API}/rita/contact-methods/{method}/test", headers=people.admin.headers)
    run_engine(db, clock, settings)
    [envelope] = mailbox.messages
    assert envelope.rcpt_tos == ["rita@example.com"]
    email = message_from_bytes(envelope.content, policy=policy.default)
    plain = email.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    assert app_client.post(link_in(plain.get_content())).status_code == 200
    listed = app_client.get(f"{API}/rita/contact-methods", headers=people.admin.headers).json()
    assert listed["items"][0]["verified"] is True


def test_it_shows_contact_urls_only_to_their_owner_and_admins(
    app_client: TestClient, people: Personas
) -> None:
    secret = "json://hooks.example.com/page?token=s3cret"
    add(app_client, people.admin.headers, "ada", secret)
    as_other = app_client.get(f"{API}/ada/contact-methods", headers=people.responder.headers)
    assert as_other.status_code == 200
    [item] = as_other.json()["items"]
    assert item["url"] is None
    assert "s3cret" not in as_other.text
    assert item["kind"] == "webhook"
    own = app_client.get(f"{API}/ada/contact-methods", headers=people.admin.headers).json()
    assert own["items"][0]["url"] == secret


def test_it_lets_only_the_person_or_an_admin_change_how_they_are_paged(
    app_client: TestClient, people: Personas
) -> None:
    body = {"url": "mailto://x@example.com"}
    r = app_client.post(f"{API}/ada/contact-methods", json=body, headers=people.responder.headers)
    assert r.status_code == 403
    r = app_client.post(f"{API}/vic/contact-methods", json=body, headers=people.viewer.headers)
    assert r.status_code == 403
    r = app_client.patch(f"{API}/rita", json={"name": "X"}, headers=people.viewer.headers)
    assert r.status_code == 403
    assert add(app_client, people.admin.headers, "rita", "mailto://rita@example.com") > 0
    r = app_client.get(f"{API}/rita/contact-methods", headers=people.viewer.headers)
    assert [m["url"] for m in r.json()["items"]] == [None]


def test_it_refuses_bad_rules_and_methods_with_a_helpful_message(
    app_client: TestClient, people: Personas
) -> None:
    me = people.responder.headers
    method = add(app_client, me, "rita", "mailto://rita@example.com")
    r = app_client.put(
        f"{API}/rita/notification-rules", json=[{"contact_method": 9999}], headers=me
    )
    assert r.status_code == 422
    assert "no contact method 9999" in r.text
    r = app_client.put(
        f"{API}/rita/notification-rules",
        json=[{"contact_method": method, "delay_minutes": 5000}],
        headers=me,
    )
    assert r.status_code == 422
    r = app_client.post(f"{API}/rita/contact-methods", json={"url": "rita@example"}, headers=me)
    assert r.status_code == 422
    r = app_client.patch(
        f"{API}/rita", json={"waking_hours": {"start": "25:00", "end": "08:00"}}, headers=me
    )
    assert r.status_code == 422
    # Nothing changed: still one method paged at once.
    rules = app_client.get(f"{API}/rita/notification-rules", headers=me).json()
    assert [(i["contact_method"], i["delay_minutes"]) for i in rules["items"]] == [(method, 0)]


def test_it_keeps_rules_waking_hours_and_the_old_contacts_field(
    app_client: TestClient, people: Personas
) -> None:
    admin = people.admin.headers
    r = app_client.post(
        API,
        json={"handle": "sam", "name": "Sam", "contacts": ["mailto://sam@example.com"]},
        headers=admin,
    )
    assert r.json()["contacts"] == ["mailto://sam@example.com"]
    first = app_client.get(f"{API}/sam/contact-methods", headers=admin).json()["items"][0]["id"]
    second = add(app_client, admin, "sam", "json://hooks.example.com/sam", delay_minutes=None)
    r = app_client.put(
        f"{API}/sam/notification-rules",
        json=[
            {"contact_method": first, "delay_minutes": 0},
            {"contact_method": second, "delay_minutes": 3},
        ],
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert [(i["kind"], i["delay_minutes"]) for i in r.json()["items"]] == [
        ("email", 0),
        ("webhook", 3),
    ]
    r = app_client.patch(
        f"{API}/sam",
        json={"time_zone": "Europe/Berlin", "waking_hours": {"start": "08:00", "end": "22:00"}},
        headers=admin,
    )
    assert r.json()["waking_hours"] == {"start": "08:00", "end": "22:00"}
    r = app_client.patch(f"{API}/sam", json={"waking_hours": None}, headers=admin)
    assert r.json()["waking_hours"] is None
    assert r.json()["time_zone"] == "Europe/Berlin"
    assert (
        app_client.delete(f"{API}/sam/contact-methods/{second}", headers=admin).status_code == 204
    )
    rules = app_client.get(f"{API}/sam/notification-rules", headers=admin).json()["items"]
    assert [i["contact_method"] for i in rules] == [first]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'old.db'}"


def test_it_migrates_each_old_contact_into_a_method_paged_at_once(sqlite_url: str) -> None:
    upgrade(sqlite_url, "0007")
    engine = make_engine(sqlite_url)
    at = datetime(2025, 6, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (handle, name, time_zone, role, contacts, chat_ids, created_at)"
                " VALUES ('old', 'Old', 'UTC', 'responder', :c, '{}', :at)"
            ),
            {"c": '["mailto://old@example.com", "json://hooks.example.com/old"]', "at": at},
        )
    upgrade(sqlite_url)
    with engine.connect() as conn:
        methods = conn.execute(text("SELECT id, url FROM contact_methods ORDER BY id")).all()
        rules = conn.execute(
            text(
                "SELECT contact_method_id, delay_minutes FROM notification_rules ORDER BY position"
            )
        ).all()
    assert [m.url for m in methods] == ["mailto://old@example.com", "json://hooks.example.com/old"]
    assert [(r[0], r[1]) for r in rules] == [(methods[0].id, 0.0), (methods[1].id, 0.0)]
    command.downgrade(alembic_config(sqlite_url), "0007")
    with engine.connect() as conn:
        contacts = conn.execute(text("SELECT contacts FROM users")).scalar_one()
    assert "json://hooks.example.com/old" in contacts
    engine.dispose()
