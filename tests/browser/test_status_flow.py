"""Status in the browser: post a status, a contact sees it live, views it, "Seen by 1"."""

import re

import pytest
from playwright.sync_api import expect

from moderation.models import Report
from stories import services as story_services
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.stories.conftest import befriend

pytestmark = pytest.mark.browser


def test_contact_sees_a_new_status_live_and_the_author_sees_who_viewed_it(
    live_server_url, new_page, alice, bob
):
    befriend(alice, bob)
    bob_page = new_page()
    login(bob_page, live_server_url, bob.phone_number, PASSWORD)
    bob_page.get_by_role("link", name="Status").click()
    expect(bob_page).to_have_url(re.compile(r"/status/$"))
    recent = bob_page.get_by_role("list", name="Recent updates")

    alice_page = new_page()
    login(alice_page, live_server_url, alice.phone_number, PASSWORD)
    alice_page.goto(f"{live_server_url}/status/")
    alice_page.get_by_label("Type a status").fill("Morning hike!")
    alice_page.get_by_role("button", name="Post status").click()
    expect(alice_page.get_by_text("1 update")).to_be_visible()

    # Bob's open Status tab gets it over the socket, ringed as unseen.
    contact = recent.get_by_role("button", name="Alice, 1 new")
    expect(contact).to_be_visible()
    contact.click()
    viewer = bob_page.get_by_role("dialog", name="Alice")
    expect(viewer).to_be_visible()
    expect(viewer.get_by_text("Morning hike!")).to_be_visible()
    expect(viewer.get_by_role("button", name="Delete status")).to_be_hidden()  # not Bob's
    expect(viewer.get_by_role("link", name="Report")).to_have_attribute(
        "href", re.compile(r"^/report/\?kind=story&id=\d+&next=%2Fstatus%2F$")
    )
    viewer.get_by_role("button", name="Close").click()
    expect(
        bob_page.get_by_role("list", name="Viewed updates").get_by_role("button", name="Alice")
    ).to_be_visible()

    alice_page.get_by_role("button", name="My status").click()
    own = alice_page.get_by_role("dialog", name="My status")
    seen = own.get_by_role("button", name="Seen by 1")
    expect(seen).to_be_visible()
    seen.click()
    expect(own.get_by_role("list", name="Viewers").get_by_text("Bob")).to_be_visible()


def test_a_contact_reports_a_status_from_the_viewer(live_server_url, new_page, alice, bob):
    befriend(alice, bob)
    story = story_services.post_story(alice, content="Buy followers here")
    bob_page = new_page()
    login(bob_page, live_server_url, bob.phone_number, PASSWORD)
    bob_page.goto(f"{live_server_url}/status/")

    bob_page.get_by_role("list", name="Recent updates").get_by_role("button", name="Alice").click()
    bob_page.get_by_role("dialog", name="Alice").get_by_role("link", name="Report").click()
    expect(bob_page.get_by_role("heading", name="Report status update from Alice")).to_be_visible()
    bob_page.get_by_label("Spam").check()
    bob_page.get_by_role("button", name="Report").click()

    expect(bob_page).to_have_url(re.compile(r"/status/$"))
    expect(bob_page.get_by_role("status", name="Notifications")).to_contain_text("Report sent.")
    report = Report.objects.get()
    assert (report.kind, report.target_id, report.reporter, report.reason) == (
        "story",
        story.id,
        bob,
        "spam",
    )
