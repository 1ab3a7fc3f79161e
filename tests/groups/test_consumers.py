"""The /ws/ side of groups: send/ack/new, receipts and status, membership changes live,
connect-time push, sync replay and announcements."""

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache

from communities import services as community_services
from groups import services
from groups.models import GroupMessage, GroupMessageReceipt
from tests.chats.conftest import connect, drain, receive_until
from tests.groups.conftest import befriend

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_presence():
    cache.clear()
    yield
    cache.clear()


@database_sync_to_async
def db(func, *args, **kwargs):
    return func(*args, **kwargs)


def of_type(frames, type_):
    return [frame for frame in frames if frame["type"] == type_]


async def test_send_acks_the_socket_and_reaches_every_other_socket_of_the_group(
    group, alice, bob, carol
):
    alice_tab, alice_other_tab = await connect(alice), await connect(alice)
    bob_socket, carol_socket = await connect(bob), await connect(carol)

    await alice_tab.send_json_to(
        {"type": "group_message.send", "group_id": group.id, "content": "Hi all", "client_id": "c1"}
    )

    ack = await receive_until(alice_tab, "group_message.ack")
    assert ack["client_id"] == "c1"
    message = ack["group_message"]
    assert message["content"] == "Hi all" and message["sender"] == "Alice"
    for socket in (bob_socket, carol_socket, alice_other_tab):
        new = await receive_until(socket, "group_message.new")
        assert new["group_message"]["group_message_id"] == message["group_message_id"]
    assert of_type(await drain(alice_tab), "group_message.new") == []
    for socket in (alice_tab, alice_other_tab, bob_socket, carol_socket):
        await socket.disconnect()


async def test_a_retried_send_acks_the_same_message(group, alice, bob):
    socket = await connect(alice)
    frame = {"type": "group_message.send", "group_id": group.id, "content": "x", "client_id": "r"}

    await socket.send_json_to(frame)
    first = await receive_until(socket, "group_message.ack")
    await socket.send_json_to(frame)
    second = await receive_until(socket, "group_message.ack")

    assert first["group_message"]["group_message_id"] == second["group_message"]["group_message_id"]
    assert await db(GroupMessage.objects.count) == 1
    await socket.disconnect()


async def test_a_stranger_gets_a_not_found_error_and_nothing_is_stored(group, mallory):
    socket = await connect(mallory)

    await socket.send_json_to(
        {"type": "group_message.send", "group_id": group.id, "content": "x", "client_id": "m"}
    )

    error = await receive_until(socket, "error")
    assert error["code"] == "not_found" and error["client_id"] == "m"
    assert await db(GroupMessage.objects.count) == 0
    await socket.disconnect()


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "group_message.send", "group_id": "1", "content": "x", "client_id": "a"},
        {"type": "group_message.send", "group_id": 1, "content": 5, "client_id": "a"},
        {"type": "group_message.send", "group_id": 1, "content": "x", "client_id": 5},
        {"type": "group_message.read", "group_message_ids": "1"},
        {"type": "group_message.delivered", "group_message_ids": [True]},
    ],
)
async def test_malformed_group_frames_get_an_error(alice, frame):
    socket = await connect(alice)

    await socket.send_json_to(frame)

    assert (await receive_until(socket, "error"))["code"] == "invalid"
    await socket.disconnect()


async def test_a_group_send_needs_a_client_id_as_a_1_1_send_does(alice, group):
    socket = await connect(alice)

    await socket.send_json_to({"type": "group_message.send", "group_id": group.id, "content": "x"})

    error = await receive_until(socket, "error")
    assert error["code"] == "missing_field" and "client_id" in error["detail"]
    assert not await GroupMessage.objects.filter(group=group).aexists()
    await socket.disconnect()


async def test_read_receipts_turn_the_senders_ticks_blue_once_everyone_read(
    group, alice, bob, carol
):
    message = await db(services.send_group_message, alice, group=group, content="Hi")
    alice_socket, bob_socket, carol_socket = (
        await connect(alice),
        await connect(bob),
        await connect(carol),
    )

    await bob_socket.send_json_to({"type": "group_message.read", "group_message_ids": [message.id]})
    early = of_type(await drain(alice_socket, timeout=0.3), "group_message.status")
    assert [s["read_at"] for s in early] == [None] * len(early)  # delivered to both on connect
    await carol_socket.send_json_to(
        {"type": "group_message.read", "group_message_ids": [message.id]}
    )

    status = await receive_until(alice_socket, "group_message.status")
    assert status["group_message_id"] == message.id
    assert status["read_at"] and status["delivered_at"]
    assert of_type(await drain(bob_socket), "group_message.status") == []
    for socket in (alice_socket, bob_socket, carol_socket):
        await socket.disconnect()


async def test_connecting_pushes_what_waited_and_marks_it_delivered(group, alice, bob):
    message = await db(services.send_group_message, alice, group=group, content="while away")

    socket = await connect(bob)

    pushed = await receive_until(socket, "group_message.new")
    assert pushed["group_message"]["group_message_id"] == message.id
    receipt = await db(GroupMessageReceipt.objects.get, group_message=message, user=bob)
    assert receipt.delivered_at is not None
    await socket.disconnect()


async def test_sync_replays_group_messages_after_the_watermark(group, alice, bob):
    first = await db(services.send_group_message, alice, group=group, content="1")
    second = await db(services.send_group_message, alice, group=group, content="2")
    socket = await connect(bob)
    await drain(socket)

    await socket.send_json_to({"type": "sync", "after_group_message_id": first.id})

    replayed = await receive_until(socket, "group_message.new")
    assert replayed["group_message"]["group_message_id"] == second.id
    assert of_type(await drain(socket), "group_message.new") == []
    await socket.disconnect()


async def test_a_removed_member_receives_nothing_more(group, alice, bob, carol):
    bob_socket, carol_socket = await connect(bob), await connect(carol)

    await db(services.remove_group_member, alice, group=group, member=bob)
    await db(services.send_group_message, alice, group=group, content="after bob left")

    assert (await receive_until(carol_socket, "group_message.new"))["group_message"]["content"] == (
        "after bob left"
    )
    assert of_type(await drain(bob_socket, timeout=0.3), "group_message.new") == []
    await bob_socket.send_json_to({"type": "sync", "after_group_message_id": 0})
    assert of_type(await drain(bob_socket, timeout=0.3), "group_message.new") == []
    await bob_socket.disconnect()
    await carol_socket.disconnect()


async def test_a_member_added_while_connected_receives_live(group, alice, make_member):
    dave = await db(make_member, "Dave")
    await db(befriend, alice, dave)
    dave_socket = await connect(dave)

    await db(services.add_group_member, alice, group=group, member=dave)
    await drain(dave_socket, timeout=0.2)  # the subscription is processed
    await db(services.send_group_message, alice, group=group, content="welcome")

    new = await receive_until(dave_socket, "group_message.new")
    assert new["group_message"]["content"] == "welcome"
    await dave_socket.disconnect()


async def test_group_typing_reaches_the_other_members(group, alice, bob):
    alice_socket, bob_socket = await connect(alice), await connect(bob)

    await bob_socket.send_json_to({"type": "typing", "group_id": group.id})

    typing = await receive_until(alice_socket, "typing")
    assert typing == {"type": "typing", "user_id": bob.id, "group_id": group.id}
    await alice_socket.disconnect()
    await bob_socket.disconnect()


async def test_an_announcement_reaches_every_member_of_every_group_live(
    group, alice, bob, carol, make_member
):
    dave = await db(make_member, "Dave")
    await db(befriend, alice, dave)
    other = await db(services.create_group, alice, name="Second", members=[dave])
    community = await db(community_services.create_community, alice, name="School")
    for g in (group, other):
        await db(community_services.add_community_group, alice, community=community, group=g)
    sockets = {user.name: await connect(user) for user in (alice, bob, carol, dave)}

    await db(community_services.post_announcement, alice, community=community, content="No class")

    for socket in sockets.values():
        frame = await receive_until(socket, "announcement.new")
        assert frame["announcement"]["content"] == "No class"
        assert frame["announcement"]["community_id"] == community.id
        await socket.disconnect()


async def test_a_frame_queued_before_the_unsubscribe_was_processed_is_dropped(group, bob):
    from channels.layers import get_channel_layer

    socket = await connect(bob)
    layer = get_channel_layer()
    channel = services.group_channel(group.id)

    # Both land in the socket's queue before it processes the first: the order a removal
    # followed at once by a message produces when the consumer is busy.
    await layer.group_send(
        f"user.{bob.id}",
        {
            "type": "push",
            "frame": {"type": "_unsubscribe", "group": channel},
            "group": f"user.{bob.id}",
        },
    )
    await layer.group_send(
        channel,
        {
            "type": "push",
            "frame": {"type": "group_message.new", "group_message": {}},
            "group": channel,
        },
    )

    assert of_type(await drain(socket, timeout=0.3), "group_message.new") == []
    await socket.disconnect()
