"""Profile picture, status and blocking, driven through the accounts pages in Chromium."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from accounts import services
from accounts.models import Block
from tests.browser.conftest import login
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def jpeg(path):
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 800), (20, 140, 90)).save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def test_user_sets_a_picture_and_status_that_contacts_see(
    live_server_url, new_page, alice, bob, tmp_path
):
    services.add_contact(bob, contact_user=alice)
    page = new_page()
    login(page, live_server_url, alice.phone_number, PASSWORD)

    page.goto(f"{live_server_url}/profile/")
    page.get_by_label("Profile picture").set_input_files(str(jpeg(tmp_path / "me.jpg")))
    page.get_by_label("Status", exact=True).fill("Out sailing")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status", name="Notifications")).to_contain_text("Profile updated.")
    picture = page.locator(".profile-summary img")
    expect(picture).to_be_visible()
    # The bytes arrive after the element is visible: wait for the decoded image.
    picture.evaluate("img => img.decode()")
    assert picture.evaluate("img => img.naturalWidth") == 640
    bob_page = new_page()
    login(bob_page, live_server_url, bob.phone_number, PASSWORD)
    bob_page.goto(f"{live_server_url}/contacts/")
    row = bob_page.get_by_role("list", name="Contacts").get_by_role("listitem")
    expect(row).to_contain_text("Out sailing")
    thumb = row.locator("img.avatar")
    expect(thumb).to_be_visible()
    thumb.evaluate("img => img.decode()")
    assert thumb.evaluate("img => img.naturalWidth") > 0


def test_user_blocks_and_unblocks_a_contact(live_server_url, new_page, alice, bob):
    services.add_contact(alice, contact_user=bob)
    page = new_page()
    login(page, live_server_url, alice.phone_number, PASSWORD)
    page.goto(f"{live_server_url}/contacts/")

    page.get_by_role("button", name="Block Bob", exact=True).click()

    blocked = page.get_by_role("list", name="Blocked")
    expect(blocked).to_contain_text("Bob")
    assert Block.objects.filter(blocker=alice, blocked=bob).exists()

    blocked.get_by_role("button", name="Unblock Bob", exact=True).click()

    expect(page.get_by_text("You have not blocked anyone.")).to_be_visible()
    assert not Block.objects.exists()


def test_changing_the_password_signs_out_the_other_browser_at_once(
    live_server_url, new_page, alice
):
    other = new_page()
    login(other, live_server_url, alice.phone_number, PASSWORD)
    other.goto(f"{live_server_url}/")
    expect(other.get_by_role("list", name="Chats")).to_be_attached()
    other.wait_for_function("() => window.AppSocket && window.AppSocket.isOpen()")
    page = new_page()
    login(page, live_server_url, alice.phone_number, PASSWORD)
    page.goto(f"{live_server_url}/profile/")

    page.get_by_role("link", name="Change password").click()
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("a-brand-new-long-passphrase")
    page.get_by_label("Confirm new password").fill("a-brand-new-long-passphrase")
    page.get_by_role("button", name="Change password").click()

    expect(page.get_by_role("status", name="Notifications")).to_contain_text("Password changed")
    expect(page).to_have_url(f"{live_server_url}/profile/")
    # The other browser's socket is told `session.revoked`: it leaves for the log-in page.
    expect(other).to_have_url(f"{live_server_url}/login/", timeout=10_000)
    expect(other.get_by_label("Password")).to_be_visible()
