"""The browser's report page, its entry points, and what pages show after moderation."""

import re

import pytest
from django.test import Client

from accounts.selectors import has_blocked
from moderation import services
from moderation.models import Report
from tests.conftest import PASSWORD
from tests.moderation.conftest import known_to


def browser_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_browser(alice):
    return browser_for(alice)


def test_the_report_page_names_the_message_and_offers_to_block(alice_browser, message):
    response = alice_browser.get(f"/report/?kind=message&id={message.id}")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Report message from Bob" in page
    assert "buy cheap watches" in page
    assert "Illegal content" in page
    assert "Also block Bob" in page


def test_reporting_from_the_page_creates_the_report_and_returns_to_the_chat(
    alice_browser, alice, bob, message
):
    response = alice_browser.post(
        "/report/",
        {"kind": "message", "id": message.id, "reason": "spam", "note": "scam", "block": "on"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/chats/{bob.id}/"
    report = Report.objects.get()
    assert (report.kind, report.target_id, report.reason, report.note) == (
        "message",
        message.id,
        "spam",
        "scam",
    )
    assert has_blocked(alice.id, bob.id)
    page = alice_browser.get(response["Location"]).content.decode()
    assert "Report sent." in page


def test_a_group_report_has_no_block_option(client, carol, group):
    client.force_login(carol)

    page = client.get(f"/report/?kind=group&id={group.id}").content.decode()

    assert "Report group Trip" in page
    assert "Also block" not in page
    assert "last five messages" in page


def test_what_i_cannot_see_cannot_be_reported_from_the_page(client, mallory, message, group):
    client.force_login(mallory)

    assert client.get(f"/report/?kind=message&id={message.id}").status_code == 404
    assert client.get(f"/report/?kind=group&id={group.id}").status_code == 404
    assert client.get("/report/?kind=nonsense&id=1").status_code == 404
    assert client.post("/report/", {"kind": "message", "id": message.id}).status_code == 404


def test_a_reason_is_required(alice_browser, message):
    response = alice_browser.post("/report/", {"kind": "message", "id": message.id})

    assert response.status_code == 400
    assert not Report.objects.exists()


def test_the_page_is_rate_limited_like_the_api(alice_browser, alice, make_user, settings):
    settings.REPORTS_PER_HOUR = 1
    first, second = known_to(alice, make_user()), known_to(alice, make_user())
    alice_browser.post("/report/", {"kind": "user", "id": first.id, "reason": "spam"})

    response = alice_browser.post("/report/", {"kind": "user", "id": second.id, "reason": "spam"})

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "too many reports" in response.content.decode()
    assert Report.objects.count() == 1


def test_the_report_page_needs_a_login(client, message):
    response = client.get(f"/report/?kind=message&id={message.id}")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_incoming_messages_have_a_report_entry_and_my_own_do_not(
    alice_browser, client, alice, bob, message
):
    from chats import services as chat_services

    reply = chat_services.send_message(alice, receiver=bob, content="no thanks")

    page = alice_browser.get(f"/chats/{bob.id}/").content.decode()

    assert f"/report/?kind=message&amp;id={message.id}" in page
    assert f"/report/?kind=message&amp;id={reply.id}" not in page
    assert f'href="/report/?kind=user&amp;id={bob.id}" aria-label="Report Bob"' in page


def test_group_pages_offer_to_report_the_group_and_others_messages(
    client, alice, bob, group, group_message
):
    client.force_login(alice)

    page = client.get(f"/groups/{group.id}/").content.decode()

    assert f"/report/?kind=group_message&amp;id={group_message.id}" in page
    assert f"/report/?kind=group&amp;id={group.id}" in page
    assert "Report group" in page


def test_the_contacts_page_offers_to_report_a_contact(alice_browser, bob, friends):
    page = alice_browser.get("/contacts/").content.decode()

    assert re.search(
        rf'href="/report/\?kind=user&amp;id={bob.id}[^"]*" aria-label="Report Bob"', page
    )


def test_a_removed_message_shows_as_removed_in_the_chat_and_the_list(
    alice_browser, bob, message, superuser
):
    services.remove_content(superuser, target=message, reason="spam")

    page = alice_browser.get(f"/chats/{bob.id}/").content.decode()

    assert "buy cheap watches" not in page
    assert page.count(">This message was removed<") == 2  # the bubble and the chat list preview
    assert f"/report/?kind=message&amp;id={message.id}" not in page


def test_a_removed_group_message_shows_as_removed(client, alice, group, group_message, superuser):
    services.remove_content(superuser, target=group_message, reason="abuse")
    client.force_login(alice)

    page = client.get(f"/groups/{group.id}/").content.decode()

    assert "you are all idiots" not in page
    assert "This message was removed" in page


def test_the_login_page_says_the_account_is_suspended(client, bob, superuser):
    services.suspend_user(superuser, user=bob, reason="spam")

    response = client.post("/login/", {"phone_number": bob.phone_number, "password": PASSWORD})

    assert "This account has been suspended." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_suspended_users_session_ends(bob, superuser):
    browser = browser_for(bob)

    services.suspend_user(superuser, user=bob, reason="spam")

    response = browser.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
