"""A call in two browsers with fake camera and microphone: ring, accept, connect, hang up, log."""

import re

import pytest
from playwright.sync_api import expect

from accounts import services as account_services
from tests.browser.conftest import open_as

pytestmark = pytest.mark.browser

CONNECTED = (
    "() => !!(window.__call && window.__call.pc"
    " && window.__call.pc.connectionState === 'connected')"
)
NO_CALL = "() => window.__call === null"


def test_video_call_connects_both_browsers_and_lands_in_both_logs(
    live_server_url, new_page, alice, bob
):
    account_services.add_contact(alice, contact_user=bob)
    account_services.add_contact(bob, contact_user=alice)
    bob_page = open_as(new_page, live_server_url, bob, "/calls/")
    alice_page = open_as(new_page, live_server_url, alice, f"/chats/{bob.id}/")

    alice_page.get_by_role("button", name="Video call").click()
    ringing = bob_page.get_by_role("alertdialog", name="Alice")
    expect(ringing).to_be_visible()
    expect(ringing).to_contain_text("Incoming video call")
    ringing.get_by_role("button", name="Accept").click()

    # Both peer connections come up over the signalling relayed through /ws/.
    alice_page.wait_for_function(CONNECTED, timeout=20_000)
    bob_page.wait_for_function(CONNECTED, timeout=20_000)
    for page, peer in ((alice_page, "Bob"), (bob_page, "Alice")):
        overlay = page.get_by_role("dialog", name=peer)
        expect(overlay.get_by_role("timer")).to_have_text(re.compile(r"^0:0[1-9]$"))
        assert page.evaluate("window.__call.call.status") == "answered"
        assert page.evaluate("window.__call.pc.getReceivers().length") == 2  # audio + video

    bob_page.get_by_role("button", name="Mute").click()
    expect(bob_page.get_by_role("button", name="Mute")).to_have_attribute("aria-pressed", "true")
    assert bob_page.evaluate("window.__call.stream.getAudioTracks()[0].enabled") is False

    alice_page.get_by_role("button", name="Hang up").click()
    alice_page.wait_for_function(NO_CALL)
    bob_page.wait_for_function(NO_CALL)
    expect(bob_page.get_by_role("dialog", name="Alice")).to_be_hidden()

    # Bob's open Calls tab refreshed live; Alice opens hers.
    bob_entry = bob_page.get_by_role("list", name="Call log").get_by_role("listitem").first
    expect(bob_entry).to_contain_text("Incoming video call")
    expect(bob_entry).to_contain_text(re.compile(r"Duration \d+:\d\d"))
    alice_page.goto(f"{live_server_url}/calls/")
    alice_entry = alice_page.get_by_role("list", name="Call log").get_by_role("listitem").first
    expect(alice_entry).to_contain_text("Bob")
    expect(alice_entry).to_contain_text("Outgoing video call")
    expect(alice_entry).to_contain_text(re.compile(r"Duration \d+:\d\d"))
    expect(alice_entry.get_by_role("button", name="Call Bob back (video)")).to_be_visible()


def test_declined_call_ends_for_the_caller_and_is_not_logged_as_missed(
    live_server_url, new_page, alice, bob
):
    bob_page = open_as(new_page, live_server_url, bob, "/calls/")
    alice_page = open_as(new_page, live_server_url, alice, f"/chats/{bob.id}/")

    alice_page.get_by_role("button", name="Voice call").click()
    expect(alice_page.get_by_role("dialog", name="Bob")).to_contain_text("Ringing")
    bob_page.get_by_role("alertdialog", name="Alice").get_by_role("button", name="Decline").click()

    alice_page.wait_for_function(NO_CALL)
    expect(alice_page.get_by_role("alert").filter(has_text="Call declined")).to_be_visible()
    entry = bob_page.get_by_role("list", name="Call log").get_by_role("listitem").first
    expect(entry).to_contain_text("Incoming voice call, declined")
    expect(entry).not_to_have_class(re.compile(r"call-missed"))
