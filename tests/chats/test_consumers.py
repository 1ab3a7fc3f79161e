"""The /ws/ socket: handshake, the envelope every frame passes, and every 1:1 chat frame."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.test import Client

from accounts import services as account_services
from chats import frames as chat_frames
from chats import selectors, services
from chats.models import Message
from groups.models import Group, GroupMember
from tests.chats.conftest import connect, drain, receive_until, token_for
from whatsapp.consumers import MAX_FRAME_BYTES
from whatsapp.frames import HANDLERS, FrameSpec

pytestmark = pytest.mark.django_db(transaction=True)


def application():
    from whatsapp.asgi import application as app

    return app


def message_count() -> int:
    return Message.objects.count()


count_messages = database_sync_to_async(message_count)


# --- handshake -----------------------------------------------------------------------------


async def test_a_handshake_without_credentials_is_refused():
    communicator = WebsocketCommunicator(application(), "/ws/")

    connected, _ = await communicator.connect()

    assert not connected


async def test_a_handshake_with_a_wrong_token_is_refused(alice):
    communicator = WebsocketCommunicator(
        application(), "/ws/", headers=[(b"authorization", b"Token not-a-real-token")]
    )

    connected, _ = await communicator.connect()

    assert not connected


async def test_a_token_handshake_is_accepted_with_a_ready_frame(alice):
    communicator = await connect(alice, expect_ready=False)

    assert await communicator.receive_json_from() == {"type": "ready", "user_id": alice.id}
    await communicator.disconnect()


def _session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


@pytest.mark.parametrize(
    ("origin", "accepted"),
    [(b"http://testserver", True), (b"https://evil.example", False), (None, False)],
)
async def test_a_session_handshake_needs_an_allowed_origin(alice, origin, accepted):
    cookie = await database_sync_to_async(_session_cookie)(alice)
    headers = [(b"cookie", cookie)] + ([(b"origin", origin)] if origin else [])
    communicator = WebsocketCommunicator(application(), "/ws/", headers=headers)

    connected, _ = await communicator.connect()

    assert connected is accepted
    if accepted:
        assert (await communicator.receive_json_from())["user_id"] == alice.id
        await communicator.disconnect()


async def test_a_deactivated_user_is_refused(alice):
    key = await token_for(alice)
    alice.is_active = False
    await database_sync_to_async(alice.save)()
    communicator = WebsocketCommunicator(
        application(), "/ws/", headers=[(b"authorization", f"Token {key}".encode())]
    )

    connected, _ = await communicator.connect()

    assert not connected


# --- the envelope --------------------------------------------------------------------------


async def _assert_still_open(communicator):
    await communicator.send_json_to({"type": "sync", "after_message_id": 0})
    assert await drain(communicator) == []
    await communicator.send_to(text_data="not json")
    assert (await communicator.receive_json_from())["code"] == "bad_json"


async def test_a_frame_that_is_not_json_gets_an_error_and_the_socket_stays_open(alice):
    communicator = await connect(alice)

    await communicator.send_to(text_data="{not json")

    error = await communicator.receive_json_from()
    assert error["type"] == "error" and error["code"] == "bad_json"
    await _assert_still_open(communicator)
    await communicator.disconnect()


async def test_a_binary_frame_gets_an_error(alice):
    communicator = await connect(alice)

    await communicator.send_to(bytes_data=b"\x00\x01")

    assert (await communicator.receive_json_from())["code"] == "bad_frame"
    await _assert_still_open(communicator)
    await communicator.disconnect()


@pytest.mark.parametrize("payload", ["[1, 2]", '"text"', "42", "null"])
async def test_a_frame_that_is_not_an_object_gets_an_error(alice, payload):
    communicator = await connect(alice)

    await communicator.send_to(text_data=payload)

    assert (await communicator.receive_json_from())["code"] == "bad_frame"
    await _assert_still_open(communicator)
    await communicator.disconnect()


@pytest.mark.parametrize("frame", [{"type": "no.such.thing"}, {"type": 7}, {"content": "x"}])
async def test_an_unknown_type_gets_an_error(alice, frame):
    communicator = await connect(alice)

    await communicator.send_json_to(frame)

    error = await communicator.receive_json_from()
    assert error["type"] == "error" and error["code"] == "unknown_type"
    await _assert_still_open(communicator)
    await communicator.disconnect()


async def test_a_missing_field_gets_an_error_that_echoes_the_client_id(alice, bob):
    communicator = await connect(alice)

    await communicator.send_json_to({"type": "message.send", "content": "hi", "client_id": "c9"})

    error = await communicator.receive_json_from()
    assert error == {
        "type": "error",
        "code": "missing_field",
        "detail": "Missing field(s): receiver_id.",
        "client_id": "c9",
    }
    assert await count_messages() == 0
    await _assert_still_open(communicator)
    await communicator.disconnect()


async def test_an_oversized_frame_gets_an_error_and_stores_nothing(alice, bob):
    communicator = await connect(alice)
    content = "x" * (MAX_FRAME_BYTES + 1)

    await communicator.send_json_to(
        {"type": "message.send", "receiver_id": bob.id, "content": content, "client_id": "big"}
    )

    error = await communicator.receive_json_from()
    assert error["code"] == "too_large"
    assert await count_messages() == 0
    await _assert_still_open(communicator)
    await communicator.disconnect()


async def test_multibyte_text_counts_in_bytes_toward_the_frame_limit(alice, bob):
    communicator = await connect(alice)
    content = "é" * (MAX_FRAME_BYTES // 2 + 10)  # fewer characters than the limit, more bytes

    await communicator.send_to(
        text_data=json.dumps(
            {"type": "message.send", "receiver_id": bob.id, "content": content, "client_id": "b"},
            ensure_ascii=False,
        )
    )

    assert (await communicator.receive_json_from())["code"] == "too_large"
    await communicator.disconnect()


async def test_a_failing_handler_answers_with_an_error_and_keeps_the_socket(alice, monkeypatch):
    async def broken(consumer, data):
        raise RuntimeError("bug")

    monkeypatch.setitem(HANDLERS, "test.broken", FrameSpec(broken, ()))
    communicator = await connect(alice)

    await communicator.send_json_to({"type": "test.broken", "client_id": "z"})

    error = await communicator.receive_json_from()
    assert error["code"] == "server_error" and error["client_id"] == "z"
    await _assert_still_open(communicator)
    await communicator.disconnect()


# --- message.send --------------------------------------------------------------------------


async def test_send_acks_the_sender_and_reaches_the_receiver_and_the_senders_other_tabs(alice, bob):
    alice_tab, alice_other_tab = await connect(alice), await connect(alice)
    bob_phone, bob_laptop = await connect(bob), await connect(bob)

    await alice_tab.send_json_to(
        {"type": "message.send", "receiver_id": bob.id, "content": "Hi Bob", "client_id": "c-1"}
    )

    ack = await receive_until(alice_tab, "message.ack")
    assert ack["client_id"] == "c-1"
    message = ack["message"]
    assert message["sender_id"] == alice.id and message["receiver_id"] == bob.id
    assert message["content"] == "Hi Bob" and message["sent_at"]
    assert message["delivered_at"] is None and message["read_at"] is None
    for socket in (bob_phone, bob_laptop, alice_other_tab):
        new = await receive_until(socket, "message.new")
        assert new == {"type": "message.new", "message": message}
    assert [f for f in await drain(alice_tab) if f["type"] == "message.new"] == []
    assert await count_messages() == 1
    for socket in (alice_tab, alice_other_tab, bob_phone, bob_laptop):
        await socket.disconnect()


async def test_frames_and_pushes_skip_channels_thread_hop(alice, bob, monkeypatch):
    """Channels' dispatch hops to its one sync thread before every frame and push to close stale
    connections; the consumer does not (the database helper closes them around each call)."""
    hops = []

    async def hop():
        hops.append(1)

    monkeypatch.setattr("channels.consumer.aclose_old_connections", hop)
    alice_tab, bob_tab = await connect(alice), await connect(bob)

    await alice_tab.send_json_to(
        {"type": "message.send", "receiver_id": bob.id, "content": "Hi", "client_id": "h-1"}
    )

    assert (await receive_until(alice_tab, "message.ack"))["message"]["content"] == "Hi"
    assert (await receive_until(bob_tab, "message.new"))["message"]["content"] == "Hi"
    assert hops == []
    for socket in (alice_tab, bob_tab):
        await socket.disconnect()


async def test_a_retried_send_acks_the_same_message_and_stores_nothing_new(alice, bob):
    alice_tab, bob_tab = await connect(alice), await connect(bob)
    frame = {"type": "message.send", "receiver_id": bob.id, "content": "once", "client_id": "r1"}

    await alice_tab.send_json_to(frame)
    first = await receive_until(alice_tab, "message.ack")
    await alice_tab.send_json_to(frame)
    second = await receive_until(alice_tab, "message.ack")

    assert second["message"]["message_id"] == first["message"]["message_id"]
    assert await count_messages() == 1
    # The retry rings again (the first push may have died with a server); one message, by id.
    received = [f for f in await drain(bob_tab) if f["type"] == "message.new"]
    assert {f["message"]["message_id"] for f in received} == {first["message"]["message_id"]}
    await alice_tab.disconnect()
    await bob_tab.disconnect()


async def test_a_send_to_a_blocked_user_gets_an_error_and_stores_nothing(alice, bob):
    await database_sync_to_async(account_services.block_user)(bob, blocked=alice)
    alice_tab, bob_tab = await connect(alice), await connect(bob)

    await alice_tab.send_json_to(
        {"type": "message.send", "receiver_id": bob.id, "content": "hi", "client_id": "b1"}
    )

    error = await receive_until(alice_tab, "error")
    assert error["code"] == "blocked" and error["client_id"] == "b1"
    assert await count_messages() == 0
    assert await drain(bob_tab) == []
    await alice_tab.disconnect()
    await bob_tab.disconnect()


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"receiver_id": 999_999}, "not_found"),
        ({"receiver_id": "2"}, "invalid"),
        ({"receiver_id": True}, "invalid"),
        ({"content": 5}, "invalid"),
        ({"content": "   "}, "blank"),
        ({"client_id": 12}, "invalid"),
        ({"client_id": "x" * 65}, "invalid"),
        ({"content": "nul \u0000 inside"}, "invalid"),
    ],
)
async def test_an_invalid_send_gets_an_error_and_stores_nothing(alice, bob, changes, code):
    communicator = await connect(alice)
    frame = {"type": "message.send", "receiver_id": bob.id, "content": "hi", "client_id": "i1"}

    await communicator.send_json_to(frame | changes)

    error = await receive_until(communicator, "error")
    assert error["code"] == code
    assert await count_messages() == 0
    await communicator.disconnect()


async def test_content_over_the_limit_gets_an_error(alice, bob, settings):
    settings.MESSAGE_MAX_LENGTH = 10
    communicator = await connect(alice)

    await communicator.send_json_to(
        {"type": "message.send", "receiver_id": bob.id, "content": "x" * 11, "client_id": "l"}
    )

    assert (await receive_until(communicator, "error"))["code"] == "too_long"
    assert await count_messages() == 0
    await communicator.disconnect()


# --- receipts ------------------------------------------------------------------------------


async def _send(sender, receiver, content="hi"):
    return await database_sync_to_async(services.send_message)(
        sender, receiver=receiver, content=content
    )


async def test_a_delivered_receipt_sets_delivered_at_and_tells_the_sender(alice, bob):
    alice_tab = await connect(alice)
    bob_tab = await connect(bob)
    message = await _send(alice, bob)
    await receive_until(bob_tab, "message.new")

    await bob_tab.send_json_to({"type": "message.delivered", "message_ids": [message.id]})

    status = await receive_until(alice_tab, "message.status")
    assert status["message_id"] == message.id
    assert status["delivered_at"] is not None and status["read_at"] is None
    await database_sync_to_async(message.refresh_from_db)()
    assert message.delivered_at is not None
    await alice_tab.disconnect()
    await bob_tab.disconnect()


async def test_a_read_receipt_sets_read_and_delivered_and_tells_both_sides(alice, bob):
    alice_tab = await connect(alice)
    bob_tab, bob_other_tab = await connect(bob), await connect(bob)
    message = await _send(alice, bob)

    await bob_tab.send_json_to({"type": "message.read", "message_ids": [message.id]})

    status = await receive_until(alice_tab, "message.status")
    assert status["read_at"] is not None and status["delivered_at"] is not None
    other = await receive_until(bob_other_tab, "message.status")
    assert other["message_id"] == message.id and other["read_at"] == status["read_at"]
    await database_sync_to_async(message.refresh_from_db)()
    assert message.read_at is not None and message.delivered_at is not None
    for socket in (alice_tab, bob_tab, bob_other_tab):
        await socket.disconnect()


@pytest.mark.parametrize("type_", ["message.delivered", "message.read"])
@pytest.mark.parametrize("ids", [[], "1", [0], [True], ["3"], list(range(1, 1002))])
async def test_malformed_receipts_get_an_error(alice, type_, ids):
    communicator = await connect(alice)

    await communicator.send_json_to({"type": type_, "message_ids": ids})

    assert (await receive_until(communicator, "error"))["code"] == "invalid"
    await communicator.disconnect()


async def test_a_receipt_for_someone_elses_message_is_not_allowed(alice, bob, mallory):
    message = await _send(alice, bob)
    communicator = await connect(mallory)

    await communicator.send_json_to({"type": "message.read", "message_ids": [message.id]})

    assert (await receive_until(communicator, "error"))["code"] == "not_found"
    await database_sync_to_async(message.refresh_from_db)()
    assert message.read_at is None
    await communicator.disconnect()


# --- delivery of what was sent while offline, and sync ------------------------------------


async def test_messages_sent_while_offline_are_pushed_on_connect_and_then_delivered(alice, bob):
    first = await _send(alice, bob, "one")
    second = await _send(alice, bob, "two")
    alice_tab = await connect(alice)
    assert (await database_sync_to_async(Message.objects.get)(id=first.id)).delivered_at is None

    bob_tab = await connect(bob)

    pushed = [await receive_until(bob_tab, "message.new") for _ in range(2)]
    assert [f["message"]["message_id"] for f in pushed] == [first.id, second.id]
    assert all(f["message"]["delivered_at"] for f in pushed)
    statuses = [await receive_until(alice_tab, "message.status") for _ in range(2)]
    assert sorted(s["message_id"] for s in statuses) == [first.id, second.id]
    await alice_tab.disconnect()
    await bob_tab.disconnect()


async def test_sync_replays_everything_newer_in_order(alice, bob, carol):
    old = await _send(alice, bob, "old")
    bob_tab = await connect(bob)  # delivers "old" on connect
    await receive_until(bob_tab, "message.new")
    newer = [
        await _send(alice, bob, "a"),
        await _send(bob, carol, "b"),
        await _send(carol, bob, "c"),
    ]
    await _send(alice, carol, "not Bob's")
    await drain(bob_tab)

    await bob_tab.send_json_to({"type": "sync", "after_message_id": old.id})

    replayed = [await receive_until(bob_tab, "message.new") for _ in newer]
    assert [f["message"]["message_id"] for f in replayed] == [m.id for m in newer]
    assert [f for f in await drain(bob_tab) if f["type"] == "message.new"] == []
    await bob_tab.disconnect()


async def test_sync_marks_what_it_returns_to_the_receiver_delivered(alice, bob):
    bob_tab = await connect(bob)
    message = await _send(alice, bob)
    await receive_until(bob_tab, "message.new")  # live push: not delivered until acknowledged
    alice_tab = await connect(alice)

    await bob_tab.send_json_to({"type": "sync", "after_message_id": 0})

    replayed = await receive_until(bob_tab, "message.new")
    assert replayed["message"]["delivered_at"] is not None
    status = await receive_until(alice_tab, "message.status")
    assert status["message_id"] == message.id
    await alice_tab.disconnect()
    await bob_tab.disconnect()


async def test_sync_pages_through_more_than_one_batch(alice, bob, monkeypatch):
    monkeypatch.setattr(chat_frames, "BATCH_SIZE", 2)
    sent = [await _send(alice, bob, str(i)) for i in range(5)]
    alice_tab = await connect(alice)

    await alice_tab.send_json_to({"type": "sync", "after_message_id": 0})

    replayed = [await receive_until(alice_tab, "message.new") for _ in sent]
    assert [f["message"]["message_id"] for f in replayed] == [m.id for m in sent]
    await alice_tab.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "sync"}, "missing_field"),
        ({"type": "sync", "after_message_id": -1}, "invalid"),
        ({"type": "sync", "after_message_id": "5"}, "invalid"),
    ],
)
async def test_a_malformed_sync_gets_an_error(alice, frame, code):
    communicator = await connect(alice)

    await communicator.send_json_to(frame)

    assert (await receive_until(communicator, "error"))["code"] == code
    await communicator.disconnect()


# --- typing and presence -------------------------------------------------------------------


async def test_typing_reaches_the_receiver_and_is_rate_limited(alice, bob):
    alice_tab, bob_tab = await connect(alice), await connect(bob)

    await alice_tab.send_json_to({"type": "typing", "receiver_id": bob.id})
    await alice_tab.send_json_to({"type": "typing", "receiver_id": bob.id})

    frames = [f for f in await drain(bob_tab) if f["type"] == "typing"]
    assert frames == [{"type": "typing", "user_id": alice.id, "receiver_id": bob.id}]
    assert await drain(alice_tab) == []
    await alice_tab.disconnect()
    await bob_tab.disconnect()


async def test_typing_is_relayed_again_after_the_interval(alice, bob, monkeypatch):
    monkeypatch.setattr(chat_frames, "TYPING_INTERVAL_SECONDS", 0.0)
    alice_tab, bob_tab = await connect(alice), await connect(bob)

    await alice_tab.send_json_to({"type": "typing", "receiver_id": bob.id})
    await alice_tab.send_json_to({"type": "typing", "receiver_id": bob.id})

    frames = [f for f in await drain(bob_tab) if f["type"] == "typing"]
    assert len(frames) == 2
    await alice_tab.disconnect()
    await bob_tab.disconnect()


async def test_a_sent_message_lets_the_next_typing_through_at_once(alice, bob):
    alice_tab, bob_tab = await connect(alice), await connect(bob)
    await alice_tab.send_json_to({"type": "typing", "receiver_id": bob.id})
    await alice_tab.send_json_to(
        {"type": "message.send", "receiver_id": bob.id, "content": "hi", "client_id": "t1"}
    )
    await receive_until(alice_tab, "message.ack")

    await alice_tab.send_json_to({"type": "typing", "receiver_id": bob.id})

    frames = [f["type"] for f in await drain(bob_tab) if f["type"] in ("typing", "message.new")]
    assert frames == ["typing", "message.new", "typing"]
    await alice_tab.disconnect()
    await bob_tab.disconnect()


async def test_typing_to_a_blocked_user_is_not_allowed(alice, bob):
    await database_sync_to_async(account_services.block_user)(bob, blocked=alice)
    alice_tab, bob_tab = await connect(alice), await connect(bob)

    await alice_tab.send_json_to({"type": "typing", "receiver_id": bob.id})

    assert (await receive_until(alice_tab, "error"))["code"] == "blocked"
    assert await drain(bob_tab) == []
    await alice_tab.disconnect()
    await bob_tab.disconnect()


def _group_of(*users):
    group = Group.objects.create(name="Hikers", created_by=users[0])
    for user in users:
        GroupMember.objects.create(group=group, user=user)
    return group


async def test_typing_in_a_group_reaches_the_other_members_only(alice, bob, carol, mallory):
    group = await database_sync_to_async(_group_of)(alice, bob, carol)
    tabs = {u.name: await connect(u) for u in (alice, bob, carol, mallory)}

    await tabs["Alice"].send_json_to({"type": "typing", "group_id": group.id})

    expected = {"type": "typing", "user_id": alice.id, "group_id": group.id}
    assert await receive_until(tabs["Bob"], "typing") == expected
    assert await receive_until(tabs["Carol"], "typing") == expected
    assert await drain(tabs["Mallory"]) == []
    await tabs["Mallory"].send_json_to({"type": "typing", "group_id": group.id})
    assert (await receive_until(tabs["Mallory"], "error"))["code"] == "not_found"
    for tab in tabs.values():
        await tab.disconnect()


@pytest.mark.parametrize(
    "frame",
    [{"type": "typing"}, {"type": "typing", "receiver_id": 1, "group_id": 1}],
)
async def test_typing_needs_exactly_one_target(alice, frame):
    communicator = await connect(alice)

    await communicator.send_json_to(frame)

    assert (await receive_until(communicator, "error"))["code"] == "missing_field"
    await communicator.disconnect()


async def test_contacts_see_presence_come_and_go(friends):
    alice, bob = friends
    bob_tab = await connect(bob)

    alice_tab = await connect(alice)
    online = await receive_until(bob_tab, "presence")
    alice_second_tab = await connect(alice)
    await alice_tab.disconnect()
    quiet = [f for f in await drain(bob_tab) if f["type"] == "presence"]
    await alice_second_tab.disconnect()
    offline = await receive_until(bob_tab, "presence")

    assert online == {"type": "presence", "user_id": alice.id, "online": True, "last_seen": None}
    assert quiet == []
    assert offline["user_id"] == alice.id and offline["online"] is False
    assert offline["last_seen"] is not None
    await bob_tab.disconnect()


async def test_strangers_see_no_presence(alice, mallory):
    mallory_tab = await connect(mallory)

    alice_tab = await connect(alice)
    await alice_tab.disconnect()

    assert [f for f in await drain(mallory_tab) if f["type"] == "presence"] == []
    await mallory_tab.disconnect()


async def test_one_heartbeat_per_process_keeps_every_open_socket_counted(friends, monkeypatch):
    alice, bob = friends
    monkeypatch.setattr(services, "PRESENCE_HEARTBEAT_SECONDS", 0.05)
    tabs = [await connect(alice), await connect(alice), await connect(bob)]
    await database_sync_to_async(cache.delete_many)(
        [selectors.presence_key(alice.id), selectors.presence_key(bob.id)]
    )

    await asyncio.sleep(0.3)

    assert await database_sync_to_async(cache.get)(selectors.presence_key(alice.id)) == 2
    assert await database_sync_to_async(cache.get)(selectors.presence_key(bob.id)) == 1
    for tab in tabs:
        await tab.disconnect()
