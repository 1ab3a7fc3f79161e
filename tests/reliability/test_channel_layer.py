"""The Redis pub/sub channel layer of whatsapp.channel_layer (a real Redis: REDIS_URL)."""

import asyncio
import logging
import os
import uuid
from collections import defaultdict

import pytest
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from redis.exceptions import ConnectionError as RedisConnectionError

from chats import frames, selectors, services
from tests.chats.conftest import connect, receive_until, token_socket
from tests.conftest import needs_redis
from whatsapp.channel_layer import (
    CLOSE_REDIS_LOST,
    Mailbox,
    RedisPubSubChannelLayer,
    SocketQueue,
    _Shard,
)


@pytest.fixture
def prefix():
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def layer(prefix):
    layer = RedisPubSubChannelLayer(hosts=[os.environ["REDIS_URL"]], prefix=prefix)
    yield layer
    await layer.flush()


def use_redis_layer(settings, url: str, prefix: str, layer: str = "RedisPubSubChannelLayer"):
    """The app's sockets use ``layer`` of whatsapp.channel_layer at ``url`` (keys under
    ``prefix``): the pub/sub layer, or ``RedisChannelLayer``, the queue layer."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": f"whatsapp.channel_layer.{layer}",
            "CONFIG": {"hosts": [{"address": url}], "prefix": prefix},
        }
    }


async def sockets_in(layer, group: str, count: int) -> list[str]:
    """``count`` new channels of this process (its sockets), each in ``group``."""
    channels = [await layer.new_channel() for _ in range(count)]
    for channel in channels:
        await layer.group_add(group, channel)
    return channels


@needs_redis
async def test_a_group_message_reaches_every_channel_in_order_decoded_once(layer):
    first, second = await sockets_in(layer, "room", 2)

    await layer.group_send_many(
        [("room", {"type": "push", "n": 1}), ("room", {"type": "push", "n": 2})]
    )
    got = {
        channel: [await asyncio.wait_for(layer.receive(channel), 5) for _ in range(2)]
        for channel in (first, second)
    }

    assert [m["n"] for m in got[first]] == [1, 2] == [m["n"] for m in got[second]]
    assert got[first][0] is got[second][0]  # one decoded dict for the process's sockets


@needs_redis
async def test_a_group_message_is_not_queued_for_the_channel_it_excludes(layer):
    sender, other_tab = await sockets_in(layer, "user.1", 2)

    await layer.group_send_many(
        [
            ("user.1", {"type": "push", "n": 1, "exclude_channel": sender}),
            ("user.1", {"type": "push", "n": 2}),
        ]
    )

    assert [(await asyncio.wait_for(layer.receive(other_tab), 5))["n"] for _ in range(2)] == [1, 2]
    # The excluded socket's first message is the second one: the first never reached its queue.
    assert (await asyncio.wait_for(layer.receive(sender), 5))["n"] == 2
    assert layer._get_layer().channels[sender].empty()


@pytest.fixture
def arrived(monkeypatch):
    """Per process (loop layer): the data of every message Redis delivers to it, in order."""
    arrived = defaultdict(list)
    receive_message = _Shard.receive_message

    def counting(shard, message):
        if message is not None:
            arrived[shard.channel_layer].append(message["data"])
        receive_message(shard, message)

    monkeypatch.setattr(_Shard, "receive_message", counting)
    return arrived


@pytest.fixture
async def other_process(prefix):
    """The layer of another server process: its own Redis connection and sockets."""
    other = RedisPubSubChannelLayer(hosts=[os.environ["REDIS_URL"]], prefix=prefix)
    yield other
    await other.flush()


async def receive(layer, channel: str) -> dict:
    return await asyncio.wait_for(layer.receive(channel), 5)


@needs_redis
async def test_a_group_with_sockets_only_here_is_served_without_publishing(layer, arrived):
    sender, other_tab = await sockets_in(layer, "user.1", 2)
    [alone] = await sockets_in(layer, "user.2", 1)

    await layer.group_send_many(
        [
            ("user.2", {"type": "push", "n": 1}),
            ("user.1", {"type": "push", "n": 2, "exclude_channel": sender}),
        ]
    )
    assert (await receive(layer, alone))["n"] == 1
    assert (await receive(layer, other_tab))["n"] == 2
    assert layer._get_layer().channels[sender].empty()

    # A message published the plain way goes through Redis: it is the first that comes back.
    await layer.group_send("user.2", {"type": "push", "n": 3})
    assert (await receive(layer, alone))["n"] == 3
    assert len(arrived[layer._get_layer()]) == 1


@needs_redis
async def test_another_process_gets_the_message_and_this_one_does_not_get_it_twice(
    layer, other_process, arrived
):
    [sender] = await sockets_in(layer, "user.1", 1)
    [here] = await sockets_in(layer, "user.2", 1)
    [there] = await sockets_in(other_process, "user.2", 1)
    [other_tab] = await sockets_in(other_process, "user.1", 1)

    await layer.group_send_many(
        [
            ("user.2", {"type": "push", "n": 1}),
            ("user.1", {"type": "push", "n": 1, "exclude_channel": sender}),
        ]
    )
    assert (await receive(other_process, there))["n"] == 1
    assert (await receive(other_process, other_tab))["n"] == 1
    assert (await receive(layer, here))["n"] == 1

    await other_process.group_send_many([("user.2", {"type": "push", "n": 2})])
    assert (await receive(other_process, there))["n"] == 2
    # The next message here is the other process's: Redis' copy of the first was dropped.
    assert (await receive(layer, here))["n"] == 2
    # Redis brought this process its own two messages (for the other's sake) and the other's.
    assert len(arrived[layer._get_layer()]) == 3
    assert layer._get_layer().channels[here].empty()
    assert layer._get_layer().channels[sender].empty()


async def until(condition, seconds: float = 5) -> None:
    """Wait for ``condition()`` (Redis answers subscriptions and messages asynchronously)."""
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.01)


async def subscribed(layer, channel: str, count: int) -> None:
    """Wait until Redis counts ``count`` subscriptions to ``channel``."""
    redis = layer._get_layer()._get_shard(channel)._redis
    async with asyncio.timeout(5):
        while (await redis.pubsub_numsub(channel))[0][1] != count:
            await asyncio.sleep(0.01)


@needs_redis
async def test_an_attached_channel_gets_each_message_as_it_comes_queued_ones_first(
    layer, other_process
):
    [channel] = await sockets_in(layer, "room", 1)
    await layer.send(channel, {"type": "push", "n": 1})
    await until(lambda: not layer._get_layer().channels[channel].empty())
    got = []

    layer.attach(channel, got.append)
    assert [m["n"] for m in got] == [1]

    await layer.group_send_many([("room", {"type": "push", "n": 2})])  # delivered here at once
    assert [m["n"] for m in got] == [1, 2]

    await other_process.group_send_many([("room", {"type": "push", "n": 3})])  # via Redis
    await until(lambda: len(got) == 3)
    assert [m["n"] for m in got] == [1, 2, 3]


@needs_redis
async def test_a_detached_channel_is_unsubscribed_from_redis(layer):
    [channel] = await sockets_in(layer, "room", 1)
    layer.attach(channel, [].append)
    await subscribed(layer, channel, 1)

    await layer.detach(channel)

    assert channel not in layer._get_layer().channels
    await subscribed(layer, channel, 0)


@needs_redis
@pytest.mark.django_db(transaction=True)
async def test_a_socket_takes_its_pushes_as_they_come_and_unsubscribes_when_it_closes(
    alice, bob, prefix, settings
):
    use_redis_layer(settings, os.environ["REDIS_URL"], prefix)
    layer = get_channel_layer()
    before = set(layer._get_layer().channels)
    socket = await connect(alice)
    [channel] = set(layer._get_layer().channels) - before
    assert isinstance(layer._get_layer().channels[channel], Mailbox)

    sent = await database_sync_to_async(services.send_message)(bob, receiver=alice, content="hi")
    assert (await receive_until(socket, "message.new"))["message"]["message_id"] == sent.id

    await socket.disconnect()
    assert channel not in layer._get_layer().channels
    await subscribed(layer, channel, 0)
    await layer.flush()


CLOSE_AS_REDIS_WAS_LOST = {"type": "push", "frame": {"type": "_close", "code": CLOSE_REDIS_LOST}}


async def test_losing_redis_closes_every_socket_and_a_socket_after_it_subscribes_afresh(
    own_redis, prefix
):
    layer = RedisPubSubChannelLayer(hosts=[own_redis.url], prefix=prefix)
    other_process = RedisPubSubChannelLayer(hosts=[own_redis.url], prefix=prefix)
    group = layer._get_layer()._get_group_channel_name("user.1")
    try:
        [attached, queued] = await sockets_in(layer, "user.1", 2)
        got = []
        layer.attach(attached, got.append)
        await subscribed(layer, group, 1)

        # Redis restarts: what is published meanwhile never reaches this process, so its
        # sockets are told to close (their clients reconnect and sync).
        await asyncio.to_thread(own_redis.kill)
        await until(lambda: got)
        assert got == [CLOSE_AS_REDIS_WAS_LOST]
        assert await receive(layer, queued) == CLOSE_AS_REDIS_WAS_LOST

        # While Redis is down a new socket cannot get a channel: its handshake is refused.
        with pytest.raises(RedisConnectionError):
            await layer.new_channel()
        assert set(layer._get_layer().channels) == {attached, queued}

        # Redis is back and another process has a socket in the group before this process's
        # closing sockets left it: what this process publishes to the group reaches that one
        # (this process is no longer subscribed, so Redis has only the other's subscription).
        await asyncio.to_thread(own_redis.start)
        [there] = await sockets_in(other_process, "user.1", 1)
        await subscribed(layer, group, 1)
        await layer.group_send_many([("user.1", {"type": "push", "n": 0})])
        assert (await receive(other_process, there))["n"] == 0
        for channel in (attached, queued):
            await layer.group_discard("user.1", channel)
        await layer.detach(attached)

        # A new socket here joins on a new connection at once, and a message the other process
        # publishes reaches it.
        [again] = await sockets_in(layer, "user.1", 1)
        await subscribed(layer, group, 2)
        await other_process.group_send_many([("user.1", {"type": "push", "n": 1})])
        assert (await receive(layer, again))["n"] == 1
    finally:
        await layer.flush()
        await other_process.flush()


async def test_a_dropped_subscriber_connection_closes_every_socket_too(own_redis, prefix):
    """Redis drops a subscriber whose output buffer overflows (``client-output-buffer-limit
    pubsub``), or an operator kills it: Redis itself stays up, the pushes meanwhile are lost."""
    layer = RedisPubSubChannelLayer(hosts=[own_redis.url], prefix=prefix)
    try:
        [channel] = await sockets_in(layer, "user.1", 1)
        got = []
        layer.attach(channel, got.append)
        redis = layer._get_layer()._get_shard(channel)._redis

        await redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub")

        await until(lambda: got)
        assert got == [CLOSE_AS_REDIS_WAS_LOST]
        [again] = await sockets_in(layer, "user.1", 1)
        await layer.group_send("user.1", {"type": "push", "n": 1})
        assert (await receive(layer, again))["n"] == 1
    finally:
        await layer.flush()


@pytest.mark.django_db(transaction=True)
async def test_a_socket_is_closed_when_its_server_loses_redis(alice, own_redis, prefix, settings):
    use_redis_layer(settings, own_redis.url, prefix)
    socket = await connect(alice)

    await asyncio.to_thread(own_redis.kill)

    assert await socket.receive_output(5) == {"type": "websocket.close", "code": CLOSE_REDIS_LOST}
    await socket.wait(5)
    await get_channel_layer().flush()


@pytest.mark.django_db(transaction=True)
async def test_a_socket_on_the_queue_layer_is_closed_and_offline_when_its_read_loses_redis(
    alice, own_redis, prefix, settings, caplog
):
    # CHANNEL_LAYER=list: each socket reads its channel's queue
    use_redis_layer(settings, own_redis.url, prefix, layer="RedisChannelLayer")
    socket = await connect(alice)
    assert await database_sync_to_async(selectors.is_online)(alice.id)

    await asyncio.to_thread(own_redis.kill)

    assert await socket.receive_output(5) == {"type": "websocket.close", "code": CLOSE_REDIS_LOST}
    await socket.wait(5)
    # Its disconnect ran: this process no longer keeps the user counted online.
    assert not await database_sync_to_async(selectors.is_online)(alice.id)
    assert alice.id not in frames._Heartbeat.for_loop().sockets
    assert warnings_logged(caplog) == [f"closing a socket of user {alice.id}: Redis unreachable"]


@pytest.mark.django_db(transaction=True)
async def test_a_socket_whose_frame_finds_redis_unreachable_is_closed(alice, monkeypatch):
    def unreachable(*args, **kwargs):
        raise RedisConnectionError("Connection refused.")

    monkeypatch.setattr(services, "mark_read", unreachable)
    socket = await connect(alice)

    await socket.send_json_to({"type": "message.read", "message_ids": [1]})

    assert await socket.receive_output(5) == {"type": "websocket.close", "code": CLOSE_REDIS_LOST}
    await socket.wait(5)


async def handshake(user) -> tuple[bool, int | None]:
    """Open a socket of ``user``: (accepted, close code)."""
    socket = await token_socket(user)
    result = await socket.connect(5)
    await socket.disconnect()
    return result


def warnings_logged(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.django_db(transaction=True)
async def test_while_redis_is_down_a_socket_is_refused_with_one_line_logged(
    alice, own_redis, prefix, settings, caplog
):
    use_redis_layer(settings, own_redis.url, prefix)
    await asyncio.to_thread(own_redis.kill)

    assert await handshake(alice) == (False, CLOSE_REDIS_LOST)
    assert warnings_logged(caplog) == ["refusing a socket: Redis unreachable"]
    assert get_channel_layer()._get_layer().channels == {}


@pytest.mark.django_db(transaction=True)
async def test_a_socket_whose_group_cannot_be_joined_is_refused_and_never_online(
    alice, monkeypatch, caplog
):
    async def unreachable(layer, group, channel):
        raise RedisConnectionError("Connection refused.")

    monkeypatch.setattr(InMemoryChannelLayer, "group_add", unreachable)

    assert await handshake(alice) == (False, CLOSE_REDIS_LOST)
    assert warnings_logged(caplog) == [f"refusing a socket of user {alice.id}: Redis unreachable"]
    assert not await database_sync_to_async(selectors.is_online)(alice.id)


async def test_an_item_woken_for_a_cancelled_getter_goes_to_the_next():
    queue = SocketQueue()
    first = asyncio.ensure_future(queue.get())
    second = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)

    queue.put_nowait("item")
    first.cancel()  # woken for the item, cancelled before it ran

    assert await asyncio.wait_for(second, 1) == "item"
    assert first.cancelled()
