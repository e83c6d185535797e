"""The pure subscriber rules, by property: every address normalise_email accepts reaches
Apprise's mailto URL intact (the `to`, and the List-Unsubscribe headers), and nothing it
accepts can smuggle another recipient or header into that URL."""

import apprise
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.domain.subscribers import BadAddress, mask_email, normalise_email
from warroom.statuspage.deliveries import mail_url

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")

# Wider than what is accepted (quotes, braces, '!', '=', runs of '.' and '+'), so the
# boundary between refused and accepted is what gets tested.
local_part = st.text(alphabet="abXY09_-+.'!{=", min_size=1, max_size=20)
domain = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?\.[a-z]{2,8}\Z")
BASE = "mailto://127.0.0.1:1025?from=status@example.com&mode=insecure"
UNSUBSCRIBE = "http://warroom.test/status/unsubscribe/12.abc_DEF-ghi"


# The first instantiation loads Apprise's plugins: slow once, not a regression.
@settings(deadline=None)
@given(local_part, domain)
def test_every_accepted_address_reaches_apprise_intact(local: str, host: str) -> None:
    try:
        address = normalise_email(f"{local}@{host}")
    except BadAddress:
        return  # refused up front: never reaches a mail server
    server = apprise.Apprise.instantiate(mail_url(BASE, to=address, unsubscribe=UNSUBSCRIBE))
    assert server is not None
    assert [to for _, to in server.targets] == [address]
    assert server.headers["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert server.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@given(st.text(max_size=80))
def test_anything_accepted_has_one_at_and_no_url_or_header_syntax(text: str) -> None:
    try:
        address = normalise_email(text)
    except BadAddress:
        return
    assert address.count("@") == 1
    assert not set(address) & set(' \t\r\n,;<>?&/%#"\\')


@given(local_part, domain)
def test_a_masked_address_keeps_the_domain_and_hides_the_middle(local: str, host: str) -> None:
    shown = mask_email(f"{local}@{host}")
    assert shown.endswith(f"@{host}")
    assert "***" in shown
    if len(local) > 4:
        assert local not in shown.rpartition("@")[0]
