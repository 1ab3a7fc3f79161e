"""The one way the server pushes frames to sockets: per-user groups on the channel layer.

Every connected socket of user N joins the channel-layer group ``user.N``. Services call
:func:`publish` (or :func:`publish_to_group`) inside their transaction; the frame leaves only
after the commit, so a rolled-back write never reaches a socket. The channel layer is only a
doorbell: everything pushed is already stored, and ``sync`` replays it for a client that missed it.
"""

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from whatsapp.compat.asgiref import serving_loop

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def _send(group: str, frame: dict[str, Any], exclude_channel: str | None) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    # "group" lets a socket drop a frame that was queued for it before it left that group.
    event = {"type": "push", "frame": frame, "group": group}
    if exclude_channel:
        event["exclude_channel"] = exclude_channel
    loop = serving_loop()
    if loop is not None:
        # Called from a database thread of a server process: hand the push to the event loop
        # and return at once, so the thread is free for the next frame instead of waiting for
        # Redis round trips (see docs/performance.md).
        loop.call_soon_threadsafe(_enqueue, layer, group, event)
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:
        # The write is committed: a lost doorbell (e.g. Redis restarting) must not turn a stored
        # message into an error for its sender. Clients reconnect and `sync` what they missed.
        logger.warning("push to %s failed; the client will sync it", group, exc_info=True)


class _Publisher:
    """Per event loop: sends what database threads published, in order, in batches.

    Everything handed over while a batch is in flight goes out in the next one; a layer with
    ``group_send_many`` (whatsapp.channel_layer) sends a batch in one Redis round trip, others
    one ``group_send`` after the other. Order is kept per process, so per group too.
    """

    def __init__(self, layer):
        self.layer = layer
        self.pending: list[tuple[str, dict[str, Any]]] = []
        self.wakeup = asyncio.Event()
        self.task = asyncio.ensure_future(self._run())

    def put(self, group: str, event: dict[str, Any]) -> None:
        self.pending.append((group, event))
        self.wakeup.set()

    async def _run(self) -> None:
        while True:
            await self.wakeup.wait()
            self.wakeup.clear()
            batch, self.pending = self.pending, []
            if not batch:
                continue
            try:
                if hasattr(self.layer, "group_send_many"):
                    await self.layer.group_send_many(batch)
                else:
                    for group, event in batch:
                        await self.layer.group_send(group, event)
            except Exception:
                logger.warning("push of %d frame(s) failed; clients will sync", len(batch))


_publishers: dict[int, _Publisher] = {}


def _enqueue(layer, group: str, event: dict[str, Any]) -> None:
    loop = asyncio.get_running_loop()
    publisher = _publishers.get(id(loop))
    if (
        publisher is None
        or publisher.task.get_loop() is not loop
        or publisher.task.done()
        or publisher.layer is not layer
    ):
        publisher = _publishers[id(loop)] = _Publisher(layer)
    publisher.put(group, event)


def publish(
    user_ids: Iterable[int], frame: dict[str, Any], *, exclude_channel: str | None = None
) -> None:
    """Send ``frame`` to every socket of each user, once the current transaction commits.

    ``exclude_channel`` skips one socket (the sender's own, which got an ``ack`` instead).
    """
    targets = sorted(set(user_ids))

    def deliver():
        for user_id in targets:
            _send(user_group(user_id), frame, exclude_channel)

    transaction.on_commit(deliver)


def publish_to_group(
    group: str, frame: dict[str, Any], *, exclude_channel: str | None = None
) -> None:
    """Send ``frame`` to every socket in a channel-layer group (one call for any fan-out size).

    ``exclude_channel`` skips one socket, as for :func:`publish`.
    """
    transaction.on_commit(lambda: _send(group, frame, exclude_channel))


async def apublish(
    user_ids: Iterable[int], frame: dict[str, Any], *, exclude_channel: str | None = None
) -> None:
    """Send ``frame`` to every socket of each user now, from the event loop.

    For ephemeral frames that store nothing (``typing``): there is no transaction to wait for,
    and :func:`publish` cannot be called on the event loop.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    event: dict[str, Any] = {"type": "push", "frame": frame}
    if exclude_channel:
        event["exclude_channel"] = exclude_channel
    for user_id in sorted(set(user_ids)):
        await layer.group_send(user_group(user_id), event)


def add_user_to_group(user_id: int, group: str) -> None:
    """Subscribe every open socket of a user to a channel-layer group (e.g. a chat group)."""
    publish([user_id], {"type": "_subscribe", "group": group})


def remove_user_from_group(user_id: int, group: str) -> None:
    """Unsubscribe every open socket of a user from a channel-layer group."""
    publish([user_id], {"type": "_unsubscribe", "group": group})
