import re
from html import escape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts import services
from accounts.models import Block, Contact, User
from tests.accounts.conftest import image_bytes, upload
from tests.conftest import PASSWORD


def text(response) -> str:
    return response.content.decode()


def label_for(html: str, field: str) -> str:
    match = re.search(rf'<label for="id_{field}">([^<]*)</label>', html)
    assert match, f"no label for {field}"
    return match.group(1)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


# --- sign-up ------------------------------------------------------------------------------------


def test_signup_form_has_the_contract_labels(client, db):
    html = text(client.get("/signup/"))

    assert label_for(html, "phone_number") == "Phone number"
    assert label_for(html, "name") == "Name"
    assert label_for(html, "password") == "Password"


def test_signup_creates_the_user_and_logs_in(client, db):
    response = client.post(
        "/signup/", {"phone_number": "415 555 0111", "name": "Dora", "password": PASSWORD}
    )

    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(phone_number="+14155550111")
    assert client.session["_auth_user_id"] == str(user.id)


def test_signup_shows_errors_for_a_used_or_malformed_number(client, alice):
    used = client.post(
        "/signup/", {"phone_number": "+14155550101", "name": "X", "password": PASSWORD}
    )
    malformed = client.post("/signup/", {"phone_number": "12", "name": "X", "password": PASSWORD})

    assert used.status_code == 200
    assert "A user with this phone number already exists." in text(used)
    assert "Enter a valid phone number." in text(malformed)
    assert 'aria-invalid="true"' in text(malformed)
    assert User.objects.count() == 1


def test_signup_shows_password_errors(client, db):
    response = client.post(
        "/signup/", {"phone_number": "+14155550111", "name": "X", "password": "1"}
    )

    assert "too short" in text(response)
    assert not User.objects.exists()


def test_signup_shows_each_refused_field_on_its_field(client, db):
    response = client.post(
        "/signup/", {"phone_number": "nope", "name": "Dora", "password": "12345678"}
    )

    errors = response.context["form"].errors
    assert errors["phone_number"] == ["Enter a valid phone number."]
    assert errors["password"] == [
        "This password is too common.",
        "This password is entirely numeric.",
    ]
    assert "name" not in errors and not errors.get("__all__")
    assert not User.objects.exists()


def test_signup_is_throttled(client, db, throttle_rates):
    throttle_rates(register="1/min")
    client.post("/signup/", {"phone_number": "12", "name": "X", "password": PASSWORD})

    response = client.post(
        "/signup/", {"phone_number": "+14155550111", "name": "X", "password": PASSWORD}
    )

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many attempts" in text(response)
    assert not User.objects.exists()


def test_signed_in_user_is_sent_from_signup_to_the_app(alice_client):
    assert alice_client.get("/signup/")["Location"] == "/"


# --- log-in and log-out -------------------------------------------------------------------------


def test_pages_name_an_icon_that_is_served(client, db):
    href = re.search(r'<link rel="icon" href="([^"]+)"', text(client.get("/login/"))).group(1)

    icon = client.get(href)

    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/svg+xml"


def test_login_form_has_the_contract_labels(client, db):
    html = text(client.get("/login/"))

    assert label_for(html, "phone_number") == "Phone number"
    assert label_for(html, "password") == "Password"


def test_login_with_the_number_in_any_format(client, alice):
    response = client.post("/login/", {"phone_number": "(415) 555-0101", "password": PASSWORD})

    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(alice.id)


def test_login_follows_a_safe_next_only(client, alice):
    creds = {"phone_number": alice.phone_number, "password": PASSWORD}

    safe = client.post("/login/", {**creds, "next": "/contacts/"})
    client.logout()
    unsafe = client.post("/login/", {**creds, "next": "https://evil.example/"})

    assert safe["Location"] == "/contacts/"
    assert unsafe["Location"] == "/"


def test_login_wrong_password_shows_an_error(client, alice):
    response = client.post("/login/", {"phone_number": alice.phone_number, "password": "wrong-pw"})

    assert response.status_code == 200
    assert "Invalid phone number or password." in text(response)
    assert "_auth_user_id" not in client.session


def test_login_refuses_a_deactivated_user(client, alice):
    alice.is_active = False
    alice.save()

    client.post("/login/", {"phone_number": alice.phone_number, "password": PASSWORD})

    assert "_auth_user_id" not in client.session


def test_login_is_throttled_after_repeated_failures(client, alice, throttle_rates):
    throttle_rates(login="2/min")
    for _ in range(2):
        client.post("/login/", {"phone_number": alice.phone_number, "password": "wrong-pw"})

    response = client.post("/login/", {"phone_number": alice.phone_number, "password": PASSWORD})

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


def test_login_throttle_is_shared_with_the_api(client, api_client, alice, throttle_rates):
    throttle_rates(login="2/min")
    wrong = {"phone_number": alice.phone_number, "password": "wrong-pw"}
    for _ in range(2):
        assert api_client.post("/api/v1/auth/token/", wrong).status_code == 400

    response = client.post("/login/", {"phone_number": alice.phone_number, "password": PASSWORD})

    assert response.status_code == 429


def test_logout_get_asks_and_post_logs_out(alice_client):
    confirm = alice_client.get("/logout/")
    assert confirm.status_code == 200
    assert "_auth_user_id" in alice_client.session

    response = alice_client.post("/logout/")

    assert response["Location"] == "/login/"
    assert "_auth_user_id" not in alice_client.session


def test_posts_need_the_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post("/profile/", {"name": "Hacked", "status": ""})

    assert response.status_code == 403


# --- app shell ----------------------------------------------------------------------------------


def test_pages_need_login(client, db):
    for path in ("/profile/", "/contacts/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"/login/?next={path}"


def test_shell_has_the_contract_navigation(alice_client):
    html = text(alice_client.get("/contacts/"))

    labels = re.findall(r'<span class="rail-label">([^<]+)</span>', html)
    assert labels == ["Chats", "Status", "Communities", "Calls", "Contacts"]
    current = re.search(r'<a href="/contacts/" class="rail-tab active" aria-current="page">', html)
    assert current
    assert 'action="/logout/"' in html


# --- profile ------------------------------------------------------------------------------------


def test_profile_page_shows_my_details(alice_client, alice):
    html = text(alice_client.get("/profile/"))

    assert alice.phone_number in html
    assert 'value="Alice"' in html
    assert label_for(html, "status") == "Status"
    assert label_for(html, "profile_picture") == "Profile picture"


def test_profile_update_name_and_status(alice_client, alice):
    response = alice_client.post("/profile/", {"name": "Alice A", "status": "On holiday"})

    assert response["Location"] == "/profile/"
    alice.refresh_from_db()
    assert (alice.name, alice.status) == ("Alice A", "On holiday")
    assert "Profile updated." in text(alice_client.get("/profile/"))


def test_profile_picture_upload_and_removal(alice_client, alice):
    alice_client.post(
        "/profile/", {"name": "Alice", "status": "", "profile_picture": upload(image_bytes())}
    )
    alice.refresh_from_db()
    assert alice.profile_picture
    assert escape(alice.profile_thumbnail_url) in text(alice_client.get("/profile/"))

    alice_client.post("/profile/", {"name": "Alice", "status": "", "remove_picture": "on"})

    alice.refresh_from_db()
    assert not alice.profile_picture


def test_profile_shows_picture_errors(alice_client, alice):
    response = alice_client.post(
        "/profile/",
        {"name": "Alice", "status": "", "profile_picture": upload(b"not an image", name="a.png")},
    )

    assert response.status_code == 200
    assert "Upload a valid image" in text(response)
    alice.refresh_from_db()
    assert not alice.profile_picture


def test_profile_oversized_picture_is_413_with_an_error(alice_client, settings):
    settings.MAX_UPLOAD_SIZE = 100

    response = alice_client.post(
        "/profile/", {"name": "Alice", "status": "", "profile_picture": upload(image_bytes())}
    )

    assert response.status_code == 413
    assert "too large" in text(response)


def test_profile_blank_name_is_refused(alice_client, alice):
    response = alice_client.post("/profile/", {"name": "", "status": ""})

    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.name == "Alice"


# --- contacts -----------------------------------------------------------------------------------


def test_contacts_page_lists_contacts_with_a_chat_link(alice_client, alice, bob):
    services.add_contact(alice, contact_user=bob)
    services.update_profile(bob, status="Gone fishing")

    html = text(alice_client.get("/contacts/"))

    assert 'aria-label="Contacts"' in html
    assert f'href="/chats/{bob.id}/"' in html
    assert "Bob" in html and bob.phone_number in html and "Gone fishing" in html


def test_contacts_page_hides_the_status_of_a_contact_who_blocked_me(alice_client, alice, bob):
    services.add_contact(alice, contact_user=bob)
    services.update_profile(bob, status="Secret plans")
    services.block_user(bob, blocked=alice)

    assert "Secret plans" not in text(alice_client.get("/contacts/"))


def test_add_contact_by_phone_number(alice_client, alice, bob):
    response = alice_client.post("/contacts/", {"phone_number": "415-555-0102"})

    assert response["Location"] == "/contacts/"
    assert Contact.objects.filter(user=alice, contact_user=bob).exists()


@pytest.mark.parametrize(
    ("number", "error"),
    [
        ("+14155550177", "No user has this phone number."),
        ("+14155550101", "You cannot add yourself as a contact."),
        ("garbage", "Enter a valid phone number."),
    ],
)
def test_add_contact_errors_are_shown(alice_client, alice, number, error):
    response = alice_client.post("/contacts/", {"phone_number": number})

    assert response.status_code == 200
    assert error in text(response)
    assert not Contact.objects.exists()


def test_add_contact_twice_shows_an_error(alice_client, alice, bob):
    services.add_contact(alice, contact_user=bob)

    response = alice_client.post("/contacts/", {"phone_number": bob.phone_number})

    assert "already in your contacts" in text(response)


def test_remove_contact(alice_client, alice, bob):
    contact = services.add_contact(alice, contact_user=bob)

    response = alice_client.post(f"/contacts/{contact.id}/remove/")

    assert response["Location"] == "/contacts/"
    assert not Contact.objects.exists()


def test_cannot_remove_another_users_contact(client, mallory, alice, bob):
    contact = services.add_contact(alice, contact_user=bob)
    client.force_login(mallory)

    response = client.post(f"/contacts/{contact.id}/remove/")

    assert response.status_code == 404
    assert Contact.objects.filter(id=contact.id).exists()


def test_remove_needs_post(alice_client, alice, bob):
    contact = services.add_contact(alice, contact_user=bob)

    assert alice_client.get(f"/contacts/{contact.id}/remove/").status_code == 405
    assert Contact.objects.exists()


def test_block_and_unblock_from_the_contacts_page(alice_client, alice, bob):
    services.add_contact(alice, contact_user=bob)

    alice_client.post(f"/users/{bob.id}/block/")
    html = text(alice_client.get("/contacts/"))

    assert Block.objects.filter(blocker=alice, blocked=bob).exists()
    assert 'aria-label="Blocked"' in html
    assert html.count('aria-label="Unblock Bob"') == 1

    alice_client.post(f"/users/{bob.id}/unblock/")

    assert not Block.objects.exists()
    html = text(alice_client.get("/contacts/"))
    assert 'aria-label="Block Bob"' in html
    assert "You have not blocked anyone." in html


def test_blocking_oneself_shows_an_error(alice_client, alice):
    alice_client.post(f"/users/{alice.id}/block/")

    assert not Block.objects.exists()
    assert "You cannot block yourself." in text(alice_client.get("/contacts/"))


def test_block_unknown_user_is_404(alice_client):
    assert alice_client.post("/users/999999/block/").status_code == 404


def test_blocking_a_stranger_by_id_is_404_and_lists_no_number(client, mallory, alice):
    client.force_login(mallory)

    response = client.post(f"/users/{alice.id}/block/")

    assert response.status_code == 404
    assert not Block.objects.exists()
    assert alice.phone_number not in text(client.get("/contacts/"))


def test_unblocking_someone_not_blocked_is_404_and_names_nobody(client, mallory, alice):
    client.force_login(mallory)

    response = client.post(f"/users/{alice.id}/unblock/")

    assert response.status_code == 404
    assert "Alice" not in text(response)


def test_adding_contacts_by_number_on_the_page_is_throttled(alice_client, alice, bob, settings):
    settings.PHONE_LOOKUP_RATE = "1/h"
    alice_client.post("/contacts/", {"phone_number": "+14155550177"})

    response = alice_client.post("/contacts/", {"phone_number": bob.phone_number})

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "Too many attempts" in text(response)
    assert not Contact.objects.exists()


def test_contacts_page_query_count_does_not_grow(
    alice_client, alice, make_user, django_assert_num_queries
):
    numbers = iter(range(3000, 3100))

    def add(count):
        for _ in range(count):
            other = make_user(phone_number=f"+1415555{next(numbers)}")
            services.add_contact(alice, contact_user=other)
            services.block_user(alice, blocked=make_user(phone_number=f"+1415555{next(numbers)}"))

    add(2)
    with CaptureQueriesContext(connection) as small:
        alice_client.get("/contacts/")
    add(5)
    with django_assert_num_queries(len(small.captured_queries)):
        alice_client.get("/contacts/")
