"""Channel layers on Redis: channels_redis' two, each with one fix the bench called for.

``RedisChannelLayer`` (the queue layer, ``CHANNEL_LAYER=list``) runs on a *blocking* pool.

redis-py's asyncio pool refuses a command outright ("Too many connections") once
``max_connections`` of them are in use (100 in redis-py 8). A burst on one server process (a
thousand sockets connecting at once, each joining its groups, or a fan-out's pushes) then
killed consumers mid-handshake: the bench saw exactly that (docs/performance.md). With this
pool a command waits up to ``timeout`` seconds for a free connection instead.
"""

from channels_redis.core import RedisChannelLayer as ChannelsRedisLayer
from channels_redis.pubsub import RedisPubSubChannelLayer as PubSubLayer
from redis.asyncio import BlockingConnectionPool


class RedisChannelLayer(ChannelsRedisLayer):
    def create_pool(self, index):
        host = dict(self.hosts[index])
        address = host.pop("address")
        host.setdefault("max_connections", 100)
        host.setdefault("timeout", 20)
        return BlockingConnectionPool.from_url(address, **host)


class RedisPubSubChannelLayer(PubSubLayer):
    """channels_redis' pub/sub layer that can also publish many group messages at once.

    Its ``group_send`` takes a per-process lock for every PUBLISH, so a process sends one push
    per Redis round trip. :meth:`group_send_many` pipelines a whole batch in one round trip
    (``whatsapp.realtime`` hands it everything published since its last batch).
    """

    async def group_send_many(self, items: list[tuple[str, dict]]) -> None:
        layer = self._get_layer()
        pipes = {}
        for group, message in items:
            channel = layer._get_group_channel_name(group)
            shard = layer._get_shard(channel)
            pipe = pipes.get(id(shard))
            if pipe is None:
                shard._ensure_redis()
                pipe = pipes[id(shard)] = shard._redis.pipeline(transaction=False)
            pipe.publish(channel, self.serialize(message))
        for pipe in pipes.values():
            await pipe.execute()
