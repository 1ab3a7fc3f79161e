"""Shapes of 1:1 and group messages: the same JSON in the REST API, frames and inbox rows.

Each is written once, by its writer (:mod:`whatsapp.shapes`): every sent message is rendered
for its push and its ack, and every history page renders 50. Writing reads
``message.media.all()`` (and a group message's ``sender``): querysets handed to these prefetch
``media`` and select ``sender`` (the selectors do), so a page costs one query for its media.
"""

from typing import TypedDict

from attachments.serializers import MultimediaJSON, media_json
from messaging.texts import is_forwarded_many_times
from whatsapp.shapes import ShapeSerializer, Timestamp
from whatsapp.timestamps import timestamp


class SentJSON(TypedDict):
    """What 1:1 and group messages share: content, forwarding, removal, media, client_id."""

    content: str
    sent_at: Timestamp
    delivered_at: Timestamp | None
    read_at: Timestamp | None
    forwarded: bool
    forwarded_many_times: bool
    client_id: str | None
    removed: bool
    media: list[MultimediaJSON]


def sent_json(message) -> SentJSON:
    """The fields of :class:`SentJSON`, from a 1:1 or a group message.

    A removed message keeps its place but shows no content or media.
    """
    removed = message.removed_at is not None
    return {
        "content": "" if removed else message.content,
        "sent_at": timestamp(message.sent_at),
        "delivered_at": timestamp(message.delivered_at),
        "read_at": timestamp(message.read_at),
        "forwarded": message.forward_count > 0 or message.forwarded_from_id is not None,
        "forwarded_many_times": is_forwarded_many_times(message.forward_count),
        "client_id": message.client_id,
        "removed": removed,
        "media": [] if removed else media_json(message.media.all()),
    }


# The keys before the shared ones: a TypedDict's keys go base by base, in the order listed.
class _MessageHead(TypedDict):
    message_id: int
    sender_id: int
    receiver_id: int


class MessageJSON(_MessageHead, SentJSON):
    forwarded_from_message_id: int | None


def message_json(message) -> MessageJSON:
    """A 1:1 message (a ``chats.models.Message``)."""
    return {
        "message_id": message.id,
        "sender_id": message.sender_id,
        "receiver_id": message.receiver_id,
        **sent_json(message),
        "forwarded_from_message_id": message.forwarded_from_id,
    }


class MessageSerializer(ShapeSerializer):
    """A 1:1 message. Removed messages keep their place but show no content or media."""

    shape = MessageJSON
    writer = message_json


class _GroupMessageHead(TypedDict):
    group_message_id: int
    group_id: int
    sender_id: int
    sender: str


class GroupMessageJSON(_GroupMessageHead, SentJSON):
    forwarded_from_group_message_id: int | None


def group_message_json(message) -> GroupMessageJSON:
    """A group message (a ``groups.models.GroupMessage``); ``sender`` is the sender's name."""
    return {
        "group_message_id": message.id,
        "group_id": message.group_id,
        "sender_id": message.sender_id,
        "sender": message.sender.display_name,
        **sent_json(message),
        "forwarded_from_group_message_id": message.forwarded_from_id,
    }


class GroupMessageSerializer(ShapeSerializer):
    """A group message; ``sender`` is the sender's name. Removed ones show no content or media."""

    shape = GroupMessageJSON
    writer = group_message_json
