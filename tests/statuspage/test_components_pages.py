"""The components page (/statuspage/components): viewers see every component with its
status; admins add, edit, reorder, group, hide and delete them and set a status by hand,
through the forms, as a browser without JavaScript would."""

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.domain.components import ComponentStatus
from warroom.services.actions import do_create_service
from warroom.services.models import Service
from warroom.settings import Settings
from warroom.statuspage.component_actions import do_create_component, do_create_group
from warroom.statuspage.models import Component, ComponentGroup
from warroom.users.actions import do_create_token, do_create_user
from warroom.users.models import UserRole
from warroom.web.app import create_app

PAGE = "/statuspage/components"


@dataclass(frozen=True)
class Site:
    client: TestClient
    db: Database
    tokens: dict[str, str]

    def sign_in(self, handle: str) -> None:
        self.client.cookies.clear()
        r = self.client.post("/login", data={"token": self.tokens[handle]}, follow_redirects=False)
        assert r.status_code == 303, r.text

    def csrf(self) -> str:
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', self.client.get(PAGE).text)
        assert found
        return found.group(1)

    def post(self, path: str, **data: str) -> httpx.Response:
        return self.client.post(path, data={"csrf": self.csrf(), **data}, follow_redirects=False)

    def component(self, name: str) -> Component:
        with self.db.read() as s:
            found = s.scalar(select(Component).where(Component.name == name))
            assert found is not None
            return found

    def order(self) -> list[str]:
        page = self.client.get(PAGE).text
        return [html.unescape(n) for n in re.findall(r'data-component="([^"]+)"', page)]


@pytest.fixture
def site(sqlite_db: Database, clock: FakeClock) -> Iterator[Site]:
    tokens = {}
    with sqlite_db.write() as s:
        for handle, role in (
            ("ada", UserRole.ADMIN),
            ("rita", UserRole.RESPONDER),
            ("vic", UserRole.VIEWER),
        ):
            user = do_create_user(s, handle=handle, name=handle.title(), role=role, now=clock.now())
            tokens[handle] = do_create_token(s, user=user, now=clock.now()).secret
        do_create_group(s, name="Payments", now=clock.now())
        do_create_component(s, name="Checkout", group="Payments", now=clock.now())
        do_create_component(s, name="Refunds", group="Payments", now=clock.now())
        do_create_component(
            s,
            name="Back office",
            public=False,
            manual_status=ComponentStatus.PARTIAL_OUTAGE,
            now=clock.now(),
        )
        do_create_service(s, name="checkout-api", component="Checkout", now=clock.now())
    settings = Settings(database_url=sqlite_db.url, base_url="http://warroom.test")
    with TestClient(create_app(settings, db=sqlite_db, clock=clock)) as client:
        yield Site(client, sqlite_db, tokens)


def _flash(page: str, kind: str) -> str:
    found = re.search(rf'class="flash flash-{kind}"[^>]*>(.*?)</p>', page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))) if found else ""


def test_it_shows_viewers_every_component_with_status_and_no_forms(site: Site) -> None:
    site.sign_in("vic")
    r = site.client.get(PAGE)
    assert r.status_code == 200
    page = r.text
    assert site.order() == ["Checkout", "Refunds", "Back office"]
    assert 'data-group="Payments"' in page
    assert "partial outage" in page
    assert "internal" in page
    assert "checkout-api" in page
    assert '<form method="post" action="/statuspage' not in page
    assert "only admins change them" in page
    # One nav link leads here from every page.
    assert 'href="/statuspage/components" aria-current="page">Status page</a>' in page
    assert 'href="/statuspage/components">Status page</a>' in site.client.get("/incidents").text


def test_it_sends_a_signed_out_visitor_to_sign_in(site: Site) -> None:
    r = site.client.get(PAGE, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login")


def test_it_lets_an_admin_add_a_component_and_set_its_status_by_hand(site: Site) -> None:
    site.sign_in("ada")
    r = site.post(
        PAGE,
        name="Search",
        description="Finding products",
        group="",
        manual_status="operational",
        public="1",
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"{PAGE}?ok=created#add"
    assert "Component added." in site.client.get(r.headers["location"]).text
    search = site.component("Search")
    assert search.public is True
    r = site.post(f"{PAGE}/{search.id}/status", manual_status="major_outage")
    assert r.status_code == 303, r.text
    assert site.component("Search").status is ComponentStatus.MAJOR_OUTAGE


def test_it_lets_an_admin_edit_hide_regroup_and_delete_a_component(site: Site) -> None:
    site.sign_in("ada")
    refunds = site.component("Refunds")
    r = site.post(
        f"{PAGE}/{refunds.id}/edit",
        name="Refunds API",
        description="Money back",
        group="",
        position="0",
    )  # no "public" box ticked: internal
    assert r.status_code == 303, r.text
    edited = site.component("Refunds API")
    assert (edited.public, edited.group_id, edited.description) == (False, None, "Money back")
    r = site.post(f"{PAGE}/{edited.id}/delete")
    assert r.status_code == 303
    assert "Refunds API" not in site.order()


def test_it_reorders_components_within_their_group(site: Site) -> None:
    site.sign_in("ada")
    refunds = site.component("Refunds")
    assert site.post(f"{PAGE}/{refunds.id}/move", direction="up").status_code == 303
    assert site.order()[:2] == ["Refunds", "Checkout"]
    assert site.post(f"{PAGE}/{refunds.id}/move", direction="down").status_code == 303
    assert site.order()[:2] == ["Checkout", "Refunds"]
    r = site.post(f"{PAGE}/{refunds.id}/move", direction="sideways")
    assert r.status_code == 422
    assert "up or down" in _flash(r.text, "error")


def test_it_manages_groups_from_the_page(site: Site) -> None:
    site.sign_in("ada")
    assert site.post(f"{PAGE}/groups", name="Platform", description="").status_code == 303
    back_office = site.component("Back office")
    r = site.post(f"{PAGE}/{back_office.id}/edit", name="Back office", group="Platform", public="1")
    assert r.status_code == 303, r.text
    page = site.client.get(PAGE).text
    assert 'data-group="Platform"' in page
    with site.db.read() as s:
        payments = s.scalar(select(ComponentGroup).where(ComponentGroup.name == "Payments"))
        assert payments is not None
    assert site.post(f"{PAGE}/groups/{payments.id}/delete").status_code == 303
    assert 'data-group="Payments"' not in site.client.get(PAGE).text
    assert site.component("Checkout").group_id is None


def test_it_shows_a_refused_form_again_with_the_reason_and_what_was_typed(
    site: Site,
) -> None:
    site.sign_in("ada")
    r = site.post(PAGE, name="Checkout", description="typed this", manual_status="operational")
    assert r.status_code == 409
    assert "a component named 'Checkout' already exists" in _flash(r.text, "error")
    assert 'value="typed this"' in r.text
    r = site.post(PAGE, name="Other", manual_status="on fire")
    assert r.status_code == 422
    assert "not a component status" in _flash(r.text, "error")
    r = site.post(PAGE, name="   ")
    assert r.status_code == 422
    assert site.order() == ["Checkout", "Refunds", "Back office"]


def test_it_refuses_component_forms_from_responders_and_viewers(site: Site) -> None:
    checkout = site.component("Checkout")
    for handle in ("rita", "vic"):
        site.sign_in(handle)
        for path, data in (
            (PAGE, {"name": "Sneaky"}),
            (f"{PAGE}/{checkout.id}/status", {"manual_status": "major_outage"}),
            (f"{PAGE}/{checkout.id}/delete", {}),
            (f"{PAGE}/groups", {"name": "G"}),
        ):
            r = site.post(path, **data)
            assert r.status_code == 403, (handle, path)
    assert site.component("Checkout").status is ComponentStatus.OPERATIONAL
    site.sign_in("ada")
    assert "Sneaky" not in site.order()


def test_it_shows_the_component_on_the_service_pages(site: Site) -> None:
    site.sign_in("vic")
    listing = site.client.get("/services").text
    assert "Checkout" in listing
    assert "operational" in listing
    page = site.client.get("/services/checkout-api").text
    assert "Checkout" in page


def test_it_lets_an_admin_set_a_services_component_from_the_service_page(site: Site) -> None:
    site.sign_in("ada")
    page = site.client.get("/services/checkout-api").text
    assert 'action="/services/' in page
    assert '<option value="Back office">' in page
    with site.db.read() as s:
        service_id = s.scalar(select(Service.id).where(Service.name == "checkout-api"))
    r = site.post(f"/services/{service_id}/component", component="Storefront")
    assert r.status_code == 303, r.text
    assert site.component("Storefront").public is True
    assert "checkout-api" in site.client.get(PAGE).text.split('data-component="Storefront"')[1]
    r = site.post(f"/services/{service_id}/component", component="")
    assert r.status_code == 303
    page = site.client.get(f"/services/{service_id}").text
    assert "no status-page component" in page
    site.sign_in("rita")
    assert site.post(f"/services/{service_id}/component", component="X").status_code == 403
