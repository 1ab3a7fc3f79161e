"""POST / GET /api/v1/reports/, the OpenAPI schema, and log-in refused to suspended accounts."""

import pytest
from rest_framework.test import APIClient

from moderation import services
from moderation.models import Report
from tests.conftest import PASSWORD, token_client
from tests.moderation.conftest import known_to

URL = "/api/v1/reports/"


def test_reporting_a_message_answers_201_with_the_report(alice_api, alice, message):
    response = alice_api.post(
        URL,
        {"kind": "message", "target_id": message.id, "reason": "spam", "note": "scam"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    report = Report.objects.get()
    assert body == {
        "report_id": report.id,
        "kind": "message",
        "target_id": message.id,
        "reason": "spam",
        "note": "scam",
        "blocked": False,
        "status": "open",
        "created_at": body["created_at"],
        "resolved_at": None,
        "snapshot_count": 1,
    }
    assert report.reporter == alice


def test_reporting_a_user_with_block_blocks_them(alice_api, alice, bob, friends):
    response = alice_api.post(
        URL, {"kind": "user", "target_id": bob.id, "reason": "harassment", "block": True}
    )

    assert response.status_code == 201
    assert response.json()["blocked"] is True
    assert alice.blocks_made.filter(blocked=bob).exists()


def test_what_i_cannot_see_is_404(mallory_api, message, group, group_message, story):
    for kind, target_id in [
        ("message", message.id),
        ("group", group.id),
        ("group_message", group_message.id),
        ("story", story.id),
    ]:
        response = mallory_api.post(URL, {"kind": kind, "target_id": target_id, "reason": "spam"})

        assert response.status_code == 404, kind
        assert response.json()["code"] == "not_found"
    assert not Report.objects.exists()


def test_bad_input_is_400_on_the_field(alice_api, bob):
    response = alice_api.post(URL, {"kind": "call", "target_id": bob.id, "reason": "meh"})

    assert response.status_code == 400
    assert set(response.json()) >= {"kind", "reason"}


def test_reporting_my_own_message_is_400(bob_api, message):
    response = bob_api.post(URL, {"kind": "message", "target_id": message.id, "reason": "spam"})

    assert response.status_code == 400
    assert response.json()["code"] == "own_content"


def test_reporting_twice_is_409(alice_api, message):
    data = {"kind": "message", "target_id": message.id, "reason": "spam"}
    alice_api.post(URL, data)

    response = alice_api.post(URL, data)

    assert response.status_code == 409
    assert response.json()["code"] == "already_reported"


def test_flooding_reports_is_429_with_retry_after(alice_api, alice, make_user, settings):
    settings.REPORTS_PER_HOUR = 3
    others = [known_to(alice, make_user()) for _ in range(4)]
    for other in others[:3]:
        assert (
            alice_api.post(URL, {"kind": "user", "target_id": other.id, "reason": "spam"})
        ).status_code == 201

    response = alice_api.post(URL, {"kind": "user", "target_id": others[3].id, "reason": "spam"})

    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert 0 < int(response["Retry-After"]) <= 3600
    assert Report.objects.count() == 3


def test_i_list_only_my_own_reports(alice_api, alice, bob, carol, friends, message):
    services.create_report(alice, kind="message", target_id=message.id, reason="spam")
    services.create_report(carol, kind="user", target_id=known_to(carol, bob).id, reason="abuse")

    response = alice_api.get(URL)

    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["kind"], r["target_id"]) for r in results] == [("message", message.id)]


def test_reports_need_authentication(db):
    assert (
        APIClient().post(URL, {"kind": "user", "target_id": 1, "reason": "spam"}).status_code == 401
    )


def test_the_schema_documents_reports(alice_api):
    response = alice_api.get("/api/schema/?format=json")

    assert response.status_code == 200
    operations = response.json()["paths"]["/api/v1/reports/"]
    assert {"get", "post"} <= set(operations)
    assert "429" in operations["post"]["responses"]


@pytest.fixture
def suspended_bob(bob, make_user):
    moderator = make_user("Mod")
    moderator.is_staff = True
    moderator.is_superuser = True
    moderator.save()
    services.suspend_user(moderator, user=bob, reason="spam")
    return bob


def test_a_suspended_user_gets_no_token_and_is_told_why(api_client, suspended_bob):
    response = api_client.post(
        "/api/v1/auth/token/", {"phone_number": suspended_bob.phone_number, "password": PASSWORD}
    )

    assert response.status_code == 403
    assert response.json() == {
        "detail": "This account has been suspended.",
        "code": "account_suspended",
    }


def test_a_wrong_password_does_not_reveal_a_suspension(api_client, suspended_bob):
    response = api_client.post(
        "/api/v1/auth/token/", {"phone_number": suspended_bob.phone_number, "password": "nope-nope"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"


def test_a_suspended_users_old_token_stops_working(bob):
    client = token_client(bob)
    moderator = type(bob).objects.create_superuser("+14155550950", "pw-123456789", name="Root")

    services.suspend_user(moderator, user=bob, reason="spam")

    assert client.get("/api/v1/users/me/").status_code == 401


def test_listing_my_reports_costs_the_same_queries_for_few_or_many(
    alice_api, alice, make_user, settings, django_assert_num_queries
):
    settings.REPORTS_PER_HOUR = 100

    def add(count):
        for _ in range(count):
            target = known_to(alice, make_user())
            services.create_report(alice, kind="user", target_id=target.id, reason="spam")

    add(2)
    with django_assert_num_queries(3) as few:
        alice_api.get(URL)
    add(10)

    with django_assert_num_queries(len(few.captured_queries)):
        alice_api.get(URL)
