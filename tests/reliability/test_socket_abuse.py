"""Hostile frames on /ws/: each gets an ``error`` frame, stores nothing and leaves the socket open.

Protocol-level abuse that needs a real server (invalid UTF-8, a frame of several MiB, a process
that must survive) is in tests/browser/test_socket_abuse_live.py.
"""

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from calls.models import Call
from chats.models import Message
from groups import services as group_services
from groups.models import GroupMessage
from tests.chats.conftest import connect, drain, receive_until
from whatsapp.consumers import MAX_FRAME_BYTES
from whatsapp.frames import HANDLERS

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE_VALUES = [
    None,
    "",
    "1",
    "<script>alert(1)</script>",
    -1,
    0,
    2**63,
    10**100,
    1.5,
    True,
    [],
    [None],
    ["1"],
    [2**70],
    list(range(1, 2000)),
    {},
    {"$gt": 0},
    "\x00",
    "x" * 70_000,
]
# Every field each frame type reads, with a valid value (filled in per test).
FRAME_FIELDS = {
    "message.send": ("receiver_id", "content", "client_id"),
    "group_message.send": ("group_id", "content", "client_id"),
    "message.delivered": ("message_ids",),
    "message.read": ("message_ids",),
    "group_message.delivered": ("group_message_ids",),
    "group_message.read": ("group_message_ids",),
    "typing": ("receiver_id", "group_id"),
    "sync": ("after_message_id", "after_group_message_id"),
    "call.signal": ("call_id", "signal"),
    "message.react": ("message_id", "emoji"),
    "message.edit": ("message_id", "content"),
    "message.delete": ("message_id", "for"),
    "message.star": ("message_id", "starred"),
    "group_message.react": ("group_message_id", "emoji"),
    "group_message.edit": ("group_message_id", "content"),
    "group_message.delete": ("group_message_id", "for"),
    "group_message.star": ("group_message_id", "starred"),
}


def application():
    from whatsapp.asgi import application as app

    return app


@database_sync_to_async
def stored_counts() -> tuple[int, int, int]:
    return Message.objects.count(), GroupMessage.objects.count(), Call.objects.count()


async def still_open(socket) -> bool:
    """The socket still answers: an unknown frame type gets its ``unknown_type`` error."""
    await socket.send_json_to({"type": "still.there"})
    frame = await receive_until(socket, "error")
    return frame["code"] == "unknown_type"


def test_every_frame_type_is_covered_here():
    assert set(HANDLERS) == set(FRAME_FIELDS)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not json", "bad_json"),
        ("{'single': 'quotes'}", "bad_json"),
        ('{"type": "message.send", ', "bad_json"),
        ("NaN", "bad_frame"),
        ("[]", "bad_frame"),
        ('"a string"', "bad_frame"),
        ("42", "bad_frame"),
        ("null", "bad_frame"),
        ("{}", "unknown_type"),
        ('{"type": null}', "unknown_type"),
        ('{"type": 7}', "unknown_type"),
        ('{"type": ["message.send"]}', "unknown_type"),
        ('{"type": "__init__"}', "unknown_type"),
        ('{"type": "push"}', "unknown_type"),
        ('{"type": "websocket.disconnect"}', "unknown_type"),
        ('{"type": "message.send"}', "missing_field"),
        ("[" * 100_000 + "]" * 100_000, "bad_json"),
    ],
)
async def test_malformed_frames_get_an_error_and_the_socket_stays(alice, text, code):
    socket = await connect(alice)

    await socket.send_to(text_data=text)
    error = await receive_until(socket, "error")

    assert error["code"] == code
    assert await still_open(socket)
    await socket.disconnect()


async def test_a_binary_frame_gets_an_error(alice):
    socket = await connect(alice)

    await socket.send_to(bytes_data=b"\x00\xff\xfe binary")
    error = await receive_until(socket, "error")

    assert error["code"] == "bad_frame"
    assert await still_open(socket)
    await socket.disconnect()


async def test_an_oversized_frame_is_refused_unread(alice, bob):
    socket = await connect(alice)
    frame = {"type": "message.send", "receiver_id": bob.id, "client_id": "big"}
    frame["content"] = "x" * (MAX_FRAME_BYTES + 1)

    await socket.send_to(text_data=json.dumps(frame))
    error = await receive_until(socket, "error")

    assert error["code"] == "too_large"
    assert await stored_counts() == (0, 0, 0)
    assert await still_open(socket)
    await socket.disconnect()


@pytest.fixture
def world(alice, bob):
    """Valid targets for every frame: a peer, a group, a message and an answered call."""
    from accounts import services as account_services
    from calls import services as call_services
    from chats import services as chat_services

    account_services.add_contact(alice, contact_user=bob)
    group = group_services.create_group(alice, name="G", members=[bob])
    message = chat_services.send_message(bob, receiver=alice, content="hi")
    group_message = group_services.send_group_message(bob, group=group, content="hi")
    call = call_services.start_call(alice, receiver=bob, call_type="voice")
    call_services.answer_call(bob, call=call)
    return {
        "receiver_id": bob.id,
        "content": "hello",
        "client_id": "ok-1",
        "group_id": group.id,
        "message_ids": [message.id],
        "group_message_ids": [group_message.id],
        "message_id": message.id,
        "group_message_id": group_message.id,
        "emoji": "👍",
        "for": "me",
        "starred": True,
        "after_message_id": 0,
        "after_group_message_id": 0,
        "call_id": call.id,
        "signal": {"type": "candidate", "candidate": None},
    }


@pytest.mark.parametrize("frame_type", sorted(FRAME_FIELDS))
async def test_hostile_field_values_never_cost_the_socket_or_store_anything(
    alice, world, frame_type
):
    socket = await connect(alice)
    before = await stored_counts()
    answers = []

    for field in FRAME_FIELDS[frame_type]:
        for value in HOSTILE_VALUES:
            frame = {"type": frame_type, **{f: world[f] for f in FRAME_FIELDS[frame_type]}}
            if frame_type == "typing":  # exactly one target
                frame.pop("group_id" if field == "receiver_id" else "receiver_id")
            frame[field] = value
            if frame_type.endswith(".send"):
                frame["client_id"] = value if field == "client_id" else f"h-{len(answers)}"
            await socket.send_json_to(frame)
            answers.extend(await drain(socket, timeout=0.02))
    answers.extend(await drain(socket, timeout=0.3))

    codes = [a.get("code") for a in answers if a["type"] == "error"]
    assert "server_error" not in codes
    stored = await stored_counts()
    # A send whose only odd field is its content ("1", markup) is a valid message: stored.
    assert stored[2] == before[2]
    assert await still_open(socket)
    await socket.disconnect()


def _session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


@pytest.mark.parametrize(
    "origin",
    [b"https://evil.example", b"http://testserver.evil.example", b"null", b"file://", b""],
)
async def test_a_cross_origin_handshake_with_a_session_cookie_is_refused(alice, origin):
    cookie = await database_sync_to_async(_session_cookie)(alice)
    headers = [(b"cookie", cookie), (b"origin", origin)]
    communicator = WebsocketCommunicator(application(), "/ws/", headers=headers)

    connected, _ = await communicator.connect()

    assert not connected
