"""REST: GET/POST /api/v1/calls/ and POST .../answer/, decline/, end/."""

import pytest
from rest_framework.test import APIClient

from accounts import services as account_services
from calls import services
from calls.api import CallLogPagination
from calls.models import Call

LOG = "/api/v1/calls/"

CALL_FIELDS = {
    "call_id",
    "caller_id",
    "receiver_id",
    "caller",
    "receiver",
    "call_type",
    "status",
    "call_started_at",
    "call_ended_at",
    "created_at",
    "duration_seconds",
}


def action(call, name):
    return f"/api/v1/calls/{call.id if hasattr(call, 'id') else call}/{name}/"


def test_start_call_returns_the_ringing_call(alice_api, alice, bob):
    response = alice_api.post(LOG, {"receiver_id": bob.id, "call_type": "video"})

    assert response.status_code == 201
    body = response.json()
    assert set(body) == CALL_FIELDS
    assert body["caller_id"] == alice.id
    assert body["receiver_id"] == bob.id
    # No number: calling an id must not tell the caller whose number it is (docs/accounts.md).
    assert body["receiver"] == {"user_id": bob.id, "name": "Bob", "profile_picture": None}
    assert body["status"] == "ringing"
    assert body["call_type"] == "video"
    assert body["call_started_at"] is None
    assert body["duration_seconds"] is None
    assert Call.objects.get(pk=body["call_id"]).status == Call.Status.RINGING


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"call_type": "voice"}, "receiver_id"),
        ({"receiver_id": 999999, "call_type": "voice"}, "receiver_id"),
        ({"receiver_id": "BOB", "call_type": "voice"}, "receiver_id"),
        ({"receiver_id": "BOB_ID", "call_type": "fax"}, "call_type"),
        ({"receiver_id": "ALICE_ID", "call_type": "voice"}, "receiver_id"),
    ],
)
def test_start_call_rejects_bad_input(alice_api, alice, bob, payload, field):
    payload = {
        key: {"BOB_ID": bob.id, "ALICE_ID": alice.id}.get(value, value)
        for key, value in payload.items()
    }

    response = alice_api.post(LOG, payload)

    assert response.status_code == 400
    assert field in response.json()
    assert not Call.objects.exists()


def test_blocked_caller_gets_403_blocked(alice_api, alice, bob):
    account_services.block_user(bob, blocked=alice)

    response = alice_api.post(LOG, {"receiver_id": bob.id, "call_type": "voice"})

    assert response.status_code == 403
    assert response.json()["code"] == "blocked"


def test_calling_a_busy_user_gets_409_busy(carol_api, ringing_call, bob):
    response = carol_api.post(LOG, {"receiver_id": bob.id, "call_type": "voice"})

    assert response.status_code == 409
    assert response.json()["code"] == "busy"


def test_receiver_answers(bob_api, ringing_call):
    response = bob_api.post(action(ringing_call, "answer"))

    assert response.status_code == 200
    assert response.json()["status"] == "answered"
    assert response.json()["call_started_at"] is not None


def test_caller_cannot_answer(alice_api, ringing_call):
    response = alice_api.post(action(ringing_call, "answer"))

    assert response.status_code == 403


def test_answering_twice_is_a_conflict(bob_api, answered_call):
    response = bob_api.post(action(answered_call, "answer"))

    assert response.status_code == 409
    assert response.json()["code"] == "not_ringing"


def test_receiver_declines(bob_api, ringing_call):
    response = bob_api.post(action(ringing_call, "decline"))

    assert response.status_code == 200
    assert response.json()["status"] == "declined"


def test_caller_cannot_decline(alice_api, ringing_call):
    response = alice_api.post(action(ringing_call, "decline"))

    assert response.status_code == 403


def test_either_party_hangs_up(alice_api, answered_call):
    response = alice_api.post(action(answered_call, "end"))

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ended"
    assert body["call_ended_at"] is not None
    assert body["duration_seconds"] == 0


def test_hanging_up_twice_is_a_conflict(bob_api, ended_call):
    response = bob_api.post(action(ended_call, "end"))

    assert response.status_code == 409
    assert response.json()["code"] == "not_active"


@pytest.mark.parametrize("name", ["answer", "decline", "end"])
def test_strangers_get_404_for_someone_elses_call(carol_api, ringing_call, name):
    response = carol_api.post(action(ringing_call, name))

    assert response.status_code == 404
    assert Call.objects.get(pk=ringing_call.pk).status == Call.Status.RINGING


@pytest.mark.parametrize("name", ["answer", "decline", "end"])
def test_unknown_call_is_404(alice_api, name):
    response = alice_api.post(action(999999, name))

    assert response.status_code == 404


def test_anonymous_requests_are_401(api_client, ringing_call):
    assert api_client.get(LOG).status_code == 401
    assert api_client.post(action(ringing_call, "end")).status_code == 401


def test_log_lists_my_calls_in_both_directions_newest_first(
    alice_api, alice, bob, carol, mallory, ended_call
):
    incoming = services.start_call(carol, receiver=alice, call_type=Call.CallType.VIDEO)
    services.start_call(bob, receiver=mallory, call_type=Call.CallType.VOICE)  # not alice's

    response = alice_api.get(LOG)

    assert response.status_code == 200
    body = response.json()
    assert {"next", "previous", "results"} <= set(body)
    assert [row["call_id"] for row in body["results"]] == [incoming.id, ended_call.id]
    assert body["results"][1]["status"] == "ended"


def test_log_marks_calls_rung_out_as_missed(bob_api, ringing_call, ring_for):
    ring_for(ringing_call, 60)

    response = bob_api.get(LOG)

    assert response.json()["results"][0]["status"] == "missed"


def test_log_is_cursor_paginated(alice_api, alice, bob, monkeypatch):
    monkeypatch.setattr(CallLogPagination, "page_size", 2)
    made = []
    for _ in range(3):
        call = services.start_call(alice, receiver=bob, call_type="voice")
        made.append(services.end_call(alice, call=call).id)

    first = alice_api.get(LOG).json()
    second = alice_api.get(first["next"]).json()

    assert [row["call_id"] for row in first["results"]] == made[:0:-1]
    assert [row["call_id"] for row in second["results"]] == made[:1]
    assert second["next"] is None
    assert second["previous"] is not None


def test_log_query_count_does_not_grow_with_calls(
    alice_api, alice, make_user, django_assert_num_queries
):
    numbers = iter(range(2000, 2100))

    def add_calls(count):
        for _ in range(count):
            peer = make_user(phone_number=f"+1415555{next(numbers)}")
            call = services.start_call(peer, receiver=alice, call_type="voice")
            services.end_call(alice, call=services.answer_call(alice, call=call))

    add_calls(2)
    with django_assert_num_queries(3) as small:  # token, stale-call check, page
        alice_api.get(LOG)
    add_calls(8)
    with django_assert_num_queries(len(small.captured_queries)):
        response = alice_api.get(LOG)

    assert len(response.json()["results"]) == 10


def test_browser_session_needs_the_csrf_token(alice, bob):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get("/calls/")  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value

    refused = client.post(LOG, {"receiver_id": bob.id, "call_type": "voice"}, format="json")
    accepted = client.post(
        LOG, {"receiver_id": bob.id, "call_type": "voice"}, format="json", HTTP_X_CSRFTOKEN=token
    )

    assert refused.status_code == 403
    assert accepted.status_code == 201


def test_calling_too_often_is_429_with_retry_after(alice_api, bob, call_rate):
    call_rate("2/min")
    for _ in range(2):
        started = alice_api.post(LOG, {"receiver_id": bob.id, "call_type": "voice"})
        alice_api.post(action(started.json()["call_id"], "end"))

    response = alice_api.post(LOG, {"receiver_id": bob.id, "call_type": "voice"})

    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert Call.objects.count() == 2


def test_a_stranger_ringing_does_not_make_a_contacts_call_busy(alice, bob, mallory_api, bob_api):
    account_services.add_contact(alice, contact_user=bob)

    stranger = mallory_api.post(LOG, {"receiver_id": alice.id, "call_type": "voice"})
    contact = bob_api.post(LOG, {"receiver_id": alice.id, "call_type": "video"})

    assert stranger.status_code == 201
    assert contact.status_code == 201
    assert contact.json()["status"] == "ringing"
