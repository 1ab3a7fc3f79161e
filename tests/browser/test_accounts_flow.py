"""Sign-up, log-out, log-in and contacts, driven through the pages in Chromium."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Contact, User
from tests.browser.conftest import login

pytestmark = pytest.mark.browser

PASSWORD = "violet-harbour-lantern-42"


def sign_up(page, base_url: str, *, phone: str, name: str, password: str) -> None:
    page.goto(f"{base_url}/signup/")
    page.get_by_label("Phone number").fill(phone)
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign up").click()


def test_new_user_signs_up_logs_out_logs_in_and_adds_a_contact(
    live_server_url, new_page, make_user
):
    bob = make_user("Bob", "+14155550102")
    page = new_page()

    sign_up(page, live_server_url, phone="+1 415 555 0177", name="Alice", password=PASSWORD)

    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Contacts")).to_be_visible()
    alice = User.objects.get(phone_number="+14155550177")
    assert alice.name == "Alice"

    page.get_by_role("button", name="Log out").click()

    expect(page).to_have_url(re.compile(r"/login/"))
    page.goto(f"{live_server_url}/contacts/")
    expect(page).to_have_url(re.compile(r"/login/\?next="))

    login(page, live_server_url, "+14155550177", PASSWORD)
    nav.get_by_role("link", name="Contacts").click()
    page.get_by_label("Phone number").fill("+1 415 555 0102")
    page.get_by_role("button", name="Add contact").click()

    contacts = page.get_by_role("list", name="Contacts")
    expect(contacts.get_by_role("link", name="Bob", exact=True)).to_be_visible()
    assert Contact.objects.filter(user=alice, contact_user=bob).exists()


def test_wrong_password_keeps_the_user_on_the_login_page(live_server_url, new_page, alice):
    page = new_page()

    page.goto(f"{live_server_url}/login/")
    page.get_by_label("Phone number").fill(alice.phone_number)
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.goto(f"{live_server_url}/contacts/")
    expect(page).to_have_url(re.compile(r"/login/\?next="))


def test_two_browser_contexts_are_separate_sessions(live_server_url, new_page, alice, bob):
    alice_page = new_page()
    stranger_page = new_page()

    login(alice_page, live_server_url, alice.phone_number, "correct-horse-battery-staple")
    stranger_page.goto(f"{live_server_url}/contacts/")

    expect(alice_page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(stranger_page).to_have_url(re.compile(r"/login/\?next="))
