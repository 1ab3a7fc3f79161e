"""Two browsers chat live: A sends, B sees it without reloading, B opens the chat, A's ticks
turn blue, B sees "typing..." while A types, and B's reply arrives live on A's side."""

import re

import pytest
from playwright.sync_api import expect

from accounts import services as account_services
from chats.models import Message
from tests.browser.conftest import SOCKET_OPEN, bubble, open_as

pytestmark = pytest.mark.browser


def test_two_people_chat_live(live_server_url, new_page, alice, bob):
    account_services.add_contact(alice, contact_user=bob)
    account_services.add_contact(bob, contact_user=alice)

    # A opens the chat with B; B waits on the chat list, where A has no row yet.
    alice_page = open_as(new_page, live_server_url, alice, f"/chats/{bob.id}/")
    bob_page = open_as(new_page, live_server_url, bob, "/")
    bob_chats = bob_page.get_by_role("list", name="Chats")
    expect(bob_chats.get_by_role("link", name="Alice")).to_have_count(0)
    expect(alice_page.locator("#conversation-status")).to_have_text("online")

    # A types and sends: B's list shows it live, with an unread badge; A's ticks say delivered.
    composer = alice_page.get_by_label("Type a message")
    composer.press_sequentially("Hello Bob")
    alice_page.get_by_role("button", name="Send").click()
    expect(composer).to_have_value("")
    alice_row = bob_chats.get_by_role("link", name="Alice")
    expect(alice_row).to_contain_text("Hello Bob")
    expect(alice_row.locator(".unread-badge")).to_contain_text("1")
    sent = bubble(alice_page, "Hello Bob")
    expect(sent.get_by_role("img", name="Delivered")).to_be_visible()
    message = Message.objects.get(content="Hello Bob")
    assert message.delivered_at is not None and message.read_at is None

    # B opens the chat: the message is there, and A's ticks turn blue without a reload.
    alice_row.click()
    expect(bob_page).to_have_url(f"{live_server_url}/chats/{alice.id}/")
    expect(bubble(bob_page, "Hello Bob")).to_be_visible()
    bob_page.wait_for_function(SOCKET_OPEN)
    read_tick = sent.get_by_role("img", name="Read")
    expect(read_tick).to_be_visible()
    expect(read_tick).to_have_class(re.compile(r"\btick-read\b"))
    expect(bob_page.locator("#conversation-status")).to_have_text("online")

    # A types again: B's header says "typing..." while A types.
    composer.press_sequentially("Are you th")
    expect(bob_page.locator("#conversation-status")).to_have_text("typing...")

    # B replies with Enter: it reaches A live and A, looking at the chat, reads it at once.
    bob_page.get_by_label("Type a message").fill("Hi Alice!")
    bob_page.get_by_label("Type a message").press("Enter")
    expect(bubble(alice_page, "Hi Alice!")).to_be_visible()
    expect(bubble(bob_page, "Hi Alice!").get_by_role("img", name="Read")).to_be_visible()
    expect(alice_page.locator("#conversation-status")).to_have_text("online")

    # Nothing was sent twice, and A's draft is still in the composer.
    assert Message.objects.count() == 2
    expect(composer).to_have_value("Are you th")


def wait_until_delivered(page, messages) -> None:
    for _ in range(100):
        if not messages.filter(delivered_at__isnull=True).exists():
            return
        page.wait_for_timeout(100)
    raise AssertionError("the messages were never delivered")


def test_older_history_loads_when_scrolling_up(live_server_url, new_page, alice, bob):
    messages = Message.objects.filter(receiver=alice)
    for i in range(70):
        Message.objects.create(sender=bob, receiver=alice, content=f"old message {i}")
    page = open_as(new_page, live_server_url, alice, "/")
    wait_until_delivered(page, messages)
    # Twenty older ones still to deliver, as after another device's session: the chat's socket
    # pushes them on connect, and they must wait for the scroll, not land below the newest.
    Message.objects.filter(id__in=messages.order_by("id").values("id")[:20]).update(
        delivered_at=None
    )

    page.goto(f"{live_server_url}/chats/{bob.id}/")
    page.wait_for_function(SOCKET_OPEN)
    log = page.get_by_role("log", name="Messages")
    wait_until_delivered(page, messages)
    page.wait_for_timeout(200)  # the pushed frames reach the page right after they are sent
    expect(log.locator(".message-row")).to_have_count(50)
    expect(log.locator(".message-row").last).to_contain_text("old message 69")

    log.evaluate("node => { node.scrollTop = 0; node.dispatchEvent(new Event('scroll')); }")

    expect(log.locator(".message-row")).to_have_count(70)
    expect(log.locator(".message-row").first).to_contain_text("old message 0")
    expect(bubble(page, "old message 0")).to_have_count(1)


def test_forwarding_from_the_message_menu(live_server_url, new_page, alice, bob, carol):
    account_services.add_contact(alice, contact_user=carol)
    Message.objects.create(sender=bob, receiver=alice, content="Pass this on")

    page = open_as(new_page, live_server_url, alice, f"/chats/{bob.id}/")
    row = bubble(page, "Pass this on")
    row.hover()
    row.locator("summary").click()
    row.get_by_role("link", name="Forward").click()
    dialog = page.get_by_role("dialog", name="Forward message to")
    dialog.get_by_role("checkbox", name="Carol").check()
    dialog.get_by_role("button", name="Forward").click()

    expect(dialog).to_be_hidden()
    expect(
        page.get_by_role("list", name="Chats").get_by_role("link", name="Carol")
    ).to_contain_text("Pass this on")
    copy = Message.objects.get(receiver=carol)
    assert copy.forwarded_from.content == "Pass this on"
    carol_page = open_as(new_page, live_server_url, carol, f"/chats/{alice.id}/")
    expect(bubble(carol_page, "Pass this on")).to_contain_text("Forwarded")
