"""Socket faces of the group message actions: group_message.react / edit / delete / star and
replies through group_message.send, members only."""

import pytest
from channels.db import database_sync_to_async

from groups import services
from groups.models import GroupMessage, GroupMessageHide, GroupMessageStar
from tests.chats.conftest import connect, drain, receive_until
from tests.groups.conftest import befriend
from whatsapp.frames import HANDLERS

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def db(func, *args, **kwargs):
    return func(*args, **kwargs)


@pytest.fixture
async def ex_member(group, alice, make_member):
    """Dave, in the group when ``hello`` is sent, removed before the test acts."""
    dave = await db(make_member, "Dave")
    await db(befriend, alice, dave)
    await db(services.add_group_member, alice, group=group, member=dave)
    return dave


@pytest.fixture
async def hello(group, alice, ex_member):
    message = await db(services.send_group_message, alice, group=group, content="hello")
    await db(services.remove_group_member, alice, group=group, member=ex_member)
    return message


@pytest.fixture
async def sockets(alice, bob, carol, ex_member, mallory):
    opened = {
        "alice": await connect(alice),
        "bob": await connect(bob),
        "carol": await connect(carol),
        "dave": await connect(ex_member),
        "mallory": await connect(mallory),
    }
    yield opened
    for socket in opened.values():
        await socket.disconnect()


def test_the_action_frames_are_declared():
    for type_ in ("react", "edit", "delete", "star"):
        assert f"group_message.{type_}" in HANDLERS
    assert HANDLERS["group_message.delete"].required == ("group_message_id", "for")


async def test_a_reaction_reaches_every_member(sockets, bob, hello):
    await sockets["bob"].send_json_to(
        {"type": "group_message.react", "group_message_id": hello.id, "emoji": "🎉"}
    )

    for name in ("alice", "bob", "carol"):
        frame = await receive_until(sockets[name], "group_message.updated")
        assert frame["group_message"]["group_message_id"] == hello.id
        assert [(r["user_id"], r["emoji"]) for r in frame["group_message"]["reactions"]] == [
            (bob.id, "🎉")
        ]
    assert [f for f in await drain(sockets["dave"]) if f["type"] == "group_message.updated"] == []


@pytest.mark.parametrize("name", ["dave", "mallory"])
@pytest.mark.parametrize(
    "frame",
    [
        {"type": "group_message.react", "emoji": "👍"},
        {"type": "group_message.edit", "content": "x"},
        {"type": "group_message.delete", "for": "me"},
        {"type": "group_message.star", "starred": True},
    ],
)
async def test_an_ex_member_or_a_stranger_acts_on_nothing(sockets, hello, name, frame):
    await sockets[name].send_json_to({**frame, "group_message_id": hello.id, "client_id": "x"})

    error = await receive_until(sockets[name], "error")
    assert error == {
        "type": "error",
        "code": "not_found",
        "detail": error["detail"],
        "client_id": "x",
    }


async def test_edit_by_the_sender_reaches_everyone_and_by_another_member_is_refused(sockets, hello):
    await sockets["bob"].send_json_to(
        {"type": "group_message.edit", "group_message_id": hello.id, "content": "bob's"}
    )
    await sockets["alice"].send_json_to(
        {"type": "group_message.edit", "group_message_id": hello.id, "content": "hello all"}
    )

    assert (await receive_until(sockets["bob"], "error"))["code"] == "not_sender"
    for name in ("alice", "bob", "carol"):
        frame = await receive_until(sockets[name], "group_message.updated")
        assert frame["group_message"]["content"] == "hello all"
    assert (await db(GroupMessage.objects.get, id=hello.id)).edited_at is not None


async def test_delete_for_everyone_leaves_a_tombstone(sockets, hello):
    await sockets["alice"].send_json_to(
        {"type": "group_message.delete", "group_message_id": hello.id, "for": "everyone"}
    )

    for name in ("alice", "bob", "carol"):
        frame = await receive_until(sockets[name], "group_message.updated")
        assert frame["group_message"]["deleted"] is True
        assert frame["group_message"]["content"] == ""

    await sockets["bob"].send_json_to(
        {"type": "group_message.react", "group_message_id": hello.id, "emoji": "👍"}
    )

    assert (await receive_until(sockets["bob"], "error"))["code"] == "deleted"


async def test_delete_for_me_and_star_reach_my_sockets_only(sockets, bob, hello):
    await sockets["bob"].send_json_to(
        {"type": "group_message.star", "group_message_id": hello.id, "starred": True}
    )
    await sockets["bob"].send_json_to(
        {"type": "group_message.delete", "group_message_id": hello.id, "for": "me"}
    )

    starred = await receive_until(sockets["bob"], "message.starred")
    hidden = await receive_until(sockets["bob"], "message.hidden")
    assert starred == {"type": "message.starred", "group_message_id": hello.id, "starred": True}
    assert hidden == {"type": "message.hidden", "group_message_id": hello.id}
    others = await drain(sockets["alice"]) + await drain(sockets["carol"])
    assert [f for f in others if f["type"] in ("message.starred", "message.hidden")] == []
    assert await db(GroupMessageHide.objects.filter(user=bob).count) == 1
    assert await db(GroupMessageStar.objects.filter(user=bob).count) == 1


async def test_a_reply_over_the_socket_carries_the_quote(sockets, alice, group, hello):
    await sockets["bob"].send_json_to(
        {
            "type": "group_message.send",
            "group_id": group.id,
            "content": "re",
            "client_id": "re-1",
            "reply_to_group_message_id": hello.id,
        }
    )

    ack = await receive_until(sockets["bob"], "group_message.ack")
    quote = {
        "group_message_id": hello.id,
        "sender_id": alice.id,
        "content": "hello",
        "has_media": False,
        "media_kind": None,
        "deleted": False,
    }
    assert ack["group_message"]["reply_to"] == quote
    while True:
        new = await receive_until(sockets["carol"], "group_message.new")
        if new["group_message"]["group_message_id"] == ack["group_message"]["group_message_id"]:
            break
    assert new["group_message"]["reply_to"] == quote


async def test_a_reply_to_another_groups_message_is_an_error(sockets, alice, bob, group):
    other = await db(services.create_group, alice, name="Other", members=[bob])
    elsewhere = await db(services.send_group_message, alice, group=other, content="elsewhere")

    await sockets["bob"].send_json_to(
        {
            "type": "group_message.send",
            "group_id": group.id,
            "content": "re",
            "client_id": "re-2",
            "reply_to_group_message_id": elsewhere.id,
        }
    )

    error = await receive_until(sockets["bob"], "error")
    assert error["code"] == "invalid" and error["client_id"] == "re-2"
    assert not await db(GroupMessage.objects.filter(content="re").exists)
