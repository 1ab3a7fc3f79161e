"""Trust and safety end to end in Chromium: a user reports a message from its menu, staff act
in the admin, and the people involved see the effect live in their open pages."""

import re

import pytest
from playwright.sync_api import expect

from accounts import services as account_services
from chats import services as chat_services
from moderation.models import Report
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from whatsapp import realtime

pytestmark = pytest.mark.browser

SOCKET_OPEN = "() => window.AppSocket && window.AppSocket.isOpen()"


@pytest.fixture(autouse=True)
def _no_pushes_from_the_test_process(monkeypatch):
    """Data made here through services would push on this process's in-memory channel layer,
    which reaches no live server, from a thread where Playwright's loop counts as running."""
    monkeypatch.setattr(realtime, "_send", lambda *args: None)


@pytest.fixture
def staff(make_user):
    user = make_user("Root", "+14155550900")
    user.is_staff = True
    user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


@pytest.fixture
def spam(alice, bob):
    account_services.add_contact(alice, contact_user=bob)
    account_services.add_contact(bob, contact_user=alice)
    return chat_services.send_message(bob, receiver=alice, content="buy cheap watches")


def open_chat(page, base_url, user, peer):
    login(page, base_url, user.phone_number, PASSWORD)
    page.goto(f"{base_url}/chats/{peer.id}/")
    page.wait_for_function(SOCKET_OPEN)


def test_a_reported_message_removed_by_staff_disappears_from_open_chats(
    live_server_url, new_page, alice, bob, staff, spam
):
    bob_page = new_page()
    open_chat(bob_page, live_server_url, bob, alice)
    alice_page = new_page()
    open_chat(alice_page, live_server_url, alice, bob)

    # Alice reports Bob's message from its menu.
    row = alice_page.locator(f'.message-row[data-message-id="{spam.id}"]')
    row.locator("summary", has_text="Message options").click()
    row.get_by_role("link", name="Report").click()
    expect(alice_page.get_by_role("heading", name="Report message from Bob")).to_be_visible()
    alice_page.get_by_label("Spam").check()
    alice_page.get_by_label("Details (optional)").fill("Selling fakes")
    alice_page.get_by_role("button", name="Report").click()
    expect(alice_page).to_have_url(re.compile(rf"/chats/{bob.id}/$"))
    expect(alice_page.get_by_role("status", name="Notifications")).to_contain_text("Report sent.")
    alice_page.wait_for_function(SOCKET_OPEN)
    report = Report.objects.get()
    assert (report.message_id, report.reason, report.note) == (spam.id, "spam", "Selling fakes")

    # Staff find it at the top of the queue and remove it, giving a reason.
    staff_page = new_page()
    login(staff_page, live_server_url, staff.phone_number, PASSWORD)
    staff_page.goto(f"{live_server_url}/admin/moderation/report/")
    staff_page.get_by_role("link", name=str(report.id), exact=True).click()
    expect(staff_page.locator("body")).to_contain_text("buy cheap watches")
    staff_page.get_by_role("link", name="Remove content").click()
    staff_page.get_by_label("Reason").fill("Spam campaign")
    staff_page.get_by_role("button", name="Remove for everyone").click()
    expect(staff_page.locator(".messagelist")).to_contain_text("Removed the content of 1 report")

    # Both open chats show the tombstone without reloading.
    for page in (bob_page, alice_page):
        bubble = page.locator(f'.message-row[data-message-id="{spam.id}"] .bubble')
        expect(bubble).to_contain_text("This message was removed")
        expect(bubble).not_to_contain_text("buy cheap watches")
    expect(
        bob_page.get_by_role("list", name="Chats").get_by_role("listitem").first
    ).to_contain_text("This message was removed")


def test_a_suspended_user_is_thrown_out_live_and_told_why_at_log_in(
    live_server_url, new_page, alice, bob, staff, spam
):
    bob_page = new_page()
    open_chat(bob_page, live_server_url, bob, alice)
    staff_page = new_page()
    login(staff_page, live_server_url, staff.phone_number, PASSWORD)
    report = Report.objects.create(
        reporter=alice, kind="user", target_id=bob.id, reported_user=bob, reason="abuse"
    )

    staff_page.goto(f"{live_server_url}/admin/moderation/report/{report.id}/change/")
    staff_page.get_by_role("link", name="Suspend user").click()
    staff_page.get_by_label("Reason").fill("Harassment")
    staff_page.get_by_role("button", name="Suspend").click()

    expect(bob_page).to_have_url(re.compile(r"/login/"))
    bob_page.get_by_label("Phone number").fill(bob.phone_number)
    bob_page.get_by_label("Password", exact=True).fill(PASSWORD)
    bob_page.get_by_role("button", name="Log in").click()
    expect(bob_page.get_by_role("alert")).to_contain_text("This account has been suspended.")


def test_a_message_that_arrived_live_can_be_reported_from_its_menu(
    live_server_url, new_page, alice, bob, spam
):
    alice_page = new_page()
    open_chat(alice_page, live_server_url, alice, bob)
    bob_page = new_page()
    open_chat(bob_page, live_server_url, bob, alice)

    bob_page.get_by_label("Type a message").fill("click this link")
    bob_page.get_by_role("button", name="Send").click()
    log = alice_page.get_by_role("log", name="Messages")
    expect(log).to_contain_text("click this link")
    row = log.locator(".message-row", has_text="click this link")
    row.locator("summary", has_text="Message options").click()
    row.get_by_role("link", name="Report").click()

    expect(alice_page.get_by_role("heading", name="Report message from Bob")).to_be_visible()
    expect(alice_page.locator(".report-excerpt")).to_have_text("click this link")
    own = bob_page.locator(".message-row-out", has_text="click this link")
    own.locator("summary", has_text="Message options").click()
    expect(own.get_by_role("link", name="Forward")).to_be_visible()
    expect(own.get_by_role("link", name="Report")).to_have_count(0)
