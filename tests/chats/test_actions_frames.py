"""Socket faces of the 1:1 message actions: message.react / edit / delete / star, and replies
through message.send; success is the push, refusals are ``error`` frames."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from chats import services
from chats.models import Message, MessageHide, MessageReaction, MessageStar
from tests.chats.conftest import connect, drain, receive_until
from whatsapp.frames import HANDLERS

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def send(sender, receiver, content="hello", **kwargs):
    return services.send_message(sender, receiver=receiver, content=content, **kwargs)


@database_sync_to_async
def fetch(message_id):
    return Message.objects.get(id=message_id)


@database_sync_to_async
def age(message_id, **delta):
    Message.objects.filter(id=message_id).update(sent_at=timezone.now() - timedelta(**delta))


@pytest.fixture
async def sockets(alice, bob, mallory):
    opened = {"alice": await connect(alice), "bob": await connect(bob)}
    opened["mallory"] = await connect(mallory)
    yield opened
    for socket in opened.values():
        await socket.disconnect()


def test_the_action_frames_are_declared():
    for type_ in ("message.react", "message.edit", "message.delete", "message.star"):
        assert type_ in HANDLERS
    assert HANDLERS["message.edit"].required == ("message_id", "content")


async def test_a_reaction_reaches_both_participants(sockets, alice, bob):
    message = await send(alice, bob)

    await sockets["bob"].send_json_to(
        {"type": "message.react", "message_id": message.id, "emoji": "👍"}
    )

    for name in ("alice", "bob"):
        frame = await receive_until(sockets[name], "message.updated")
        assert frame["message"]["message_id"] == message.id
        assert [(r["user_id"], r["emoji"]) for r in frame["message"]["reactions"]] == [
            (bob.id, "👍")
        ]
        assert "starred" not in frame["message"]


@pytest.mark.parametrize("emoji", [None, ""])
async def test_a_null_or_empty_emoji_takes_the_reaction_back(sockets, alice, bob, emoji):
    message = await send(alice, bob)
    await sockets["bob"].send_json_to(
        {"type": "message.react", "message_id": message.id, "emoji": "👍"}
    )
    await receive_until(sockets["alice"], "message.updated")

    await sockets["bob"].send_json_to(
        {"type": "message.react", "message_id": message.id, "emoji": emoji}
    )

    frame = await receive_until(sockets["alice"], "message.updated")
    assert frame["message"]["reactions"] == []
    assert not await database_sync_to_async(MessageReaction.objects.exists)()


@pytest.mark.parametrize("emoji", ["a", "👍👍", 5])
async def test_a_reaction_that_is_not_one_emoji_is_an_error(sockets, alice, bob, emoji):
    message = await send(alice, bob)

    await sockets["bob"].send_json_to(
        {"type": "message.react", "message_id": message.id, "emoji": emoji, "client_id": "r1"}
    )

    frame = await receive_until(sockets["bob"], "error")
    assert frame["code"] == "invalid" and frame["client_id"] == "r1"


async def test_an_edit_reaches_both_and_a_strangers_is_not_found(sockets, alice, bob):
    message = await send(alice, bob)

    await sockets["mallory"].send_json_to(
        {"type": "message.edit", "message_id": message.id, "content": "mine now"}
    )
    await sockets["bob"].send_json_to(
        {"type": "message.edit", "message_id": message.id, "content": "bob's"}
    )
    await sockets["alice"].send_json_to(
        {"type": "message.edit", "message_id": message.id, "content": "fixed"}
    )

    assert (await receive_until(sockets["mallory"], "error"))["code"] == "not_found"
    assert (await receive_until(sockets["bob"], "error"))["code"] == "not_sender"
    for name in ("alice", "bob"):
        frame = await receive_until(sockets[name], "message.updated")
        assert frame["message"]["content"] == "fixed" and frame["message"]["edited_at"]
    assert (await fetch(message.id)).content == "fixed"


async def test_an_edit_out_of_the_window_is_an_error(sockets, alice, bob, settings):
    settings.MESSAGE_EDIT_WINDOW_SECONDS = 60
    message = await send(alice, bob)
    await age(message.id, minutes=2)

    await sockets["alice"].send_json_to(
        {"type": "message.edit", "message_id": message.id, "content": "late"}
    )

    assert (await receive_until(sockets["alice"], "error"))["code"] == "edit_window_closed"


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "message.edit", "message_id": 1}, "missing_field"),
        ({"type": "message.edit", "message_id": "1", "content": "x"}, "invalid"),
        ({"type": "message.edit", "message_id": 1, "content": 5}, "invalid"),
        ({"type": "message.delete", "message_id": 1}, "missing_field"),
        ({"type": "message.delete", "message_id": 1, "for": "all"}, "invalid"),
        ({"type": "message.star", "message_id": 1}, "missing_field"),
        ({"type": "message.star", "message_id": 1, "starred": "yes"}, "invalid"),
        ({"type": "message.react", "emoji": "👍"}, "missing_field"),
    ],
)
async def test_malformed_action_frames_are_errors(sockets, alice, bob, frame, code):
    await sockets["alice"].send_json_to(frame)

    assert (await receive_until(sockets["alice"], "error"))["code"] == code


async def test_delete_for_everyone_leaves_a_tombstone_for_both(sockets, alice, bob):
    message = await send(alice, bob)

    await sockets["alice"].send_json_to(
        {"type": "message.delete", "message_id": message.id, "for": "everyone"}
    )

    for name in ("alice", "bob"):
        frame = await receive_until(sockets[name], "message.updated")
        assert frame["message"]["deleted"] is True and frame["message"]["content"] == ""
    row = await fetch(message.id)
    assert row.deleted_at is not None and row.content == ""


async def test_delete_for_everyone_by_the_other_participant_is_an_error(sockets, alice, bob):
    message = await send(alice, bob)

    await sockets["bob"].send_json_to(
        {"type": "message.delete", "message_id": message.id, "for": "everyone"}
    )

    assert (await receive_until(sockets["bob"], "error"))["code"] == "not_sender"
    assert (await fetch(message.id)).deleted_at is None


async def test_delete_for_me_reaches_my_sockets_only(sockets, alice, bob):
    message = await send(alice, bob)
    second = await connect(bob)

    await sockets["bob"].send_json_to(
        {"type": "message.delete", "message_id": message.id, "for": "me"}
    )

    expected = {"type": "message.hidden", "message_id": message.id}
    assert await receive_until(second, "message.hidden") == expected
    assert await receive_until(sockets["bob"], "message.hidden") == expected
    assert not [f for f in await drain(sockets["alice"]) if f["type"] == "message.hidden"]
    assert await database_sync_to_async(MessageHide.objects.filter(user=bob).count)() == 1
    await second.disconnect()


async def test_a_star_reaches_my_sockets(sockets, alice, bob):
    message = await send(alice, bob)

    await sockets["bob"].send_json_to(
        {"type": "message.star", "message_id": message.id, "starred": True}
    )

    frame = await receive_until(sockets["bob"], "message.starred")
    assert frame == {"type": "message.starred", "message_id": message.id, "starred": True}
    assert await database_sync_to_async(MessageStar.objects.filter(user=bob).count)() == 1

    await sockets["bob"].send_json_to(
        {"type": "message.star", "message_id": message.id, "starred": False}
    )

    frame = await receive_until(sockets["bob"], "message.starred")
    assert frame["starred"] is False
    assert not await database_sync_to_async(MessageStar.objects.exists)()


async def test_a_reply_over_the_socket_carries_the_quote(sockets, alice, bob):
    message = await send(alice, bob, "question?")

    await sockets["bob"].send_json_to(
        {
            "type": "message.send",
            "receiver_id": alice.id,
            "content": "answer",
            "client_id": "re-1",
            "reply_to_message_id": message.id,
        }
    )

    ack = await receive_until(sockets["bob"], "message.ack")
    new = await receive_until(sockets["alice"], "message.new")
    if new["message"]["message_id"] == message.id:  # alice's own send came to her first
        new = await receive_until(sockets["alice"], "message.new")
    quote = {
        "message_id": message.id,
        "sender_id": alice.id,
        "content": "question?",
        "has_media": False,
        "media_kind": None,
        "deleted": False,
    }
    assert ack["message"]["reply_to"] == new["message"]["reply_to"] == quote
    assert (await fetch(ack["message"]["message_id"])).reply_to_id == message.id


@pytest.mark.parametrize("quoted", ["other_chat", "unknown", "not_an_int"])
async def test_a_reply_to_what_i_may_not_quote_is_an_error(sockets, alice, bob, mallory, quoted):
    elsewhere = await send(mallory, alice, "elsewhere")
    quoted_id = {"other_chat": elsewhere.id, "unknown": 999_999, "not_an_int": "1"}[quoted]

    await sockets["bob"].send_json_to(
        {
            "type": "message.send",
            "receiver_id": alice.id,
            "content": "re",
            "client_id": "re-2",
            "reply_to_message_id": quoted_id,
        }
    )

    frame = await receive_until(sockets["bob"], "error")
    assert frame["code"] == "invalid" and frame["client_id"] == "re-2"
    assert not await database_sync_to_async(Message.objects.filter(content="re").exists)()
