"""channels_redis internals (pinned in pyproject.toml; checked by tests/test_compat.py).

whatsapp.channel_layer extends channels_redis' pub/sub layer, which has no public hooks for
it. These base classes do every private access and give the app public names:

- ``RedisPubSubChannelLayer``: ``_get_layer`` (its per-event-loop layer, kept in ``_layers``,
  built from ``_args`` / ``_kwargs``, closed with the loop by ``utils._wrap_close``) is
  rebuilt to make a ``loop_layer_class``; ``loop_layer()`` returns it.
- ``RedisPubSubLoopLayer``: its ``_shards`` are remade as ``shard_class``; its
  ``_get_group_channel_name`` and ``_get_shard`` are aliased (no call layer: they run per
  message of a batch); its ``_subscribe_to_channel`` calls the app's ``subscribe_to_channel``.
- ``RedisSingleShardConnection``: its receiving loop ``_do_receiving`` is replaced (no timer per
  push, and a lost connection resets ``_pubsub`` / ``_subscribed_to`` under ``_lock``), calling
  the app's ``receive_message`` per push; its own ``_receive_message`` is ``queue_message``;
  ``_subscribed_to`` is read through ``subscribed_to`` and ``_redis`` by ``eval``.
"""

import asyncio
import contextlib
import logging
import operator

from channels_redis.pubsub import RedisPubSubChannelLayer as ChannelsRedisPubSubLayer
from channels_redis.pubsub import RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _wrap_close
from redis.exceptions import RedisError

logger = logging.getLogger("whatsapp.channel_layer")

# A shard's set of the channels it is subscribed to (``RedisSingleShardConnection
# ._subscribed_to``, replaced on flush): read per message of a batch, so a C accessor.
subscribed_to = operator.attrgetter("_subscribed_to")


class Shard(RedisSingleShardConnection):
    """channels_redis' connection to one Redis, reading pushes without a timer per push.

    Subclasses define ``receive_message(message)`` (each push, or None) and ``lost()`` (the
    connection was lost and the subscriptions with it).
    """

    # channels_redis' handling of a push: queue it for the channel's socket.
    queue_message = RedisSingleShardConnection._receive_message

    async def _do_receiving(self):
        # channels_redis waits for each message under a 0.1 s ``asyncio.timeout``; here a read
        # waits until a message comes, and cancelling the task (the layer's flush) ends it.
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=None
                    )
                    self.receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except (asyncio.CancelledError, GeneratorExit):
                raise
            except (RedisError, OSError):
                logger.exception("lost the connection to Redis; closing this process's sockets")
                await self._reset()
            except Exception:  # one message that could not be handled: the next one can be
                logger.exception("a message from Redis could not be handled")

    async def _reset(self) -> None:
        """Start the subscriptions afresh on a new connection, then call ``lost()``."""
        async with self._lock:
            lost, self._pubsub = self._pubsub, self._redis.pubsub()
            self._subscribed_to = set()
        self.lost()
        with contextlib.suppress(Exception):
            await lost.aclose()

    async def eval(self, script: str, *args):
        """Run ``script`` (no keys, ``args`` as ARGV) on this shard's Redis."""
        self._ensure_redis()
        return await self._redis.eval(script, 0, *args)

    def receive_message(self, message) -> None:
        self.queue_message(message)

    def lost(self) -> None:
        pass


class LoopLayer(RedisPubSubLoopLayer):
    """channels_redis' layer of one event loop, with its shards a ``shard_class``.

    Subclasses may define ``subscribe_to_channel(channel)`` (a new socket's channel).
    """

    shard_class = Shard
    # Per message of a batch: aliases, not wrappers.
    group_channel = RedisPubSubLoopLayer._get_group_channel_name
    shard_of = RedisPubSubLoopLayer._get_shard

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._shards = [self.shard_class(shard.host, self) for shard in self._shards]

    async def _subscribe_to_channel(self, channel):
        await self.subscribe_to_channel(channel)

    async def subscribe_to_channel(self, channel):
        await RedisPubSubLoopLayer._subscribe_to_channel(self, channel)


class RedisPubSubChannelLayer(ChannelsRedisPubSubLayer):
    """channels_redis' pub/sub layer whose per-loop layers are a ``loop_layer_class``."""

    loop_layer_class = LoopLayer

    def _get_layer(self):
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = self.loop_layer_class(
                *self._args, **self._kwargs, channel_layer=self
            )
            _wrap_close(self, loop)
        return layer

    loop_layer = _get_layer
