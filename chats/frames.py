"""WebSocket frames of 1:1 chats: send, receipts, typing, sync, presence and offline delivery.

Handlers only check the frame's shape and route it to :mod:`chats.services` in a worker thread
(``database_sync_to_async``); nothing here touches the ORM on the event loop.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from chats import selectors, services
from groups.services import relay_group_typing
from messaging import sending
from messaging.frames import register_action_frames
from messaging.serializers import message_json
from whatsapp.db import Batch, database_sync_to_async
from whatsapp.errors import DomainError
from whatsapp.frames import (
    SYNC_SOURCES,
    frame,
    int_field,
    on_connect,
    on_disconnect,
    optional_int_field,
    str_field,
    sync_source,
)
from whatsapp.heartbeat import Heartbeat
from whatsapp.realtime import apublish

logger = logging.getLogger(__name__)

# A client's typing frames reach each chat at most this often (it shows them for ~5 s).
TYPING_INTERVAL_SECONDS = 2.0
# Replays and the connect-time push read this many messages per query.
BATCH_SIZE = 200


def _ids(data: dict[str, Any], name: str) -> list[int]:
    value = data.get(name)
    if (
        not isinstance(value, list)
        or not value
        or len(value) > services.MAX_RECEIPT_IDS
        or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
    ):
        raise DomainError(
            f"{name} must be a list of 1 to {services.MAX_RECEIPT_IDS} message ids.",
            code="invalid",
        )
    return value


# Sends of every socket of the process, stored together while the previous batches are written.
_sends = sending.socket_batch(services.send_many, message_json)


@frame("message.send", required=("receiver_id", "content", "client_id"))
async def message_send(consumer, data: dict[str, Any]) -> None:
    receiver_id = int_field(data, "receiver_id")
    content, client_id = str_field(data, "content"), str_field(data, "client_id")
    reply_to_id = optional_int_field(data, "reply_to_message_id")
    message = await _sends.submit(
        consumer.user, receiver_id, content, client_id, consumer.channel_name, (), reply_to_id
    )
    # A sent message ends the typing: the next keystroke may say "typing..." again at once.
    getattr(consumer, "typing_relayed_at", {}).pop(("receiver_id", receiver_id), None)
    await consumer.send_json({"type": "message.ack", "client_id": client_id, "message": message})


# message.react, message.edit, message.delete, message.star.
register_action_frames(services.ONE_TO_ONE)


# Receivers acknowledge every message they get: those frames are written in batches.
_delivered = Batch(services.mark_delivered_batch)


@frame("message.delivered", required=("message_ids",))
async def message_delivered(consumer, data: dict[str, Any]) -> None:
    ids = _ids(data, "message_ids")
    await _delivered.submit(consumer.user, ids)


@frame("message.read", required=("message_ids",))
async def message_read(consumer, data: dict[str, Any]) -> None:
    ids = _ids(data, "message_ids")
    await database_sync_to_async(services.mark_read)(consumer.user, message_ids=ids)


@frame("typing")
async def typing(consumer, data: dict[str, Any]) -> None:
    """Relay "typing..." to the chat; silently dropped when sent again within 2 s."""
    if (data.get("receiver_id") is None) == (data.get("group_id") is None):
        raise DomainError("Give receiver_id or group_id.", code="missing_field")
    if data.get("receiver_id") is not None:
        target = ("receiver_id", int_field(data, "receiver_id"))
    else:
        target = ("group_id", int_field(data, "group_id"))
    last_relayed = getattr(consumer, "typing_relayed_at", None)
    if last_relayed is None:
        last_relayed = consumer.typing_relayed_at = {}
    now = time.monotonic()
    if now - last_relayed.get(target, -TYPING_INTERVAL_SECONDS) < TYPING_INTERVAL_SECONDS:
        return
    if target[0] == "group_id":
        # One channel-layer call reaches the group's members (the groups app owns the group).
        await database_sync_to_async(relay_group_typing)(consumer.user, group_id=target[1])
    else:
        audience = await database_sync_to_async(selectors.typing_audience)(
            consumer.user, receiver_id=target[1]
        )
        if audience:
            await apublish(
                audience, {"type": "typing", "user_id": consumer.user.id, "receiver_id": target[1]}
            )
    last_relayed[target] = now


@frame("sync")
async def sync(consumer, data: dict[str, Any]) -> None:
    """Replay, in id order per kind, everything newer than the watermarks given.

    Each watermark field (``after_message_id``, ``after_group_message_id``) is optional; at least
    one is needed. Kinds are replayed one after the other, each in its own order.
    """
    fields = [name for name in SYNC_SOURCES if data.get(name) is not None]
    known = ("after_message_id", "after_group_message_id")
    if not fields and all(data.get(name) is None for name in known):
        raise DomainError(
            "Give after_message_id and/or after_group_message_id.", code="missing_field"
        )
    watermarks = {
        name: int_field(data, name, minimum=0) for name in known if data.get(name) is not None
    }
    for name in fields:
        fetch = SYNC_SOURCES[name]
        after = watermarks[name]
        while True:
            items = await database_sync_to_async(fetch)(consumer.user, after, BATCH_SIZE)
            for _, item in items:
                await consumer.send_json(item)
            if len(items) < BATCH_SIZE:
                break
            after = items[-1][0]


@sync_source("after_message_id")
def replay_messages(user, after_id: int, limit: int) -> list[tuple[int, dict[str, Any]]]:
    """1:1 messages of ``user`` after ``after_id``; those sent to them are now delivered."""
    messages = selectors.messages_after(user, after_id, limit)
    services.deliver_returned(user, messages)
    return [(m.id, {"type": "message.new", "message": message_json(m)}) for m in messages]


def _undelivered(user, after_id: int, limit: int) -> list[tuple[int, dict[str, Any]]]:
    messages = selectors.undelivered_for(user, after_id, limit)
    services.deliver_returned(user, messages)
    return [(m.id, {"type": "message.new", "message": message_json(m)}) for m in messages]


@on_connect
async def announce_online(consumer) -> None:
    await database_sync_to_async(services.user_connected)(consumer.user)
    _Heartbeat.for_loop().add(consumer.user.id)
    consumer.counted_online = True


class _Heartbeat(Heartbeat):
    """Keeps this process's users counted as online (services.refresh_presence)."""

    name = "presence heartbeat"

    def interval(self) -> float:
        return services.PRESENCE_HEARTBEAT_SECONDS

    def beat(self, open_sockets: dict[int, int]) -> None:
        services.refresh_presence(open_sockets)


@on_connect
async def push_undelivered(consumer) -> None:
    """Hand a connecting client what was sent while the user was offline (now delivered)."""
    after = 0
    while True:
        items = await database_sync_to_async(_undelivered)(consumer.user, after, BATCH_SIZE)
        for _, item in items:
            await consumer.send_json(item)
        if len(items) < BATCH_SIZE:
            break
        after = items[-1][0]


@on_disconnect
async def announce_offline(consumer) -> None:
    if getattr(consumer, "counted_online", False):
        _Heartbeat.for_loop().remove(consumer.user.id)
    await database_sync_to_async(services.user_disconnected)(consumer.user)
