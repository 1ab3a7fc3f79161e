"""How many sockets each user holds open, across server processes: ``WS_MAX_SOCKETS_PER_USER``.

The count lives in the cache (Redis when ``REDIS_URL`` is set, so every server process adds to
one count). A handshake claims a slot with one atomic increment and gives it back at once when
that took the count over the cap; a socket gives its slot back when it closes, however it
closes. A server process that dies gives nothing back: the count expires ``TTL_SECONDS`` after
the last heartbeat of the processes holding the user's sockets (each refreshes the counts of its
users every ``HEARTBEAT_SECONDS``), so its users are let in again within that time.

Nothing here runs per frame: one claim per handshake, one release per close, one heartbeat
per process.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache

from whatsapp import cache as counters
from whatsapp import heartbeat
from whatsapp.db import database_sync_to_async

logger = logging.getLogger(__name__)

TTL_SECONDS = 90
HEARTBEAT_SECONDS = 30


def count_key(user_id: int) -> str:
    return f"sockets:{user_id}"


def claim(user_id: int) -> bool:
    """Count one more open socket of ``user_id``; False, counting nothing, beyond the cap."""
    # An existing count keeps its expiry: only heartbeats, from processes that hold sockets,
    # extend it. A refused client retrying cannot keep a dead process's count alive.
    count = counters.count(count_key(user_id), timeout=TTL_SECONDS, refresh=False)
    if count <= settings.WS_MAX_SOCKETS_PER_USER:
        return True
    release(user_id)
    return False


def release(user_id: int) -> None:
    """Count one open socket of ``user_id`` fewer."""
    key = count_key(user_id)
    try:
        count = cache.decr(key)
    except ValueError:  # expired (or the cache was flushed): nothing left to give back
        return
    if count < 0:  # it expired between the check and the decrement: no count, not a debt
        cache.delete(key)


def refresh(open_sockets: dict[int, int]) -> None:
    """Keep the counts of one process's users alive: ``{user_id: open sockets}``.

    One Redis round trip for all of them. A count that expired while its sockets stayed open
    (a stall longer than the expiry) counts them again.
    """
    keys = {count_key(user_id): n for user_id, n in open_sockets.items()}
    alive = counters.touch_many(list(keys), timeout=TTL_SECONDS)
    for (key, n), touched in zip(keys.items(), alive, strict=True):
        if not touched:
            cache.add(key, 0, timeout=TTL_SECONDS)
            cache.incr(key, n)


class Heartbeat(heartbeat.Heartbeat):
    """Keeps the socket counts of this process's users alive (:func:`refresh`)."""

    name = "socket count heartbeat"

    def interval(self) -> float:
        return HEARTBEAT_SECONDS

    def beat(self, open_sockets: dict[int, int]) -> None:
        refresh(open_sockets)


async def aclaim(user_id: int) -> bool:
    """:func:`claim` from the event loop; a claimed socket is kept counted by the heartbeat."""
    if not await database_sync_to_async(claim)(user_id):
        return False
    Heartbeat.for_loop().add(user_id)
    return True


async def arelease(user_id: int) -> None:
    """:func:`release` from the event loop, for a socket :func:`aclaim` counted."""
    Heartbeat.for_loop().remove(user_id)
    await database_sync_to_async(release)(user_id)
