"""Three browsers: a group created in the browser, messages seen live by both other members,
ticks that turn blue once both read, "Message info", and a community announcement arriving live."""

import re

import pytest
from playwright.sync_api import expect

from accounts import services as account_services
from communities import services as community_services
from groups.models import Group
from tests.browser.conftest import SOCKET_OPEN, bubble, open_as

pytestmark = pytest.mark.browser


def test_group_chat_receipts_and_announcements_across_three_browsers(
    live_server_url, new_page, alice, bob, carol
):
    for friend in (bob, carol):
        account_services.add_contact(alice, contact_user=friend)
        account_services.add_contact(friend, contact_user=alice)

    # Alice creates the group in the browser, from her contacts.
    alice_page = open_as(new_page, live_server_url, alice, "/groups/new/")
    alice_page.get_by_label("Group name").fill("Trip")
    alice_page.get_by_role("checkbox", name="Bob").check()
    alice_page.get_by_role("checkbox", name="Carol").check()
    alice_page.get_by_role("button", name="Create group").click()
    expect(alice_page).to_have_url(re.compile(r"/groups/\d+/$"))
    group = Group.objects.get(name="Trip")
    alice_page.wait_for_function(SOCKET_OPEN)

    # Bob opens it from his chat list; Carol stays on her chat list.
    bob_page = open_as(new_page, live_server_url, bob, "/")
    bob_page.get_by_role("list", name="Chats").get_by_role("link", name="Trip").click()
    expect(bob_page).to_have_url(f"{live_server_url}/groups/{group.id}/")
    bob_page.wait_for_function(SOCKET_OPEN)
    carol_page = open_as(new_page, live_server_url, carol, "/")

    # A first message: Bob reads it live, Carol's list shows it; the ticks stay grey.
    alice_page.get_by_label("Type a message").fill("Hello team")
    alice_page.get_by_role("button", name="Send").click()
    expect(bubble(bob_page, "Hello team")).to_contain_text("Alice")
    carol_row = carol_page.get_by_role("list", name="Chats").get_by_role("link", name="Trip")
    expect(carol_row).to_contain_text("Hello team")
    first_tick = bubble(alice_page, "Hello team").locator(".tick")
    expect(first_tick).to_have_class(re.compile(r"\btick-delivered\b"))
    alice_page.wait_for_timeout(500)
    expect(first_tick).not_to_have_class(re.compile(r"\btick-read\b"))

    # Carol opens the group: now both have read it, and Alice's ticks turn blue live.
    carol_row.click()
    expect(bubble(carol_page, "Hello team")).to_be_visible()
    carol_page.wait_for_function(SOCKET_OPEN)
    expect(first_tick).to_have_class(re.compile(r"\btick-read\b"))

    # A second message is seen live by both, and read by both at once.
    alice_page.get_by_label("Type a message").fill("See you at 8")
    alice_page.get_by_label("Type a message").press("Enter")
    expect(bubble(bob_page, "See you at 8")).to_be_visible()
    expect(bubble(carol_page, "See you at 8")).to_be_visible()
    expect(bubble(alice_page, "See you at 8").locator(".tick")).to_have_class(
        re.compile(r"\btick-read\b")
    )

    # Message info lists who read it.
    first = bubble(alice_page, "Hello team")
    first.hover()
    first.locator("summary", has_text="Message options").click()
    first.get_by_role("link", name="Message info").click()
    read_by = alice_page.get_by_role("list", name="Read by")
    expect(read_by).to_contain_text("Bob")
    expect(read_by).to_contain_text("Carol")

    # A community with the group: Alice's announcement reaches Bob's open page live.
    community = community_services.create_community(alice, name="Travellers")
    community_services.add_community_group(alice, community=community, group=group)
    bob_page.get_by_role("link", name="Communities").click()
    bob_page.get_by_role("list", name="Communities").get_by_role("link", name="Travellers").click()
    bob_page.wait_for_function(SOCKET_OPEN)
    alice_page.goto(f"{live_server_url}/communities/{community.id}/")
    alice_page.get_by_label("Type an announcement").fill("Passports ready?")
    alice_page.get_by_role("button", name="Post").click()
    expect(bob_page.get_by_role("log", name="Announcements")).to_contain_text("Passports ready?")
    expect(bob_page.get_by_label("Type an announcement")).to_have_count(0)
