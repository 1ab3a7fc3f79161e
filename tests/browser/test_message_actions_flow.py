"""Message actions in two browsers, live: B replies to A's message (opened from far back in
the history), A sees the quote and jumps to the original; A reacts, edits and deletes for
everyone, B sees each without reloading; B stars a message, finds it in "Starred messages"
and opens it in its chat. In a group: a reaction arrives live, and deleting for me takes the
message out of my history only."""

import re

import pytest
from playwright.sync_api import expect

from accounts import services as account_services
from chats.models import Message
from groups import services as group_services
from groups.models import GroupMessage
from tests.browser.conftest import bubble, open_as
from whatsapp import realtime

pytestmark = pytest.mark.browser

HIGHLIGHTED = re.compile(r"\bmessage-highlight\b")


@pytest.fixture(autouse=True)
def _no_pushes_from_the_test_process(monkeypatch):
    """Setup made here through services would push on this process's in-memory layer, which
    reaches no live server (tests/browser/conftest.py)."""
    monkeypatch.setattr(realtime, "_send", lambda *args: None)


def menu_item(row, name: str):
    """Open the row's "Message options" menu and return its item ``name``."""
    row.hover()
    row.locator(".message-menu-button").click()
    return row.get_by_role("button", name=name, exact=True)


def test_reply_react_edit_delete_and_star_live(live_server_url, new_page, alice, bob):
    account_services.add_contact(alice, contact_user=bob)
    account_services.add_contact(bob, contact_user=alice)
    original = Message.objects.create(
        sender=alice, receiver=bob, content="Are we still on for Friday?"
    )
    # More than one page of history after it: the original is not on either page at first.
    for i in range(60):
        Message.objects.create(sender=alice, receiver=bob, content=f"filler {i}")

    alice_page = open_as(new_page, live_server_url, alice, f"/chats/{bob.id}/")
    # B opens the original from its address, as Starred messages does: older pages load.
    bob_page = open_as(new_page, live_server_url, bob, f"/chats/{alice.id}/?message={original.id}")
    row_of_original = f'.message-row[data-message-id="{original.id}"]'
    quoted = bob_page.locator(row_of_original)
    expect(quoted).to_have_class(HIGHLIGHTED)

    # B replies to it: a banner quotes it above the composer, the send carries the quote.
    menu_item(quoted, "Reply").click()
    banner = bob_page.locator("#composer-banner")
    expect(banner).to_contain_text("Are we still on for Friday?")
    bob_page.get_by_label("Type a message").fill("Yes, 8pm")
    bob_page.get_by_label("Type a message").press("Enter")
    expect(banner).to_be_hidden()
    reply = Message.objects.filter(content="Yes, 8pm")
    expect(bubble(bob_page, "Yes, 8pm").locator(".bubble-quote")).to_contain_text("Alice")

    # A sees the quote live and clicks it: the original, far up, loads and is highlighted.
    alice_reply = bubble(alice_page, "Yes, 8pm")
    quote = alice_reply.get_by_role("button", name=re.compile("Are we still on for Friday"))
    expect(quote).to_contain_text("You")
    assert reply.get().reply_to_id == original.id
    expect(alice_page.locator(row_of_original)).to_have_count(0)
    quote.click()
    expect(alice_page.locator(row_of_original)).to_have_class(HIGHLIGHTED)

    # A reacts to the reply; B sees the reaction live and who reacted.
    menu_item(alice_reply, "React").click()
    alice_page.get_by_role("toolbar", name="Choose a reaction").get_by_role(
        "button", name="👍"
    ).click()
    bob_reply = bubble(bob_page, "Yes, 8pm")
    reactions = bob_reply.locator(".message-reactions")
    expect(reactions).to_contain_text("👍")
    expect(reactions.locator(".reaction-count")).to_have_text("1")
    reactions.click()
    who = bob_page.get_by_role("list", name="Reactions")
    expect(who).to_contain_text("Alice")
    expect(who).to_contain_text("👍")
    bob_page.locator("#reactions-dialog").get_by_role("button", name="Close").click()
    # Choosing it again takes it back.
    menu_item(alice_reply, "React").click()
    alice_page.get_by_role("toolbar", name="Choose a reaction").get_by_role(
        "button", name="👍"
    ).click()
    expect(reactions).to_have_count(0)

    # A sends, then edits: B sees the new text and "Edited".
    composer = alice_page.get_by_label("Type a message")
    composer.fill("See you at 7")
    composer.press("Enter")
    expect(bubble(bob_page, "See you at 7")).to_be_visible()
    mine = bubble(alice_page, "See you at 7")
    expect(mine.get_by_role("img", name=re.compile("Delivered|Read"))).to_be_visible()
    menu_item(mine, "Edit").click()
    expect(composer).to_have_value("See you at 7")
    composer.fill("See you at 8")
    composer.press("Enter")
    edited = bubble(bob_page, "See you at 8")
    expect(edited.locator(".bubble-edited")).to_have_text("Edited")
    expect(bubble(bob_page, "See you at 7")).to_have_count(0)
    expect(bubble(alice_page, "See you at 8").locator(".bubble-edited")).to_have_text("Edited")
    bob_inbox_row = bob_page.get_by_role("list", name="Chats").get_by_role("link", name="Alice")
    expect(bob_inbox_row).to_contain_text("See you at 8")

    # A deletes it for everyone: B sees the tombstone, A "You deleted this message".
    menu_item(bubble(alice_page, "See you at 8"), "Delete").click()
    alice_page.get_by_role("button", name="Delete for everyone").click()
    expect(bubble(bob_page, "This message was deleted")).to_be_visible()
    expect(bubble(bob_page, "See you at 8")).to_have_count(0)
    expect(bubble(alice_page, "You deleted this message")).to_be_visible()
    expect(bob_inbox_row).to_contain_text("This message was deleted")
    assert Message.objects.get(id=Message.objects.latest("id").id).content == ""

    # B stars the original, finds it in Starred messages and opens it in its chat.
    menu_item(quoted, "Star").click()
    expect(quoted.get_by_role("img", name="Starred")).to_be_visible()
    bob_page.get_by_role("link", name="Starred messages").click()
    starred = bob_page.get_by_role("list", name="Starred messages")
    expect(starred.get_by_role("listitem")).to_have_count(1)
    expect(starred).to_contain_text("Are we still on for Friday?")
    starred.get_by_role("link").click()
    expect(bob_page).to_have_url(f"{live_server_url}/chats/{alice.id}/?message={original.id}")
    opened = bob_page.locator(row_of_original)
    expect(opened).to_have_class(HIGHLIGHTED)
    expect(opened.get_by_role("img", name="Starred")).to_be_visible()


def test_group_reaction_live_and_delete_for_me(live_server_url, new_page, alice, bob, carol):
    for user, other in ((alice, bob), (bob, alice), (alice, carol)):
        account_services.add_contact(user, contact_user=other)
    group = group_services.create_group(alice, name="Trip", members=[bob, carol])
    group_services.send_group_message(carol, group=group, content="Pizza tonight?")

    alice_page = open_as(new_page, live_server_url, alice, f"/groups/{group.id}/")
    bob_page = open_as(new_page, live_server_url, bob, f"/groups/{group.id}/")

    # A reacts: B sees it live, with A's name in the list of who reacted.
    menu_item(bubble(alice_page, "Pizza tonight?"), "React").click()
    alice_page.get_by_role("toolbar", name="Choose a reaction").get_by_role(
        "button", name="😂"
    ).click()
    reactions = bubble(bob_page, "Pizza tonight?").locator(".message-reactions")
    expect(reactions).to_contain_text("😂")
    expect(bubble(alice_page, "Pizza tonight?").locator(".reaction-mine")).to_contain_text("😂")

    # B deletes it for himself: gone from his history (after a reload too), not from A's.
    menu_item(bubble(bob_page, "Pizza tonight?"), "Delete").click()
    expect(bob_page.get_by_role("button", name="Delete for everyone")).to_be_hidden()
    bob_page.get_by_role("button", name="Delete for me").click()
    expect(bubble(bob_page, "Pizza tonight?")).to_have_count(0)
    bob_page.reload()
    expect(bob_page.get_by_role("log", name="Messages")).to_be_visible()
    expect(bubble(bob_page, "Pizza tonight?")).to_have_count(0)
    expect(bubble(alice_page, "Pizza tonight?")).to_be_visible()
    assert GroupMessage.objects.filter(content="Pizza tonight?").exists()
