"""WebSocket side of groups: send, receipts, channel-group subscriptions and sync replay.

On connect a socket joins ``chatgroup.<id>`` for each group of its user (one query), so one
channel-layer call per message reaches every member; then the group messages still waiting
for delivery to this user are pushed (and marked delivered). ``sync`` replays group messages
through :func:`sync_group_messages`. The ``typing`` and ``sync`` frame types belong to chats,
which calls :func:`groups.services.relay_group_typing` for ``typing`` with a ``group_id``.
"""

from __future__ import annotations

from typing import Any

from accounts.models import User
from groups import selectors, services
from messaging import sending
from messaging.frames import register_action_frames
from messaging.serializers import group_message_json
from whatsapp.db import Batch, database_sync_to_async
from whatsapp.errors import DomainError
from whatsapp.frames import (
    frame,
    int_field,
    on_connect,
    optional_int_field,
    str_field,
    sync_source,
)

# At most this many waiting group messages are pushed on connect; `sync` fetches the rest.
CONNECT_PUSH_LIMIT = 200


def _ids_field(data: dict[str, Any]) -> list[Any]:
    value = data.get("group_message_ids")
    if not isinstance(value, list):
        raise DomainError(
            "group_message_ids must be a list.", code="invalid", field="group_message_ids"
        )
    return value


def _new_frame(message) -> dict[str, Any]:
    return {"type": "group_message.new", "group_message": group_message_json(message)}


# Sends of every socket of the process, stored together (as ``message.send`` is).
_sends = sending.socket_batch(services.send_group_messages, group_message_json)


# The same fields, read the same way, as ``message.send``: client_id is required, a string.
@frame("group_message.send", required=("group_id", "content", "client_id"))
async def group_message_send(consumer, data: dict[str, Any]) -> None:
    group_id = int_field(data, "group_id")
    content, client_id = str_field(data, "content"), str_field(data, "client_id")
    reply_to_id = optional_int_field(data, "reply_to_group_message_id")
    payload = await _sends.submit(
        consumer.user, group_id, content, client_id, consumer.channel_name, (), reply_to_id
    )
    await consumer.send_json(
        {"type": "group_message.ack", "client_id": client_id, "group_message": payload}
    )


# group_message.react, group_message.edit, group_message.delete, group_message.star.
register_action_frames(services.IN_GROUP)


def _mark_delivered(batch: list[tuple[int, list[int]]]) -> list[None]:
    services.mark_group_messages_delivered_batch(batch)
    return [None] * len(batch)


# Every member's client acknowledges every group message: a 1,024-member group sends a thousand
# ``group_message.delivered`` frames per message. They are collected for 50 ms and written
# together (one UPDATE, one group-wide recompute), so the ticks lag by at most that much and the
# database does one transaction instead of a thousand. Best effort: the socket does not wait, and
# the next ack or a history page redoes a failed batch.
_delivered = Batch(_mark_delivered, window=0.05)


@frame("group_message.delivered", required=("group_message_ids",))
async def group_message_delivered(consumer, data: dict[str, Any]) -> None:
    ids = services.clean_ids(_ids_field(data))
    if ids:
        _delivered.add(consumer.user.id, ids)


@frame("group_message.read", required=("group_message_ids",))
async def group_message_read(consumer, data: dict[str, Any]) -> None:
    await database_sync_to_async(services.mark_group_messages_read)(
        consumer.user, message_ids=_ids_field(data)
    )


def _waiting_frames(user: User) -> list[dict[str, Any]]:
    messages = list(selectors.undelivered_group_messages(user)[:CONNECT_PUSH_LIMIT])
    frames = [_new_frame(message) for message in messages]
    services.deliver_returned(user, messages)
    return frames


@on_connect
async def join_group_channels(consumer) -> None:
    group_ids = await database_sync_to_async(selectors.member_group_ids)(consumer.user.id)
    for group_id in group_ids:
        await consumer.join(services.group_channel(group_id))
    if group_ids:
        for waiting in await database_sync_to_async(_waiting_frames)(consumer.user):
            await consumer.send_json(waiting)


@sync_source("after_group_message_id")
def sync_group_messages(user: User, after_id: int, limit: int) -> list[tuple[int, dict[str, Any]]]:
    """Up to ``limit`` group messages ``user`` may see after ``after_id``, marked delivered."""
    messages = list(selectors.group_messages_after(user, after_id)[:limit])
    services.deliver_returned(user, messages)
    return [(message.id, _new_frame(message)) for message in messages]
