import pytest
from rest_framework.test import APIClient

from accounts import services
from accounts.models import Block, Contact, User
from calls import services as call_services
from chats import services as chat_services
from groups import services as group_services
from tests.accounts.conftest import image_bytes, upload
from tests.conftest import PASSWORD, token_client

PROFILE_FIELDS = {
    "user_id",
    "phone_number",
    "name",
    "profile_picture",
    "profile_thumbnail",
    "status",
    "created_at",
    "updated_at",
}

# --- auth/register/ -----------------------------------------------------------------------------


def test_register_creates_a_user_with_a_normalised_number(api_client, db):
    response = api_client.post(
        "/api/v1/auth/register/",
        {"phone_number": "(415) 555-0111", "name": "Dora", "password": PASSWORD},
    )

    assert response.status_code == 201
    assert set(response.data) == PROFILE_FIELDS
    assert response.data["phone_number"] == "+14155550111"
    assert response.data["profile_picture"] is None
    assert "password" not in response.data
    assert User.objects.get(phone_number="+14155550111").check_password(PASSWORD)


def test_register_a_duplicate_number_is_a_400_that_says_so(api_client, alice):
    response = api_client.post(
        "/api/v1/auth/register/",
        {"phone_number": "415-555-0101", "name": "Copy", "password": PASSWORD},
    )

    assert response.status_code == 400
    assert "already exists" in response.data["phone_number"][0]


def test_register_a_malformed_number_is_a_400_that_says_so(api_client, db):
    response = api_client.post(
        "/api/v1/auth/register/", {"phone_number": "123", "name": "X", "password": PASSWORD}
    )

    assert response.status_code == 400
    assert response.data["phone_number"] == ["Enter a valid phone number."]


def test_register_reports_every_refused_field_in_one_400(api_client, db):
    response = api_client.post(
        "/api/v1/auth/register/",
        {"phone_number": "nope", "name": "x" * 150, "password": "12345678"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "phone_number": ["Enter a valid phone number."],
        "name": ["Use at most 100 characters."],
        "password": ["This password is too common.", "This password is entirely numeric."],
    }


def test_register_missing_fields_are_400(api_client, db):
    response = api_client.post("/api/v1/auth/register/", {})

    assert response.status_code == 400
    assert {"phone_number", "name", "password"} <= set(response.data)


def test_register_is_throttled_with_retry_after(api_client, db, throttle_rates):
    throttle_rates(register="2/min")
    for number in ("+14155550111", "+14155550112"):
        body = {"phone_number": number, "name": "N", "password": PASSWORD}
        assert api_client.post("/api/v1/auth/register/", body).status_code == 201

    body = {"phone_number": "+14155550113", "name": "N", "password": PASSWORD}
    response = api_client.post("/api/v1/auth/register/", body)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert not User.objects.filter(phone_number="+14155550113").exists()


def test_register_ignores_a_stale_token_header(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = client.post(
        "/api/v1/auth/register/",
        {"phone_number": "+14155550111", "name": "Dora", "password": PASSWORD},
    )

    assert response.status_code == 201


# --- auth/token/ --------------------------------------------------------------------------------


def test_token_for_right_credentials(api_client, alice):
    response = api_client.post(
        "/api/v1/auth/token/", {"phone_number": "+1 415 555 0101", "password": PASSWORD}
    )

    assert response.status_code == 200
    assert response.data["user_id"] == alice.id
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Token {response.data['token']}")
    assert me.get("/api/v1/users/me/").data["user_id"] == alice.id


def test_token_wrong_password_is_400(api_client, alice):
    response = api_client.post(
        "/api/v1/auth/token/", {"phone_number": alice.phone_number, "password": "nope-nope"}
    )

    assert response.status_code == 400
    assert response.data["code"] == "invalid_credentials"


def test_token_refused_to_deactivated_user(api_client, alice):
    alice.is_active = False
    alice.save()

    response = api_client.post(
        "/api/v1/auth/token/", {"phone_number": alice.phone_number, "password": PASSWORD}
    )

    assert response.status_code == 403
    assert response.data["code"] == "account_suspended"


def test_token_malformed_number_is_a_400_on_the_field(api_client, db):
    response = api_client.post("/api/v1/auth/token/", {"phone_number": "abc", "password": PASSWORD})

    assert response.status_code == 400
    assert "phone_number" in response.data


def test_repeated_failed_logins_are_throttled(api_client, alice, throttle_rates):
    throttle_rates(login="3/min")
    wrong = {"phone_number": alice.phone_number, "password": "wrong-password"}
    for _ in range(3):
        assert api_client.post("/api/v1/auth/token/", wrong).status_code == 400

    right = {"phone_number": alice.phone_number, "password": PASSWORD}
    response = api_client.post("/api/v1/auth/token/", right)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.data["code"] == "throttled"


def test_successful_logins_are_not_throttled(api_client, alice, throttle_rates):
    throttle_rates(login="3/min")
    right = {"phone_number": alice.phone_number, "password": PASSWORD}

    statuses = {api_client.post("/api/v1/auth/token/", right).status_code for _ in range(6)}

    assert statuses == {200}


def test_token_ignores_a_stale_token_header(alice):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = client.post(
        "/api/v1/auth/token/", {"phone_number": alice.phone_number, "password": PASSWORD}
    )

    assert response.status_code == 200


# --- users/me/ ----------------------------------------------------------------------------------


def test_me_requires_authentication(api_client, db):
    assert api_client.get("/api/v1/users/me/").status_code == 401


def test_me_returns_my_profile(alice_api, alice):
    response = alice_api.get("/api/v1/users/me/")

    assert response.status_code == 200
    assert set(response.data) == PROFILE_FIELDS
    assert response.data["user_id"] == alice.id
    assert response.data["status"] == alice.status
    assert response.data["created_at"].endswith("Z")


def test_me_works_with_the_session_cookie(alice):
    client = APIClient()
    client.force_login(alice)

    assert client.get("/api/v1/users/me/").data["user_id"] == alice.id


def test_session_writes_need_the_csrf_token(alice):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.patch("/api/v1/users/me/", {"name": "Hacked"})

    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.name == "Alice"


def test_patch_me_changes_name_and_status(alice_api, alice):
    response = alice_api.patch("/api/v1/users/me/", {"name": "Alice B", "status": "Hiking"})

    assert response.status_code == 200
    assert (response.data["name"], response.data["status"]) == ("Alice B", "Hiking")
    alice.refresh_from_db()
    assert alice.name == "Alice B"


def test_patch_me_cannot_change_the_phone_number(alice_api, alice):
    alice_api.patch("/api/v1/users/me/", {"phone_number": "+14155550177"})

    alice.refresh_from_db()
    assert alice.phone_number == "+14155550101"


def test_patch_me_blank_name_is_400(alice_api):
    response = alice_api.patch("/api/v1/users/me/", {"name": " "})

    assert response.status_code == 400
    assert "name" in response.data


def test_patch_me_uploads_a_picture_served_by_the_picture_view(alice_api, alice):
    response = alice_api.patch(
        "/api/v1/users/me/",
        {"profile_picture": upload(image_bytes(size=(1200, 900)))},
        format="multipart",
    )

    assert response.status_code == 200
    url = response.data["profile_picture"]
    assert url.startswith(f"http://testserver/users/{alice.id}/picture/?v=")
    picture = alice_api.get(url)
    assert picture.status_code == 200
    assert picture["Content-Type"] == "image/jpeg"
    assert picture["X-Content-Type-Options"] == "nosniff"
    full = b"".join(picture.streaming_content)
    thumb = b"".join(alice_api.get(response.data["profile_thumbnail"]).streaming_content)
    assert full.startswith(b"\xff\xd8") and len(thumb) < len(full)


def test_a_new_picture_gets_a_new_url(alice_api):
    first = alice_api.patch(
        "/api/v1/users/me/", {"profile_picture": upload(image_bytes())}, format="multipart"
    ).data["profile_picture"]

    second = alice_api.patch(
        "/api/v1/users/me/", {"profile_picture": upload(image_bytes())}, format="multipart"
    ).data["profile_picture"]

    assert first != second


def test_patch_me_with_a_fake_image_is_400(alice_api, alice):
    response = alice_api.patch(
        "/api/v1/users/me/",
        {"profile_picture": upload(b"GIF89a but not really", name="x.gif")},
        format="multipart",
    )

    assert response.status_code == 400
    assert "profile_picture" in response.data
    alice.refresh_from_db()
    assert not alice.profile_picture


def test_patch_me_with_an_oversized_picture_is_413(alice_api, settings):
    settings.MAX_UPLOAD_SIZE = 500

    response = alice_api.patch(
        "/api/v1/users/me/", {"profile_picture": upload(image_bytes())}, format="multipart"
    )

    assert response.status_code == 413
    assert "profile_picture" in response.data


def test_patch_me_null_picture_removes_it(alice_api, alice):
    services.update_profile(alice, picture=upload(image_bytes()))

    response = alice_api.patch("/api/v1/users/me/", {"profile_picture": None}, format="json")

    assert response.status_code == 200
    assert response.data["profile_picture"] is None


def test_put_me_is_not_allowed(alice_api):
    assert alice_api.put("/api/v1/users/me/", {"name": "X"}).status_code == 405


# --- profile pictures ---------------------------------------------------------------------------


def test_picture_needs_authentication(api_client, alice):
    services.update_profile(alice, picture=upload(image_bytes()))

    assert api_client.get(f"/users/{alice.id}/picture/").status_code == 401


def test_picture_of_a_user_without_one_is_404(bob_api, alice, bob):
    services.add_contact(bob, contact_user=alice)

    assert bob_api.get(f"/users/{alice.id}/picture/").status_code == 404


def test_picture_of_a_stranger_is_404(mallory_api, alice):
    services.update_profile(alice, picture=upload(image_bytes()))

    assert mallory_api.get(f"/users/{alice.id}/picture/").status_code == 404
    assert mallory_api.get(f"/users/{alice.id}/picture/?thumb=1").status_code == 404


def test_picture_is_served_to_a_browser_asking_for_images(alice, bob):
    services.update_profile(alice, picture=upload(image_bytes()))
    services.add_contact(bob, contact_user=alice)
    client = APIClient()
    client.force_login(bob)

    response = client.get(f"/users/{alice.id}/picture/?thumb=1", HTTP_ACCEPT="image/avif,image/*")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"


def test_media_are_not_served_publicly(client, alice):
    services.update_profile(alice, picture=upload(image_bytes()))

    assert client.get(f"/media/{alice.profile_picture.name}").status_code == 404


# --- users/{id}/ and users/?phone_number= -------------------------------------------------------


def test_another_users_public_profile(alice_api, alice, bob):
    services.add_contact(alice, contact_user=bob)

    response = alice_api.get(f"/api/v1/users/{bob.id}/")

    assert response.status_code == 200
    assert set(response.data) == PROFILE_FIELDS
    assert response.data["phone_number"] == bob.phone_number
    assert response.data["status"] == bob.status


def test_a_strangers_profile_is_404_like_an_id_nobody_has(mallory_api, alice):
    stranger = mallory_api.get(f"/api/v1/users/{alice.id}/")
    nobody = mallory_api.get("/api/v1/users/999999/")

    assert stranger.status_code == nobody.status_code == 404
    assert stranger.json() == nobody.json()
    assert alice.phone_number not in stranger.content.decode()


def test_walking_ids_finds_no_numbers(mallory_api, make_user):
    users = [make_user() for _ in range(5)]

    answers = [mallory_api.get(f"/api/v1/users/{user.id}/").status_code for user in users]

    assert answers == [404] * 5


def make_known(how: str, alice, bob) -> None:
    """Make Bob known to Alice in one of the ways the rule allows."""
    if how == "my contact":
        services.add_contact(alice, contact_user=bob)
    elif how == "has me as a contact":
        services.add_contact(bob, contact_user=alice)
    elif how == "wrote to me":
        chat_services.send_message(bob, receiver=alice, content="hi")
    elif how == "called me":
        call_services.start_call(bob, receiver=alice, call_type="voice")
    elif how == "shares a group":
        carol = services.register_user(phone_number="+14155550103", name="Carol", password=PASSWORD)
        services.add_contact(carol, contact_user=alice)
        services.add_contact(carol, contact_user=bob)
        group_services.create_group(carol, name="Hikers", members=[alice, bob])


KNOWN_WAYS = ["my contact", "has me as a contact", "wrote to me", "called me", "shares a group"]


@pytest.mark.parametrize("how", KNOWN_WAYS)
def test_a_profile_and_picture_are_shown_to_who_knows_the_user(alice_api, alice, bob, how):
    services.update_profile(bob, picture=upload(image_bytes()))
    make_known(how, alice, bob)

    profile = alice_api.get(f"/api/v1/users/{bob.id}/")
    picture = alice_api.get(f"/users/{bob.id}/picture/")

    assert profile.status_code == 200
    assert profile.data["phone_number"] == bob.phone_number
    assert picture.status_code == 200


def test_writing_to_or_calling_a_stranger_does_not_show_their_profile(mallory_api, mallory, alice):
    chat_services.send_message(mallory, receiver=alice, content="hi")
    call_services.start_call(mallory, receiver=alice, call_type="voice")

    assert mallory_api.get(f"/api/v1/users/{alice.id}/").status_code == 404
    assert mallory_api.get(f"/users/{alice.id}/picture/").status_code == 404


def test_status_is_hidden_from_someone_the_user_blocked(alice_api, alice, bob):
    services.update_profile(bob, picture=upload(image_bytes()))
    services.add_contact(alice, contact_user=bob)
    services.block_user(bob, blocked=alice)

    response = alice_api.get(f"/api/v1/users/{bob.id}/")

    assert response.data["status"] is None
    assert response.data["profile_picture"] is not None


def test_status_stays_visible_to_the_blocker(bob_api, alice, bob):
    services.block_user(bob, blocked=alice)

    assert bob_api.get(f"/api/v1/users/{alice.id}/").data["status"] == alice.status


def test_unknown_or_deactivated_user_is_404(alice_api, alice, bob):
    services.add_contact(alice, contact_user=bob)
    bob.is_active = False
    bob.save()

    assert alice_api.get(f"/api/v1/users/{bob.id}/").status_code == 404
    assert alice_api.get("/api/v1/users/999999/").status_code == 404


def test_cannot_change_another_users_profile(alice_api, bob):
    response = alice_api.patch(f"/api/v1/users/{bob.id}/", {"name": "Pwned"})

    assert response.status_code == 405
    bob.refresh_from_db()
    assert bob.name == "Bob"


def test_lookup_by_phone_number_normalises_it(alice_api, bob):
    response = alice_api.get("/api/v1/users/", {"phone_number": "(415) 555-0102"})

    assert response.status_code == 200
    assert [row["user_id"] for row in response.data["results"]] == [bob.id]
    assert {"next", "previous", "results"} <= set(response.data)


def test_lookup_of_an_unused_number_is_an_empty_page(alice_api):
    response = alice_api.get("/api/v1/users/", {"phone_number": "+14155550177"})

    assert response.status_code == 200
    assert response.data["results"] == []


def test_lookup_of_a_malformed_number_is_400(alice_api):
    response = alice_api.get("/api/v1/users/", {"phone_number": "xyz"})

    assert response.status_code == 400
    assert "phone_number" in response.data


def test_lookup_without_a_number_is_400_not_a_directory(alice_api, bob):
    response = alice_api.get("/api/v1/users/")

    assert response.status_code == 400


def test_lookups_by_number_are_throttled_per_user_with_retry_after(
    alice_api, bob_api, bob, settings
):
    settings.PHONE_LOOKUP_RATE = "3/h"
    for i in range(3):
        response = alice_api.get("/api/v1/users/", {"phone_number": f"+1415555017{i}"})
        assert response.status_code == 200

    refused = alice_api.get("/api/v1/users/", {"phone_number": bob.phone_number})
    someone_else = bob_api.get("/api/v1/users/", {"phone_number": bob.phone_number})

    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert bob.phone_number not in refused.content.decode()
    assert someone_else.status_code == 200


def test_adding_contacts_by_number_shares_the_lookup_limit(alice_api, alice, bob, settings):
    settings.PHONE_LOOKUP_RATE = "2/h"
    alice_api.get("/api/v1/users/", {"phone_number": "+14155550177"})
    alice_api.post("/api/v1/contacts/", {"phone_number": "+14155550178"})

    refused = alice_api.post("/api/v1/contacts/", {"phone_number": bob.phone_number})

    assert refused.status_code == 429
    assert "Retry-After" in refused
    assert not Contact.objects.filter(user=alice, contact_user=bob).exists()


# --- contacts/ ----------------------------------------------------------------------------------


def test_add_contact_by_phone_number(alice_api, alice, bob):
    response = alice_api.post("/api/v1/contacts/", {"phone_number": "4155550102"})

    assert response.status_code == 201
    assert response.data["contact_user"]["user_id"] == bob.id
    assert set(response.data) == {"contact_id", "contact_user", "added_at", "is_blocked"}
    assert Contact.objects.filter(user=alice, contact_user=bob).exists()


def test_add_contact_by_user_id(alice_api, alice, bob):
    chat_services.send_message(bob, receiver=alice, content="hi, save my number")

    response = alice_api.post("/api/v1/contacts/", {"contact_user_id": bob.id})

    assert response.status_code == 201
    assert response.data["contact_user"]["phone_number"] == bob.phone_number


def test_add_a_stranger_by_user_id_is_the_400_of_an_id_nobody_has(mallory_api, mallory, alice):
    chat_services.send_message(mallory, receiver=alice, content="hi")

    stranger = mallory_api.post("/api/v1/contacts/", {"contact_user_id": alice.id})
    nobody = mallory_api.post("/api/v1/contacts/", {"contact_user_id": 999999})

    assert stranger.status_code == nobody.status_code == 400
    assert stranger.json() == nobody.json()
    assert alice.phone_number not in stranger.content.decode()
    assert not Contact.objects.filter(user=mallory).exists()


@pytest.mark.parametrize(
    "body",
    [
        {"phone_number": "+14155550101"},  # alice herself
        {"phone_number": "+14155550177"},  # nobody
        {"phone_number": "not a phone"},
        {"contact_user_id": 999999},
        {},
        {"phone_number": "+14155550102", "contact_user_id": 1},
    ],
)
def test_add_contact_bad_requests_are_400(alice_api, bob, body):
    response = alice_api.post("/api/v1/contacts/", body, format="json")

    assert response.status_code == 400
    assert not Contact.objects.exists()


def test_add_contact_twice_is_400(alice_api, bob):
    alice_api.post("/api/v1/contacts/", {"phone_number": bob.phone_number})

    response = alice_api.post("/api/v1/contacts/", {"contact_user_id": bob.id})

    assert response.status_code == 400
    assert "already" in response.data["phone_number"][0]


def test_contacts_list_shows_only_mine(alice_api, alice, bob, carol, mallory):
    services.add_contact(alice, contact_user=bob)
    services.add_contact(mallory, contact_user=carol)

    response = alice_api.get("/api/v1/contacts/")

    assert response.status_code == 200
    assert [row["contact_user"]["user_id"] for row in response.data["results"]] == [bob.id]


def test_contacts_list_hides_status_of_contacts_who_blocked_me(alice_api, alice, bob, carol):
    services.add_contact(alice, contact_user=bob)
    services.add_contact(alice, contact_user=carol)
    services.block_user(bob, blocked=alice)
    services.block_user(alice, blocked=carol)

    rows = {
        row["contact_user"]["name"]: row
        for row in alice_api.get("/api/v1/contacts/").data["results"]
    }

    assert rows["Bob"]["contact_user"]["status"] is None
    assert rows["Bob"]["is_blocked"] is False
    assert rows["Carol"]["contact_user"]["status"] == carol.status
    assert rows["Carol"]["is_blocked"] is True


def test_contacts_list_query_count_does_not_grow(
    alice_api, alice, make_user, django_assert_num_queries
):
    numbers = iter(range(2000, 2100))

    def add(count):
        for _ in range(count):
            other = make_user(phone_number=f"+1415555{next(numbers)}")
            services.add_contact(alice, contact_user=other)

    add(2)
    # token, page count, page, who blocked me
    with django_assert_num_queries(4) as small:
        assert len(alice_api.get("/api/v1/contacts/").data["results"]) == 2
    add(5)
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(alice_api.get("/api/v1/contacts/").data["results"]) == 7


def test_delete_own_contact(alice_api, alice, bob):
    contact = services.add_contact(alice, contact_user=bob)

    response = alice_api.delete(f"/api/v1/contacts/{contact.id}/")

    assert response.status_code == 204
    assert not Contact.objects.exists()


def test_cannot_read_or_delete_another_users_contact(mallory_api, alice, bob):
    contact = services.add_contact(alice, contact_user=bob)

    assert mallory_api.get(f"/api/v1/contacts/{contact.id}/").status_code == 404
    assert mallory_api.delete(f"/api/v1/contacts/{contact.id}/").status_code == 404
    assert Contact.objects.filter(id=contact.id).exists()


def test_contacts_need_authentication(api_client, db):
    assert api_client.get("/api/v1/contacts/").status_code == 401
    assert api_client.post("/api/v1/contacts/", {"contact_user_id": 1}).status_code == 401


# --- blocks/ ------------------------------------------------------------------------------------


def test_block_a_user(alice_api, alice, bob):
    chat_services.send_message(bob, receiver=alice, content="spam")

    response = alice_api.post("/api/v1/blocks/", {"user_id": bob.id})

    assert response.status_code == 201
    assert response.data["user_id"] == bob.id
    assert response.data["user"]["name"] == "Bob"
    assert Block.objects.filter(blocker=alice, blocked=bob).exists()


def test_blocking_twice_keeps_one_block(alice_api, alice, bob):
    services.add_contact(alice, contact_user=bob)
    alice_api.post("/api/v1/blocks/", {"user_id": bob.id})

    response = alice_api.post("/api/v1/blocks/", {"user_id": bob.id})

    assert response.status_code == 201
    assert Block.objects.count() == 1


def test_block_oneself_or_nobody_is_400(alice_api, alice):
    assert alice_api.post("/api/v1/blocks/", {"user_id": alice.id}).status_code == 400
    assert alice_api.post("/api/v1/blocks/", {"user_id": 999999}).status_code == 400
    assert alice_api.post("/api/v1/blocks/", {}).status_code == 400


def test_blocking_a_stranger_by_id_is_the_400_of_an_id_nobody_has(mallory_api, mallory, alice):
    stranger = mallory_api.post("/api/v1/blocks/", {"user_id": alice.id})
    nobody = mallory_api.post("/api/v1/blocks/", {"user_id": 999999})

    assert stranger.status_code == nobody.status_code == 400
    assert stranger.json() == nobody.json()
    assert alice.phone_number not in stranger.content.decode()
    assert not Block.objects.exists()


def test_blocks_list_shows_only_who_i_blocked(alice_api, alice, bob, carol):
    services.block_user(alice, blocked=bob)
    services.block_user(carol, blocked=alice)

    response = alice_api.get("/api/v1/blocks/")

    assert [row["user_id"] for row in response.data["results"]] == [bob.id]


def test_unblock(alice_api, alice, bob):
    services.block_user(alice, blocked=bob)

    response = alice_api.delete(f"/api/v1/blocks/{bob.id}/")

    assert response.status_code == 204
    assert not Block.objects.exists()


def test_unblock_someone_not_blocked_is_404(alice_api, bob):
    assert alice_api.delete(f"/api/v1/blocks/{bob.id}/").status_code == 404


def test_cannot_lift_someone_elses_block(mallory_api, alice, bob):
    services.block_user(alice, blocked=bob)

    assert mallory_api.delete(f"/api/v1/blocks/{bob.id}/").status_code == 404
    assert Block.objects.exists()


# --- schema -------------------------------------------------------------------------------------


def test_schema_documents_the_accounts_endpoints(alice_api):
    response = alice_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    paths = response.json()["paths"]
    for path in (
        "/api/v1/auth/register/",
        "/api/v1/auth/token/",
        "/api/v1/users/",
        "/api/v1/users/me/",
        "/api/v1/users/{user_id}/",
        "/api/v1/contacts/",
        "/api/v1/contacts/{contact_id}/",
        "/api/v1/blocks/",
        "/api/v1/blocks/{user_id}/",
    ):
        assert path in paths
    assert "429" in paths["/api/v1/auth/token/"]["post"]["responses"]


def test_token_client_fixture_still_authenticates(alice):
    assert token_client(alice).get("/api/v1/users/me/").status_code == 200
