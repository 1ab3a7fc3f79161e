"""The Redis pub/sub channel layer of whatsapp.channel_layer (a real Redis: REDIS_URL)."""

import asyncio
import os
import uuid

import pytest

from whatsapp.channel_layer import RedisPubSubChannelLayer, SocketQueue, _Shard

needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs a Redis server (REDIS_URL)"
)


@pytest.fixture
def prefix():
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def layer(prefix):
    layer = RedisPubSubChannelLayer(hosts=[os.environ["REDIS_URL"]], prefix=prefix)
    yield layer
    await layer.flush()


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


@needs_redis
async def test_an_echo_for_the_sender_alone_is_published_only_when_another_process_listens(
    layer, prefix, monkeypatch
):
    arrived = []
    receive_message = _Shard._receive_message

    def counting(shard, message):
        if message is not None:
            arrived.append(message["data"])
        receive_message(shard, message)

    monkeypatch.setattr(_Shard, "_receive_message", counting)
    [sender] = await sockets_in(layer, "user.1", 1)

    # The sender's only socket is excluded and no other process listens: not published.
    await layer.group_send_many(
        [
            ("user.1", {"type": "push", "n": 1, "exclude_channel": sender}),
            ("user.1", {"type": "push", "n": 2}),
        ]
    )
    assert (await asyncio.wait_for(layer.receive(sender), 5))["n"] == 2
    assert len(arrived) == 1  # message 1 would have come first on the same connection

    # Another process (a layer of its own, its own Redis connection) has a tab of that user.
    other = RedisPubSubChannelLayer(hosts=[os.environ["REDIS_URL"]], prefix=prefix)
    try:
        [other_tab] = await sockets_in(other, "user.1", 1)
        await layer.group_send_many(
            [("user.1", {"type": "push", "n": 3, "exclude_channel": sender})]
        )
        assert (await asyncio.wait_for(other.receive(other_tab), 5))["n"] == 3
    finally:
        await other.flush()


async def test_an_item_woken_for_a_cancelled_getter_goes_to_the_next():
    queue = SocketQueue()
    first = asyncio.ensure_future(queue.get())
    second = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)

    queue.put_nowait("item")
    first.cancel()  # woken for the item, cancelled before it ran

    assert await asyncio.wait_for(second, 1) == "item"
    assert first.cancelled()
