"""Log-in limits that X-Forwarded-For cannot dodge, password changes that sign out what the old
password or token opened, and password rules on every path (issue: red-team findings)."""

import io

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts import services
from accounts.exceptions import AccountSuspended, InvalidCredentials
from accounts.models import User
from tests.chats.conftest import connect, receive_until
from tests.conftest import PASSWORD, token_client
from whatsapp.asgi import application

NEW_PASSWORD = "a-brand-new-long-passphrase"
TOKEN_URL = "/api/v1/auth/token/"


def wrong_login(client, phone_number, n, **extra):
    body = {"phone_number": phone_number, "password": f"guess-{n}"}
    return client.post(TOKEN_URL, body, content_type="application/json", **extra)


# --- X-Forwarded-For and the per-address limit ---------------------------------------------


def test_a_forged_forwarded_for_does_not_get_a_fresh_budget(alice, throttle_rates):
    throttle_rates(login="5/min")
    client = Client()

    codes = [
        wrong_login(client, alice.phone_number, n, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code
        for n in range(8)
    ]
    right = client.post(
        TOKEN_URL,
        {"phone_number": alice.phone_number, "password": PASSWORD},
        content_type="application/json",
        HTTP_X_FORWARDED_FOR="10.9.9.9",
    )

    assert codes == [400] * 5 + [429] * 3
    assert right.status_code == 429 and int(right["Retry-After"]) > 0


def test_the_login_form_ignores_a_forged_forwarded_for(alice, throttle_rates):
    throttle_rates(login="2/min")
    client = Client()
    for n in range(2):
        client.post(
            "/login/",
            {"phone_number": alice.phone_number, "password": f"guess-{n}"},
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        )

    response = client.post(
        "/login/",
        {"phone_number": alice.phone_number, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="10.9.9.9",
    )

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_trusted_proxy_s_forwarded_for_names_the_client(alice, settings, throttle_rates):
    settings.TRUSTED_PROXIES = ["127.0.0.0/8"]
    throttle_rates(login="2/min")
    client = Client(REMOTE_ADDR="127.0.0.1")
    for n in range(2):
        # The client wrote "1.1.1.1"; our proxy appended the address it saw.
        forwarded = "1.1.1.1, 203.0.113.7"
        assert (
            wrong_login(client, alice.phone_number, n, HTTP_X_FORWARDED_FOR=forwarded).status_code
            == 400
        )

    same_client = wrong_login(
        client, alice.phone_number, 9, HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.7"
    )
    other_client = wrong_login(client, alice.phone_number, 9, HTTP_X_FORWARDED_FOR="203.0.113.8")

    assert same_client.status_code == 429
    assert other_client.status_code == 400


def test_an_untrusted_peer_s_forwarded_for_is_ignored(alice, settings, throttle_rates):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    throttle_rates(login="2/min")
    client = Client(REMOTE_ADDR="198.51.100.1")
    for n in range(2):
        wrong_login(client, alice.phone_number, n, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")

    assert (
        wrong_login(client, alice.phone_number, 5, HTTP_X_FORWARDED_FOR="203.0.113.99").status_code
        == 429
    )


# --- the per-account limit -----------------------------------------------------------------


def test_failed_logins_on_one_number_are_limited_whatever_the_address(alice, throttle_rates):
    throttle_rates(login="1000/min", login_account="4/hour")
    codes = [
        wrong_login(Client(REMOTE_ADDR=f"198.51.100.{n}"), alice.phone_number, n).status_code
        for n in range(6)
    ]
    right_api = Client(REMOTE_ADDR="203.0.113.50").post(
        TOKEN_URL,
        {"phone_number": alice.phone_number, "password": PASSWORD},
        content_type="application/json",
    )
    form = Client(REMOTE_ADDR="203.0.113.51")
    right_form = form.post("/login/", {"phone_number": alice.phone_number, "password": PASSWORD})

    assert codes == [400] * 4 + [429] * 2
    assert right_api.status_code == 429 and int(right_api["Retry-After"]) > 60
    assert right_api.json()["code"] == "throttled"
    assert right_form.status_code == 429 and int(right_form["Retry-After"]) > 60
    assert b"Too many attempts" in right_form.content
    assert "_auth_user_id" not in form.session


def test_the_account_limit_is_per_number(alice, bob, throttle_rates):
    throttle_rates(login="1000/min", login_account="2/hour")
    for n in range(3):
        wrong_login(Client(), alice.phone_number, n)

    response = Client().post(
        TOKEN_URL,
        {"phone_number": bob.phone_number, "password": PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 200


def test_a_successful_login_clears_the_account_s_failures(alice, throttle_rates):
    throttle_rates(login="1000/min", login_account="3/hour")
    client = Client()
    for n in range(2):
        wrong_login(client, alice.phone_number, n)
    right = {"phone_number": alice.phone_number, "password": PASSWORD}
    assert client.post(TOKEN_URL, right, content_type="application/json").status_code == 200

    codes = [wrong_login(client, alice.phone_number, n).status_code for n in range(3)]

    assert codes == [400, 400, 400]


# --- one hash per answer (suspension is not revealed by timing) ----------------------------


class CountingHasher(MD5PasswordHasher):
    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = ["tests.accounts.test_credentials.CountingHasher"]
    CountingHasher.calls = 0
    return CountingHasher


def test_every_failed_login_costs_one_hash(make_user, counting_hasher):
    active = make_user("Active", "+14155550111")
    suspended = make_user("Suspended", "+14155550112")
    User.objects.filter(id=suspended.id).update(is_active=False)
    costs = []

    for number in (active.phone_number, suspended.phone_number, "+14155550113"):
        counting_hasher.calls = 0
        with pytest.raises(InvalidCredentials) as caught:
            services.authenticate_user(phone_number=number, password="wrong-password")
        assert not isinstance(caught.value, AccountSuspended)
        costs.append(counting_hasher.calls)

    assert costs == [1, 1, 1]


# --- changing a password -------------------------------------------------------------------


def test_changing_my_password_over_the_api_rotates_the_token(alice):
    old = Token.objects.create(user=alice).key
    api = token_client(alice)
    other_browser = Client()
    other_browser.force_login(alice)

    response = api.post(
        "/api/v1/users/me/password/",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )

    assert response.status_code == 200
    new = response.data["token"]
    assert new != old and response.data["user_id"] == alice.id
    assert api.get("/api/v1/users/me/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {new}")
    assert api.get("/api/v1/users/me/").status_code == 200
    assert other_browser.get("/api/v1/users/me/").status_code == 401
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_a_wrong_current_password_changes_nothing(alice):
    api = token_client(alice)
    key = Token.objects.get(user=alice).key

    response = api.post(
        "/api/v1/users/me/password/",
        {"current_password": "not-it", "new_password": NEW_PASSWORD},
    )

    assert response.status_code == 400 and "current_password" in response.data
    assert Token.objects.get(user=alice).key == key
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_guessing_the_current_password_counts_as_failed_logins(alice, throttle_rates):
    throttle_rates(login_account="2/hour")
    api = token_client(alice)
    for _ in range(2):
        api.post(
            "/api/v1/users/me/password/",
            {"current_password": "not-it", "new_password": NEW_PASSWORD},
        )

    response = api.post(
        "/api/v1/users/me/password/",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )

    assert response.status_code == 429 and int(response["Retry-After"]) > 0


@pytest.mark.parametrize(
    "password",
    ["+14155550101", "Alice Liddell", "        ", "12345678", "password"],
    ids=["phone-number", "name", "spaces", "digits", "common"],
)
def test_weak_new_passwords_are_refused(make_user, password):
    user = make_user("Alice Liddell", "+14155550101")

    response = token_client(user).post(
        "/api/v1/users/me/password/",
        {"current_password": PASSWORD, "new_password": password},
    )

    assert response.status_code == 400 and "new_password" in response.data


@pytest.mark.parametrize(
    "password", ["+14155550123", "Bobby Tables", "        "], ids=["phone-number", "name", "spaces"]
)
def test_sign_up_refuses_weak_passwords(api_client, db, password):
    response = api_client.post(
        "/api/v1/auth/register/",
        {"phone_number": "+14155550123", "name": "Bobby Tables", "password": password},
    )

    assert response.status_code == 400 and "password" in response.data
    assert not User.objects.filter(phone_number="+14155550123").exists()


def test_the_password_page_changes_it_and_keeps_this_browser_signed_in(alice):
    browser, other = Client(), Client()
    browser.force_login(alice)
    other.force_login(alice)

    page = browser.get("/profile/password/")
    response = browser.post(
        "/profile/password/",
        {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )

    assert page.status_code == 200 and b"Current password" in page.content
    assert response.status_code == 302 and response["Location"] == "/profile/"
    assert browser.get("/profile/").status_code == 200
    assert other.get("/profile/").status_code == 302  # signed out: to the log-in page


def test_the_password_page_shows_field_errors(client, alice):
    client.force_login(alice)

    mismatch = client.post(
        "/profile/password/",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": "x"},
    )
    weak = client.post(
        "/profile/password/",
        {"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"},
    )

    assert mismatch.status_code == 200 and b"do not match" in mismatch.content
    assert weak.status_code == 200 and b"too short" in weak.content
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_revoking_my_token(alice):
    api = token_client(alice)

    response = api.post("/api/v1/auth/token/revoke/")

    assert response.status_code == 204
    assert api.get("/api/v1/users/me/").status_code == 401
    assert not Token.objects.filter(user=alice).exists()


# --- sockets ------------------------------------------------------------------------------


def session_socket(client: Client) -> WebsocketCommunicator:
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    return WebsocketCommunicator(
        application,
        "/ws/",
        headers=[(b"cookie", cookie.encode()), (b"origin", b"http://testserver")],
    )


@pytest.mark.django_db(transaction=True)
async def test_a_password_change_closes_the_sockets_it_signs_out(alice):
    from channels.db import database_sync_to_async

    by_token = await connect(alice)
    other_browser, this_browser = Client(), Client()
    await database_sync_to_async(other_browser.force_login)(alice)
    await database_sync_to_async(this_browser.force_login)(alice)
    stale, kept = session_socket(other_browser), session_socket(this_browser)
    assert (await stale.connect())[0] and (await kept.connect())[0]
    await stale.receive_json_from()
    await kept.receive_json_from()

    response = await database_sync_to_async(this_browser.post)(
        "/profile/password/",
        {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    for socket in (by_token, stale):
        assert (await receive_until(socket, "session.revoked"))["type"] == "session.revoked"
        assert (await socket.receive_output(timeout=2))["code"] == 4401
    assert await kept.receive_nothing(timeout=0.5)
    await kept.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_revoking_the_token_closes_its_sockets(alice):
    from channels.db import database_sync_to_async

    socket = await connect(alice)

    await database_sync_to_async(services.revoke_token)(alice)

    assert (await receive_until(socket, "session.revoked"))["type"] == "session.revoked"
    assert (await socket.receive_output(timeout=2))["code"] == 4401


def test_the_changepassword_command_revokes_the_token(alice, monkeypatch):
    from django.contrib.auth.management.commands import changepassword
    from django.core.management import call_command

    Token.objects.create(user=alice)
    monkeypatch.setattr(changepassword.Command, "_get_pass", lambda self, prompt=None: NEW_PASSWORD)

    call_command("changepassword", alice.phone_number, stdout=io.StringIO())

    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert not Token.objects.filter(user=alice).exists()
