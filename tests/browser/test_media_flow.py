"""Attachments in the browser: an image sent in a 1:1 chat shows as a thumbnail, live."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def png(size=(640, 480)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "orange").save(buffer, "PNG")
    return buffer.getvalue()


def test_image_sent_in_a_chat_appears_as_a_thumbnail_on_the_other_side_live(
    live_server_url, new_page, alice, bob
):
    bob_page = new_page()
    login(bob_page, live_server_url, bob.phone_number, PASSWORD)
    bob_page.goto(f"{live_server_url}/chats/{alice.id}/")
    bob_log = bob_page.get_by_role("log", name="Messages")
    expect(bob_log).to_be_visible()

    alice_page = new_page()
    login(alice_page, live_server_url, alice.phone_number, PASSWORD)
    alice_page.goto(f"{live_server_url}/chats/{bob.id}/")
    alice_page.get_by_label("Attach").set_input_files(
        {"name": "holiday.png", "mimeType": "image/png", "buffer": png()}
    )
    expect(alice_page.locator(".composer-attach")).to_contain_text("holiday.png")
    alice_page.get_by_label("Type a message").fill("Look at this")
    alice_page.get_by_role("button", name="Send").click()

    # Bob never reloads: message.new carries the media and the page draws the thumbnail.
    thumbnail = bob_log.get_by_role("img", name="holiday.png")
    expect(thumbnail).to_be_visible()
    expect(bob_log.get_by_text("Look at this")).to_be_visible()
    assert "/thumbnail/" in thumbnail.get_attribute("src")
    bob_page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )
    assert thumbnail.evaluate("img => Math.max(img.naturalWidth, img.naturalHeight)") == 320

    # A click opens the full image in the lightbox.
    thumbnail.click()
    lightbox = bob_page.get_by_role("dialog", name="Image viewer")
    expect(lightbox).to_be_visible()
    full = lightbox.get_by_role("img", name="holiday.png")
    bob_page.wait_for_function("img => img.naturalWidth === 640", arg=full.element_handle())
    lightbox.get_by_role("button", name="Close").click()
    expect(lightbox).to_be_hidden()

    # The sender's page (after its form post) renders the same thumbnail server-side.
    expect(
        alice_page.get_by_role("log", name="Messages").get_by_role("img", name="holiday.png")
    ).to_be_visible()


def test_document_is_a_download_link_and_strangers_cannot_fetch_it(
    live_server_url, new_page, alice, bob, mallory
):
    alice_page = new_page()
    login(alice_page, live_server_url, alice.phone_number, PASSWORD)
    alice_page.goto(f"{live_server_url}/chats/{bob.id}/")
    alice_page.get_by_label("Attach").set_input_files(
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"meeting at noon\n"}
    )
    alice_page.get_by_role("button", name="Send").click()

    link = alice_page.get_by_role("log", name="Messages").get_by_role("link", name="notes.txt")
    expect(link).to_be_visible()
    href = link.get_attribute("href")
    with alice_page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "notes.txt"

    mallory_page = new_page()
    login(mallory_page, live_server_url, mallory.phone_number, PASSWORD)
    response = mallory_page.request.get(f"{live_server_url}{href}")
    assert response.status == 404
