"""channels_redis' layer on a *blocking* Redis connection pool: a burst waits for a connection.

redis-py's asyncio pool refuses a command outright ("Too many connections") once
``max_connections`` of them are in use (100 in redis-py 8). A burst on one server process (a
thousand sockets connecting at once, each joining its groups, or a fan-out's pushes) then
killed consumers mid-handshake: the bench saw exactly that (docs/performance.md). With this
pool a command waits up to ``timeout`` seconds for a free connection instead.
"""

from channels_redis.core import RedisChannelLayer as ChannelsRedisLayer
from redis.asyncio import BlockingConnectionPool


class RedisChannelLayer(ChannelsRedisLayer):
    def create_pool(self, index):
        host = dict(self.hosts[index])
        address = host.pop("address")
        host.setdefault("max_connections", 100)
        host.setdefault("timeout", 20)
        return BlockingConnectionPool.from_url(address, **host)
