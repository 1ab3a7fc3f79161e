"""REST endpoints of 1:1 chats: inbox, history, send, forward, read."""

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import services as account_services
from chats import services
from chats.models import Message
from tests.chats.conftest import connect, receive_until
from tests.chats.test_selectors import group_with, make_inbox
from tests.conftest import token_client
from whatsapp.realtime import user_group

pytestmark = pytest.mark.django_db

CHATS = "/api/v1/chats/"
MESSAGES = "/api/v1/messages/"
READ = "/api/v1/messages/read/"


def forward_url(message_id: int) -> str:
    return f"/api/v1/messages/{message_id}/forward/"


MESSAGE_FIELDS = {
    "message_id",
    "sender_id",
    "receiver_id",
    "content",
    "sent_at",
    "delivered_at",
    "read_at",
    "forwarded_from_message_id",
    "forwarded",
    "forwarded_many_times",
    "client_id",
    "removed",
    "media",
    "reactions",
    "edited_at",
    "deleted",
    "deleted_at",
    "reply_to",
    "starred",
}


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", CHATS), ("get", MESSAGES + "?with=1"), ("post", MESSAGES), ("post", READ)],
)
def test_every_endpoint_needs_authentication(api_client, method, url):
    response = getattr(api_client, method)(url, {})

    assert response.status_code == 401


# --- POST messages/ ------------------------------------------------------------------------


def test_sending_returns_201_with_the_message(alice_api, alice, bob):
    response = alice_api.post(MESSAGES, {"receiver_id": bob.id, "content": "Hi", "client_id": "a"})

    assert response.status_code == 201
    body = response.json()
    assert set(body) == MESSAGE_FIELDS
    assert body["sender_id"] == alice.id and body["receiver_id"] == bob.id
    assert body["content"] == "Hi" and body["client_id"] == "a"
    assert body["sent_at"].endswith("Z")
    assert body["delivered_at"] is None and body["read_at"] is None
    assert body["forwarded"] is False and body["media"] == [] and body["removed"] is False
    assert Message.objects.get().id == body["message_id"]


def test_a_send_over_rest_is_pushed_like_a_socket_send(
    alice_api, alice, bob, pushes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_api.post(MESSAGES, {"receiver_id": bob.id, "content": "Hi"})

    assert sorted(pushes.groups("message.new")) == [user_group(alice.id), user_group(bob.id)]
    # The frame is the REST body but for `starred`, which REST alone adds (for the caller).
    body = response.json()
    assert body.pop("starred") is False
    assert pushes.frames("message.new", user=bob)[0]["message"] == body


def test_the_same_client_id_returns_the_same_message_and_stores_nothing(alice_api, bob):
    payload = {"receiver_id": bob.id, "content": "once", "client_id": "dup-1"}

    first = alice_api.post(MESSAGES, payload)
    second = alice_api.post(MESSAGES, payload)

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert Message.objects.count() == 1


def test_a_client_id_reused_for_another_message_is_409(alice_api, bob):
    alice_api.post(MESSAGES, {"receiver_id": bob.id, "content": "one", "client_id": "k"})

    response = alice_api.post(MESSAGES, {"receiver_id": bob.id, "content": "two", "client_id": "k"})

    assert response.status_code == 409
    assert response.json()["code"] == "client_id_conflict"


def test_sending_to_someone_who_blocked_you_is_403(alice_api, alice, bob):
    account_services.block_user(bob, blocked=alice)

    response = alice_api.post(MESSAGES, {"receiver_id": bob.id, "content": "hi"})

    assert response.status_code == 403
    assert response.json()["code"] == "blocked"
    assert Message.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"content": "hi"}, "receiver_id"),
        ({"receiver_id": 999_999, "content": "hi"}, "receiver_id"),
        ({"receiver_id": "abc", "content": "hi"}, "receiver_id"),
        ({"receiver_id": "BOB", "content": "   "}, "content"),
        ({"receiver_id": "BOB"}, "content"),
        ({"receiver_id": "BOB", "content": "x" * 65_537}, "content"),
        ({"receiver_id": "BOB", "content": "hi", "client_id": "x" * 65}, "client_id"),
    ],
)
def test_invalid_sends_are_400_and_store_nothing(alice_api, bob, payload, field):
    payload = {k: bob.id if v == "BOB" else v for k, v in payload.items()}

    response = alice_api.post(MESSAGES, payload)

    assert response.status_code == 400
    assert field in response.json()
    assert Message.objects.count() == 0


def test_a_multipart_send_attaches_files(alice_api, bob):
    upload = SimpleUploadedFile("notes.txt", b"hello there\n", content_type="text/plain")

    response = alice_api.post(
        MESSAGES, {"receiver_id": bob.id, "content": "", "files": [upload]}, format="multipart"
    )

    assert response.status_code == 201, response.json()
    [media] = response.json()["media"]
    assert media["file_type"] == "text/plain" and media["original_name"] == "notes.txt"


# --- GET messages/?with= -------------------------------------------------------------------


def test_history_is_newest_first_and_cursor_paginated(alice_api, alice, bob):
    sent = [services.send_message(alice, receiver=bob, content=str(i)) for i in range(5)]

    first = alice_api.get(MESSAGES, {"with": bob.id, "page_size": 2}).json()
    second = alice_api.get(first["next"]).json()
    third = alice_api.get(second["next"]).json()

    assert [m["content"] for m in first["results"]] == ["4", "3"]
    assert [m["content"] for m in second["results"]] == ["2", "1"]
    assert [m["content"] for m in third["results"]] == ["0"]
    assert third["next"] is None and first["previous"] is None
    assert {m["message_id"] for m in first["results"] + second["results"] + third["results"]} == {
        m.id for m in sent
    }


def test_new_messages_do_not_shift_the_older_pages(alice_api, alice, bob):
    for i in range(4):
        services.send_message(alice, receiver=bob, content=str(i))
    first = alice_api.get(MESSAGES, {"with": bob.id, "page_size": 2}).json()

    services.send_message(bob, receiver=alice, content="new")
    second = alice_api.get(first["next"]).json()

    assert [m["content"] for m in second["results"]] == ["1", "0"]


def test_history_returned_to_the_receiver_is_marked_delivered(
    bob_api, alice, bob, pushes, django_capture_on_commit_callbacks
):
    message = services.send_message(alice, receiver=bob, content="hi")

    with django_capture_on_commit_callbacks(execute=True):
        body = bob_api.get(MESSAGES, {"with": alice.id}).json()

    assert body["results"][0]["delivered_at"] is not None
    message.refresh_from_db()
    assert message.delivered_at is not None
    assert pushes.frames("message.status", user=alice)[0]["message_id"] == message.id


def test_history_read_by_the_sender_marks_nothing(alice_api, alice, bob):
    message = services.send_message(alice, receiver=bob, content="hi")

    alice_api.get(MESSAGES, {"with": bob.id})

    message.refresh_from_db()
    assert message.delivered_at is None


@pytest.mark.parametrize(("query", "status"), [({}, 400), ({"with": "x"}, 400), ({"with": 0}, 400)])
def test_history_needs_a_valid_with(alice_api, query, status):
    response = alice_api.get(MESSAGES, query)

    assert response.status_code == status
    assert "with" in response.json()


def test_history_with_an_unknown_user_is_404(alice_api):
    assert alice_api.get(MESSAGES, {"with": 999_999}).status_code == 404


def test_a_non_participant_sees_nothing_of_a_conversation(mallory_api, alice, bob):
    services.send_message(alice, receiver=bob, content="private")

    body = mallory_api.get(MESSAGES, {"with": alice.id}).json()

    assert body["results"] == []


# History: the token and user, the peer, the page (hidden ones left out), its media, its
# reactions, my stars among it, then the delivery receipt of what this page hands the receiver
# for the first time: the receivers' select and the update. (A page with replies: one more.)
HISTORY_QUERIES = 8


@pytest.mark.parametrize("size", [3, 30])
def test_the_history_query_count_stays_flat(bob_api, alice, bob, size, django_assert_num_queries):
    for i in range(size):
        services.send_message(alice, receiver=bob, content=str(i))
        services.send_message(bob, receiver=alice, content=f"re {i}")

    with django_assert_num_queries(HISTORY_QUERIES):
        response = bob_api.get(MESSAGES, {"with": alice.id, "page_size": 100})

    assert len(response.json()["results"]) == 2 * size


# --- GET chats/ ----------------------------------------------------------------------------


def test_the_inbox_lists_peers_and_groups_newest_first(alice_api, alice, bob, carol):
    services.send_message(carol, receiver=alice, content="from carol")
    group = group_with(alice, bob, name="Team", messages=[(bob, "standup?")])
    last = services.send_message(bob, receiver=alice, content="latest")

    body = alice_api.get(CHATS).json()

    assert set(body) >= {"next", "previous", "results", "count"}
    rows = body["results"]
    assert [row["kind"] for row in rows] == ["user", "group", "user"]
    first = rows[0]
    assert set(first) == {
        "kind",
        "peer",
        "group",
        "last_message",
        "unread_count",
        "last_activity_at",
    }
    assert first["peer"]["user_id"] == bob.id and first["group"] is None
    assert first["last_message"]["message_id"] == last.id
    assert first["unread_count"] == 1
    assert rows[1]["group"] == {"group_id": group.id, "group_name": "Team"}
    assert rows[1]["peer"] is None
    assert rows[1]["last_message"]["content"] == "standup?"
    assert rows[1]["unread_count"] == 1
    assert rows[2]["peer"]["name"] == "Carol"


def test_the_inbox_is_paginated(alice_api, alice, make_user):
    for i in range(3):
        services.send_message(make_user(f"P{i}"), receiver=alice, content=str(i))

    first = alice_api.get(CHATS, {"page_size": 2}).json()
    second = alice_api.get(first["next"]).json()

    assert first["count"] == 3
    assert [r["last_message"]["content"] for r in first["results"]] == ["2", "1"]
    assert [r["last_message"]["content"] for r in second["results"]] == ["0"]
    assert second["next"] is None


def test_the_inbox_shows_no_number_of_a_stranger_i_wrote_to_until_they_answer(
    mallory_api, mallory, alice
):
    services.send_message(mallory, receiver=alice, content="hi, who is this?")

    [before] = mallory_api.get(CHATS).json()["results"]
    services.send_message(alice, receiver=mallory, content="Alice. And you?")
    [after] = mallory_api.get(CHATS).json()["results"]

    assert before["peer"]["name"] == "Alice"
    assert before["peer"]["phone_number"] is None
    assert before["peer"]["status"] is None
    assert after["peer"]["phone_number"] == alice.phone_number


# The inbox over REST: the token and user, and the five of the selector: the ordering, the 1:1
# rows (the query also tells who blocked me, which hides their status) and their last messages'
# reactions, the group rows and theirs. No quoted message among them here: none is a reply.
INBOX_API_QUERIES = 6


@pytest.mark.parametrize("size", [3, 30])
def test_the_inbox_endpoint_query_count_stays_flat(
    alice_api, alice, make_user, size, django_assert_num_queries
):
    make_inbox(alice, make_user, size)

    with django_assert_num_queries(INBOX_API_QUERIES):
        response = alice_api.get(CHATS)

    assert len(response.json()["results"]) == size


# --- POST messages/{id}/forward/ -----------------------------------------------------------


def test_forwarding_creates_new_messages_for_each_receiver(alice_api, alice, bob, carol, mallory):
    original = services.send_message(bob, receiver=alice, content="news")

    response = alice_api.post(forward_url(original.id), {"receiver_ids": [carol.id, mallory.id]})

    assert response.status_code == 201
    copies = response.json()
    assert [c["receiver_id"] for c in copies] == [carol.id, mallory.id]
    for copy in copies:
        assert copy["forwarded_from_message_id"] == original.id
        assert copy["forwarded"] is True and copy["forwarded_many_times"] is False
        assert copy["content"] == "news" and copy["sender_id"] == alice.id


def test_forwarding_a_message_you_cannot_see_is_404(mallory_api, alice, bob, mallory):
    message = services.send_message(alice, receiver=bob, content="private")

    response = mallory_api.post(forward_url(message.id), {"receiver_ids": [mallory.id]})

    assert response.status_code == 404
    assert Message.objects.count() == 1


def test_forwarding_an_unknown_message_is_404(alice_api, bob):
    assert alice_api.post(forward_url(999_999), {"receiver_ids": [bob.id]}).status_code == 404


@pytest.mark.parametrize("receiver_ids", [[], [999_999], "nope", [1, 2, 3, 4, 5, 6]])
def test_forwarding_needs_valid_receivers(alice_api, alice, bob, receiver_ids, make_user):
    message = services.send_message(bob, receiver=alice, content="x")
    if receiver_ids == [1, 2, 3, 4, 5, 6]:
        receiver_ids = [make_user(f"R{i}").id for i in range(6)]

    response = alice_api.post(forward_url(message.id), {"receiver_ids": receiver_ids})

    assert response.status_code == 400
    assert "receiver_ids" in response.json()
    assert Message.objects.count() == 1


def test_forwarding_to_someone_who_blocked_you_is_403(alice_api, alice, bob, carol):
    message = services.send_message(bob, receiver=alice, content="x")
    account_services.block_user(carol, blocked=alice)

    response = alice_api.post(forward_url(message.id), {"receiver_ids": [carol.id]})

    assert response.status_code == 403
    assert Message.objects.count() == 1


# --- POST messages/read/ -------------------------------------------------------------------


def test_marking_a_chat_read(bob_api, alice, bob, pushes, django_capture_on_commit_callbacks):
    sent = [services.send_message(alice, receiver=bob, content=str(i)) for i in range(2)]

    with django_capture_on_commit_callbacks(execute=True):
        response = bob_api.post(READ, {"with": alice.id})

    assert response.status_code == 200
    assert response.json() == {"read_count": 2, "message_ids": [m.id for m in sent]}
    assert Message.objects.filter(read_at=None).count() == 0
    assert Message.objects.filter(delivered_at=None).count() == 0
    assert len(pushes.frames("message.status", user=alice)) == 2
    assert bob_api.post(READ, {"with": alice.id}).json()["read_count"] == 0


def test_marking_a_chat_with_an_unknown_user_read_is_404(alice_api):
    assert alice_api.post(READ, {"with": 999_999}).status_code == 404


def test_marking_read_needs_with(alice_api):
    response = alice_api.post(READ, {})

    assert response.status_code == 400
    assert "with" in response.json()


# --- REST and socket together --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_rest_send_reaches_the_receivers_socket(alice, bob):
    bob_socket = await connect(bob)
    alice_socket = await connect(alice)
    client = await sync_to_async(token_client)(alice)

    response = await sync_to_async(client.post)(
        MESSAGES, {"receiver_id": bob.id, "content": "via REST"}, format="json"
    )

    assert response.status_code == 201
    frame = await receive_until(bob_socket, "message.new")
    assert frame["message"] == {k: v for k, v in response.json().items() if k != "starred"}
    mine = await receive_until(alice_socket, "message.new")
    assert mine["message"]["message_id"] == response.json()["message_id"]
    await bob_socket.disconnect()
    await alice_socket.disconnect()
