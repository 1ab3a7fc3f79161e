"""Channel layers on Redis: channels_redis' two, with the fixes the bench called for.

``RedisChannelLayer`` (the queue layer, ``CHANNEL_LAYER=list``) runs on a *blocking* pool.

redis-py's asyncio pool refuses a command outright ("Too many connections") once
``max_connections`` of them are in use (100 in redis-py 8). A burst on one server process (a
thousand sockets connecting at once, each joining its groups, or a fan-out's pushes) then
killed consumers mid-handshake: the bench saw exactly that (docs/performance.md). With this
pool a command waits up to ``timeout`` seconds for a free connection instead.
"""

import asyncio
import uuid
from typing import Any

from channels_redis.core import RedisChannelLayer as ChannelsRedisLayer
from redis.asyncio import BlockingConnectionPool

from whatsapp.compat import channels_redis as compat

# The close code of a socket whose server lost Redis (this layer's connection, or a frame that
# needed it): its client reconnects, once Redis is back, and syncs. Not 1011: daphne lets an
# application close only with 1000 or a code from 3000 to 4999.
CLOSE_REDIS_LOST = 4011

# PUBLISH each (channel, message, elsewhere) triple of ARGV, in order, within one command; with
# elsewhere "1" only when a connection besides the publishing process's one listens on the
# channel (NUMSUB counts one per subscribed process): the message was delivered here already.
PUBLISH_ALL = """
for i = 1, #ARGV, 3 do
  if ARGV[i + 2] == '0' or redis.call('PUBSUB', 'NUMSUB', ARGV[i])[2] > 1 then
    redis.call('PUBLISH', ARGV[i], ARGV[i + 1])
  end
end
"""


class RedisChannelLayer(ChannelsRedisLayer):
    def create_pool(self, index):
        host = dict(self.hosts[index])
        address = host.pop("address")
        host.setdefault("max_connections", 100)
        host.setdefault("timeout", 20)
        return BlockingConnectionPool.from_url(address, **host)


class SocketQueue:
    """What a socket's queues need of ``asyncio.Queue`` (the pub/sub layer's per channel,
    uvicorn's per connection: see whatsapp.websocket_protocol): ``get``, ``put_nowait`` and
    ``empty``, unbounded. An ``asyncio.Queue`` allocates four deques (its items, getters,
    putters and an Event's waiters), over 2 KiB for every idle socket; this holds two lists.
    """

    __slots__ = ("items", "waiters")

    def __init__(self):
        self.items: list = []
        self.waiters: list[asyncio.Future] = []

    def empty(self) -> bool:
        return not self.items

    def put_nowait(self, item) -> None:
        self.items.append(item)
        self._wake_one()

    async def get(self):
        while not self.items:
            waiter = asyncio.get_running_loop().create_future()
            self.waiters.append(waiter)
            try:
                await waiter
            finally:
                self.waiters.remove(waiter)
                if self.items:  # woken but cancelled before it ran: another getter takes it
                    self._wake_one()
        return self.items.pop(0)

    def _wake_one(self) -> None:
        for waiter in self.waiters:
            if not waiter.done():
                waiter.set_result(None)
                return


class Mailbox:
    """A socket's channel whose consumer takes each message as it comes (:meth:`_LoopLayer.attach`).

    ``put_nowait`` decodes the message (once per process: ``deserialize`` keeps it) and hands it
    to the consumer's ``deliver``. A :class:`SocketQueue` needs a read task and a future for
    every message, and holds a pending read (a task and three coroutine frames) for every idle
    socket (docs/performance.md, item 40).
    """

    __slots__ = ("decode", "deliver")

    def __init__(self, decode, deliver):
        self.decode, self.deliver = decode, deliver

    def put_nowait(self, data: bytes) -> None:
        self.deliver(self.decode(data))


class _Shard(compat.Shard):
    """channels_redis' connection to one Redis, reading pushes without a timer per push.

    Its loop waits for each message under a 0.1 s ``asyncio.timeout``: a timer set and
    cancelled for every push a process receives, 7% of a busy server's CPU in the bench
    (docs/performance.md, item 21). Here a read waits until a message comes; cancelling the task
    (the layer's flush) still ends it.

    A lost connection (Redis restarted, say) took this process's subscriptions with it, and
    every message published until they are back is lost to its sockets, which would stay open
    knowing nothing. So each socket of the process is closed (``CLOSE_REDIS_LOST``): its client
    reconnects and syncs what it missed (docs/reliability.md). The subscriptions start afresh:
    the next socket's join subscribes on a new connection, and fails, refusing the handshake,
    while Redis is still down.
    """

    def lost(self) -> None:
        self.channel_layer.close_sockets(code=CLOSE_REDIS_LOST)

    def receive_message(self, message):
        """Queue a group message for the group's sockets in this process, except the one its
        ``exclude_channel`` names (the sender's own socket, answered with an ``ack``).

        A message this process published to a group it has sockets in was delivered to them
        when it was published (``RedisPubSubChannelLayer.group_send_many``): its copy back from
        Redis, which another process's subscription made it send, is dropped here. The message
        is decoded here once for the process, as the sockets' reads then find it.
        """
        layer = self.channel_layer
        name = message["channel"] if message is not None else None
        if isinstance(name, bytes):
            name = name.decode()
        members = layer.groups.get(name)
        if members is None or name in layer.channels:
            self.queue_message(message)
            return
        data = message["data"]
        decoded = layer.channel_layer.deserialize(data)
        if decoded.get("origin") != layer.origin:
            layer.deliver(members, data, decoded.get("exclude_channel"))


class _LoopLayer(compat.LoopLayer):
    shard_class = _Shard

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Marks what this loop's layer publishes, so its own copy back from Redis is known.
        self.origin = uuid.uuid4().hex

    def close_sockets(self, code: int) -> None:
        """Have every socket of this process close itself with ``code``."""
        data = self.channel_layer.serialize(
            {"type": "push", "frame": {"type": "_close", "code": code}}
        )
        for queue in list(self.channels.values()):
            queue.put_nowait(data)

    def deliver(self, members, data: bytes, skip: str | None) -> None:
        """Queue ``data`` for each of a group's sockets here but ``skip``."""
        for channel in members:
            queue = self.channels.get(channel) if channel != skip else None
            if queue is not None:
                queue.put_nowait(data)

    async def subscribe_to_channel(self, channel):
        self.channels[channel] = SocketQueue()
        try:
            await self.shard_of(channel).subscribe(channel)
        except BaseException:  # Redis is down, say: the socket is refused, its queue goes
            del self.channels[channel]
            raise

    def attach(self, channel: str, deliver) -> None:
        """Hand each message for ``channel`` (from ``new_channel``) to ``deliver``, decoded, as it
        arrives, instead of queueing it for ``receive``; what was queued meanwhile goes first."""
        queued = self.channels[channel]
        mailbox = self.channels[channel] = Mailbox(self.channel_layer.deserialize, deliver)
        for data in queued.items:
            mailbox.put_nowait(data)

    async def detach(self, channel: str) -> None:
        """End :meth:`attach`: drop the channel and unsubscribe from it, as channels_redis'
        ``receive`` does when the consumer's read is cancelled."""
        if self.channels.pop(channel, None) is not None:
            await self.shard_of(channel).unsubscribe(channel)


class RedisPubSubChannelLayer(compat.RedisPubSubChannelLayer):
    """channels_redis' pub/sub layer that publishes many group messages at once, delivers them
    to this process's sockets without a trip through Redis, decodes a group message once per
    process, and queues each socket's messages in a slim queue.

    Its ``group_send`` takes a per-process lock for every PUBLISH, so a process sends one push
    per Redis round trip. :meth:`group_send_many` pipelines a whole batch in one round trip
    (``whatsapp.realtime`` hands it everything published since its last batch).

    A group message reaches a process once and is queued, as the same bytes object, for each
    of the group's sockets there: :meth:`deserialize` decodes it for the first socket and
    hands the others the same dict, as the publishing process hands its own sockets the dict
    it published (read-only for consumers; ``AppConsumer.push`` adds only the frame's JSON
    text, which every socket then shares too).
    """

    # Recently decoded messages by the id of their bytes (kept alive here, so an id is not
    # reused while it is a key). A burst puts several messages in every socket's queue, and one
    # socket may read them all before the next reads the first.
    DECODED_KEPT = 64
    loop_layer_class = _LoopLayer

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._decoded: dict[int, tuple[bytes, dict]] = {}

    def attach(self, channel: str, deliver) -> None:
        self.loop_layer().attach(channel, deliver)

    async def detach(self, channel: str) -> None:
        await self.loop_layer().detach(channel)

    def deserialize(self, message: bytes) -> dict:
        known = self._decoded.get(id(message))
        if known is not None and known[0] is message:
            return known[1]
        decoded = super().deserialize(message)
        self._remember(message, decoded)
        return decoded

    def _remember(self, data: bytes, decoded: dict) -> None:
        if len(self._decoded) >= self.DECODED_KEPT:
            self._decoded.pop(next(iter(self._decoded)), None)
        self._decoded[id(data)] = (data, decoded)

    async def group_send_many(self, items: list[tuple[str, dict]]) -> None:
        """Publish every (group, message) of ``items``, in order: ONE command per Redis shard.

        A script PUBLISHes them all: one request and one reply, where a pipeline of PUBLISH
        commands had redis-py read a reply per message, each under a timer of its own (17% of a
        busy server's event loop, docs/performance.md item 24).

        A group with sockets in this process gets the message at once, queued here without
        the trip to Redis and back (item 32); Redis publishes it only if another process
        listens on the group, and this process drops its own copy (marked with its ``origin``).
        So the echo of a 1:1 message to its sender's only socket here, which that socket
        excludes, is not published at all when no other process could want it (item 27).
        "Another process" means a subscriber besides this process's own subscription: when this
        process has sockets in the group but no subscription (it lost Redis and they are
        closing, see ``_Shard``), Redis publishes the message whoever listens.
        """
        layer = self.loop_layer()
        per_shard: dict[int, tuple[Any, list]] = {}
        group_channel, shard_of, subscribed_to = (
            layer.group_channel,
            layer.shard_of,
            compat.subscribed_to,
        )
        for group, message in items:
            channel = group_channel(group)
            shard = shard_of(channel)
            args = per_shard.setdefault(id(shard), (shard, []))[1]
            members = layer.groups.get(channel)
            if members:
                message = {**message, "origin": layer.origin}
                data = self.serialize(message)
                self._remember(data, message)
                layer.deliver(members, data, message.get("exclude_channel"))
            else:
                data = self.serialize(message)
            subscribed_here = members and channel in subscribed_to(shard)
            args += (channel, data, "1" if subscribed_here else "0")
        for shard, args in per_shard.values():
            await shard.eval(PUBLISH_ALL, *args)
