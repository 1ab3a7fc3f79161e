"""Live effects of moderation on open sockets: suspension closes them, removals reach them."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.authtoken.models import Token

from moderation import services

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def token_for(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


async def connect(user) -> WebsocketCommunicator:
    """A socket of ``user`` past its connect hooks (a round trip proves they ran)."""
    from whatsapp.asgi import application

    communicator = WebsocketCommunicator(
        application, "/ws/", headers=[(b"authorization", f"Token {await token_for(user)}".encode())]
    )
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from())["type"] == "ready"
    await communicator.send_json_to({"type": "test.settle"})
    while True:
        frame = await communicator.receive_json_from()
        if frame["type"] == "error" and frame["code"] == "unknown_type":
            return communicator


async def next_of(communicator, type_, *, timeout=2):
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        if frame["type"] == type_:
            return frame


async def test_a_suspended_users_open_socket_is_told_and_closed(bob, superuser):
    socket = await connect(bob)

    await database_sync_to_async(services.suspend_user)(superuser, user=bob, reason="spam")

    assert await next_of(socket, "account.suspended") == {"type": "account.suspended"}
    closed = await socket.receive_output(timeout=2)
    assert closed == {"type": "websocket.close", "code": 4403}


async def test_a_suspended_user_cannot_open_a_new_socket(bob, superuser):
    key = await token_for(bob)
    await database_sync_to_async(services.suspend_user)(superuser, user=bob, reason="spam")
    from whatsapp.asgi import application

    communicator = WebsocketCommunicator(
        application, "/ws/", headers=[(b"authorization", f"Token {key}".encode())]
    )

    connected, _ = await communicator.connect()

    assert not connected


async def test_a_removed_message_disappears_from_both_open_chats(alice, bob, message, superuser):
    alice_socket = await connect(alice)
    bob_socket = await connect(bob)

    await database_sync_to_async(services.remove_content)(superuser, target=message, reason="spam")

    expected = {"type": "message.removed", "message_id": message.id}
    assert await next_of(alice_socket, "message.removed") == expected
    assert await next_of(bob_socket, "message.removed") == expected
    await alice_socket.disconnect()
    await bob_socket.disconnect()


async def test_a_removed_group_message_reaches_every_member_and_nobody_else(
    alice, carol, mallory, group, group_message, superuser
):
    alice_socket = await connect(alice)
    carol_socket = await connect(carol)
    mallory_socket = await connect(mallory)

    await database_sync_to_async(services.remove_content)(
        superuser, target=group_message, reason="abuse"
    )

    expected = {
        "type": "group_message.removed",
        "group_message_id": group_message.id,
        "group_id": group.id,
    }
    assert await next_of(alice_socket, "group_message.removed") == expected
    assert await next_of(carol_socket, "group_message.removed") == expected
    assert await mallory_socket.receive_nothing(timeout=0.3)
    for socket in (alice_socket, carol_socket, mallory_socket):
        await socket.disconnect()


async def test_a_banned_member_stops_receiving_the_groups_messages(alice, bob, group, superuser):
    from groups import services as group_services

    bob_socket = await connect(bob)

    await database_sync_to_async(services.ban_from_group)(
        superuser, group=group, user=bob, reason="abuse"
    )
    await database_sync_to_async(group_services.send_group_message)(
        alice, group=group, content="after the ban"
    )

    frames = []
    while not await bob_socket.receive_nothing(timeout=0.3):
        frames.append(await bob_socket.receive_json_from())
    assert not [f for f in frames if f["type"] == "group_message.new"]
    await bob_socket.disconnect()
