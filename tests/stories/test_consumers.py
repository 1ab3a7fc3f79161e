"""story.new and story.view reach the right sockets (and only those)."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.authtoken.models import Token

from stories import services
from whatsapp.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def connect(user) -> WebsocketCommunicator:
    token, _ = await database_sync_to_async(Token.objects.get_or_create)(user=user)
    communicator = WebsocketCommunicator(
        application, "/ws/", headers=[(b"authorization", f"Token {token.key}".encode())]
    )
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from())["type"] == "ready"
    return communicator


async def frames_of(communicator, type_: str, timeout: float = 0.5) -> list[dict]:
    """Every frame of ``type_`` that arrives before the socket goes quiet."""
    found = []
    while not await communicator.receive_nothing(timeout=timeout):
        frame = await communicator.receive_json_from()
        if frame["type"] == type_:
            found.append(frame)
    return found


async def test_story_new_reaches_mutual_contacts_not_strangers(friends, mallory):
    alice, bob = friends
    bob_socket, mallory_socket = await connect(bob), await connect(mallory)

    story = await database_sync_to_async(services.post_story)(alice, content="Live!")

    [frame] = await frames_of(bob_socket, "story.new")
    assert frame["story"]["story_id"] == story.id
    assert frame["story"]["content"] == "Live!"
    assert await frames_of(mallory_socket, "story.new") == []
    await bob_socket.disconnect()
    await mallory_socket.disconnect()


async def test_story_view_tells_the_author_once(friends):
    alice, bob = friends
    story = await database_sync_to_async(services.post_story)(alice, content="Seen?")
    alice_socket = await connect(alice)

    await database_sync_to_async(services.view_story)(bob, story=story)
    await database_sync_to_async(services.view_story)(bob, story=story)

    frames = await frames_of(alice_socket, "story.view")
    assert [(f["story_id"], f["user_id"], f["view_count"]) for f in frames] == [
        (story.id, bob.id, 1)
    ]
    await alice_socket.disconnect()
