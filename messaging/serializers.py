"""Shapes of 1:1 and group messages: the same JSON in the REST API, frames and inbox rows.

Each is written once, by its writer (:mod:`whatsapp.shapes`): every sent message is rendered
for its push and its ack, and every history page renders 50. Writing reads
``message.media.all()`` (and a group message's ``sender``): querysets handed to these prefetch
``media`` and select ``sender`` (the selectors do), so a page costs one query for its media.
"""

from typing import TypedDict

from attachments.kinds import media_kind
from attachments.serializers import MediaKind, MultimediaJSON, media_json
from messaging.texts import QUOTE_LENGTH, is_forwarded_many_times
from whatsapp.shapes import ShapeSerializer, Timestamp
from whatsapp.timestamps import timestamp


class ReactionJSON(TypedDict):
    user_id: int
    emoji: str
    reacted_at: Timestamp


def reaction_json(reaction) -> ReactionJSON:
    return {
        "user_id": reaction.user_id,
        "emoji": reaction.emoji,
        "reacted_at": timestamp(reaction.reacted_at),
    }


class ReactionSerializer(ShapeSerializer):
    """One user's reaction (at most one per user and message)."""

    shape = ReactionJSON
    writer = reaction_json


class SentJSON(TypedDict):
    """What 1:1 and group messages share: content, forwarding, removal, media, client_id, and
    what the message actions change (reactions, edits, deleting for everyone)."""

    content: str
    sent_at: Timestamp
    delivered_at: Timestamp | None
    read_at: Timestamp | None
    forwarded: bool
    forwarded_many_times: bool
    client_id: str | None
    removed: bool
    media: list[MultimediaJSON]
    reactions: list[ReactionJSON]
    edited_at: Timestamp | None
    deleted: bool
    deleted_at: Timestamp | None


def is_gone(message) -> bool:
    """Whether staff removed the message or its sender deleted it for everyone: it keeps its
    place but shows no content, media or reactions."""
    return message.removed_at is not None or message.deleted_at is not None


def sent_json(message) -> SentJSON:
    """The fields of :class:`SentJSON`, from a 1:1 or a group message (media and reactions
    loaded: :mod:`messaging.prefetch`)."""
    gone = is_gone(message)
    return {
        "content": "" if gone else message.content,
        "sent_at": timestamp(message.sent_at),
        "delivered_at": timestamp(message.delivered_at),
        "read_at": timestamp(message.read_at),
        "forwarded": message.forward_count > 0 or message.forwarded_from_id is not None,
        "forwarded_many_times": is_forwarded_many_times(message.forward_count),
        "client_id": message.client_id,
        "removed": message.removed_at is not None,
        "media": [] if gone else media_json(message.media.all()),
        "reactions": [] if gone else [reaction_json(r) for r in message.reactions.all()],
        "edited_at": timestamp(message.edited_at),
        "deleted": message.deleted_at is not None,
        "deleted_at": timestamp(message.deleted_at),
    }


def _quote(quoted) -> dict:
    """What a reply shows of the message it quotes: its first QUOTE_LENGTH characters ("" once
    it is gone) and the kind of its first attachment, if any (from ``media_type``, its MIME
    type, which messaging.prefetch annotates; else one query)."""
    if not hasattr(quoted, "media_type"):
        first = quoted.media.order_by("id").first()
        quoted.media_type = first and first.file_type
    gone = is_gone(quoted)
    kind = None if gone or not quoted.media_type else media_kind(quoted.media_type)
    return {
        "sender_id": quoted.sender_id,
        "content": "" if gone else quoted.content[:QUOTE_LENGTH],
        "has_media": kind is not None,
        "media_kind": kind,
        "deleted": gone,
    }


class MessageQuoteJSON(TypedDict):
    message_id: int
    sender_id: int
    content: str
    has_media: bool
    media_kind: MediaKind | None
    deleted: bool


def message_quote_json(quoted) -> MessageQuoteJSON:
    return {"message_id": quoted.id, **_quote(quoted)}


class MessageQuoteSerializer(ShapeSerializer):
    """The 1:1 message a reply quotes."""

    shape = MessageQuoteJSON
    writer = message_quote_json


class GroupMessageQuoteJSON(TypedDict):
    group_message_id: int
    sender_id: int
    content: str
    has_media: bool
    media_kind: MediaKind | None
    deleted: bool


def group_message_quote_json(quoted) -> GroupMessageQuoteJSON:
    return {"group_message_id": quoted.id, **_quote(quoted)}


class GroupMessageQuoteSerializer(ShapeSerializer):
    """The group message a reply quotes."""

    shape = GroupMessageQuoteJSON
    writer = group_message_quote_json


def _quoted(message):
    return message.reply_to if message.reply_to_id is not None else None


# The keys before the shared ones: a TypedDict's keys go base by base, in the order listed.
class _MessageHead(TypedDict):
    message_id: int
    sender_id: int
    receiver_id: int


class MessageJSON(_MessageHead, SentJSON):
    forwarded_from_message_id: int | None
    reply_to: MessageQuoteJSON | None


def message_json(message) -> MessageJSON:
    """A 1:1 message (a ``chats.models.Message``), as frames carry it."""
    quoted = _quoted(message)
    return {
        "message_id": message.id,
        "sender_id": message.sender_id,
        "receiver_id": message.receiver_id,
        **sent_json(message),
        "forwarded_from_message_id": message.forwarded_from_id,
        "reply_to": None if quoted is None else message_quote_json(quoted),
    }


class MessageForMeJSON(MessageJSON):
    starred: bool


def message_for_me_json(message) -> MessageForMeJSON:
    """A 1:1 message as REST answers the caller: with whether they starred it (annotated
    ``starred`` by the selectors; a message just sent is not)."""
    return {**message_json(message), "starred": getattr(message, "starred", False)}


class MessageSerializer(ShapeSerializer):
    """A 1:1 message. Removed and deleted messages keep their place but show no content or
    media; ``starred`` says whether I starred it."""

    shape = MessageForMeJSON
    writer = message_for_me_json


class _GroupMessageHead(TypedDict):
    group_message_id: int
    group_id: int
    sender_id: int
    sender: str


class GroupMessageJSON(_GroupMessageHead, SentJSON):
    forwarded_from_group_message_id: int | None
    reply_to: GroupMessageQuoteJSON | None


def group_message_json(message) -> GroupMessageJSON:
    """A group message (a ``groups.models.GroupMessage``), as frames carry it; ``sender`` is
    the sender's name."""
    quoted = _quoted(message)
    return {
        "group_message_id": message.id,
        "group_id": message.group_id,
        "sender_id": message.sender_id,
        "sender": message.sender.display_name,
        **sent_json(message),
        "forwarded_from_group_message_id": message.forwarded_from_id,
        "reply_to": None if quoted is None else group_message_quote_json(quoted),
    }


class GroupMessageForMeJSON(GroupMessageJSON):
    starred: bool


def group_message_for_me_json(message) -> GroupMessageForMeJSON:
    """A group message as REST answers the caller: with whether they starred it."""
    return {**group_message_json(message), "starred": getattr(message, "starred", False)}


class GroupMessageSerializer(ShapeSerializer):
    """A group message; ``sender`` is the sender's name. Removed and deleted ones show no
    content or media; ``starred`` says whether I starred it."""

    shape = GroupMessageForMeJSON
    writer = group_message_for_me_json
