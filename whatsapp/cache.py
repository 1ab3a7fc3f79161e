"""Django's Redis cache with one connection pool per server process, not one per task.

``django.core.cache.caches`` keeps a cache object per thread *and per asyncio context*: under
ASGI every socket's task, and every ``sync_to_async`` call copied from it, built its own
``RedisCache``, hence its own connection pool, and so opened a new TCP connection to Redis
(plus the RESP3 handshake) for a presence update or a rate-limit count. The bench measured
that as the largest single cost of a WebSocket connect (docs/performance.md). Here every
cache object of one process shares one client and its thread-safe pool.
"""

from whatsapp.compat.django import SharedClientRedisCache

# INCR each of KEYS and set its expiry to ARGV[1] seconds: always ("refresh" ARGV[2] = "1"),
# or only when it has none (a new key); the new counts, in order.
COUNT_MANY = """
local counts = {}
for i, key in ipairs(KEYS) do
  counts[i] = redis.call('INCR', key)
  if ARGV[2] == '1' then
    redis.call('EXPIRE', key, ARGV[1])
  else
    redis.call('EXPIRE', key, ARGV[1], 'NX')
  end
end
return counts
"""


class RedisCache(SharedClientRedisCache):
    def count_many(self, keys: list[str], *, timeout: int, refresh: bool = True) -> list[int]:
        """Add one to the counter at each of ``keys`` (0 when absent; a key given twice counts
        twice) and return the new counts, in ONE round trip.

        Each key expires ``timeout`` seconds from now (``refresh``) or from its creation.
        """
        if not keys:
            return []
        # A script (sent by its SHA1 once Redis knows it) is atomic like a MULTI pipeline and
        # costs the client a third to a half less CPU: one command to pack and one reply to
        # parse (docs/performance.md, item 35).
        count = self.redis_client(keys[0], write=True).register_script(COUNT_MANY)
        keys = [self.make_and_validate_key(key) for key in keys]
        return [int(value) for value in count(keys=keys, args=[timeout, int(refresh)])]

    def touch_many(self, keys: list[str], *, timeout: int) -> list[bool]:
        """:func:`touch_many` in one pipeline, one round trip (Django writes to server 0)."""
        if not keys:
            return []
        pipe = self.redis_client(keys[0], write=True).pipeline(transaction=False)
        for key in keys:
            pipe.expire(self.make_and_validate_key(key), timeout)
        return [bool(done) for done in pipe.execute()]


def touch_many(keys: list[str], *, timeout: int) -> list[bool]:
    """Make each of ``keys`` expire ``timeout`` s from now; False for those that do not exist.

    One Redis round trip with :class:`RedisCache`, one call per key on any other cache.
    """
    from django.core.cache import caches

    cache = caches["default"]
    if isinstance(cache, RedisCache):
        return cache.touch_many(keys, timeout=timeout)
    return [cache.touch(key, timeout) for key in keys]


def count(key: str, *, timeout: int, refresh: bool = True) -> int:
    """One more at the cache counter ``key`` (created at 0), expiring ``timeout`` s from now
    (``refresh``) or from its creation; returns the new count.

    One Redis round trip with :class:`RedisCache` (the usual add, incr and touch took four);
    any other cache (tests, the in-memory default) goes through the plain cache API.
    """
    return count_many([key], timeout=timeout, refresh=refresh)[0]


def count_many(keys: list[str], *, timeout: int, refresh: bool = True) -> list[int]:
    """:func:`count` for each of ``keys``, in order: one Redis round trip for all of them."""
    from django.core.cache import caches

    cache = caches["default"]
    if isinstance(cache, RedisCache):
        return cache.count_many(keys, timeout=timeout, refresh=refresh)
    counts = []
    for key in keys:
        cache.add(key, 0, timeout=timeout)
        try:
            value = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 0, timeout=timeout)
            value = cache.incr(key)
        if refresh:
            cache.touch(key, timeout)
        counts.append(value)
    return counts
