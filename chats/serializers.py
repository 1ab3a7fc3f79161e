"""Shapes of 1:1 messages and inbox rows: the same JSON in the REST API and in frames.

Serializing a message reads ``message.media.all()``: querysets handed to these serializers
prefetch ``media`` (the selectors do), so a page of messages costs one query for all its media.
"""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from accounts.serializers import PublicProfileSerializer, is_stranger
from chats.media_serializers import (  # MultimediaSerializer: also imported from here by others
    MultimediaSerializer,
    media_item_json,
)
from chats.models import Message
from chats.selectors import ChatRow
from chats.texts import is_forwarded_many_times
from groups.models import GroupMessage
from whatsapp.timestamps import timestamp


class _ChatItemSerializer(serializers.Serializer):
    """What 1:1 and group messages share: content, forwarding, removal, media, client_id."""

    content = serializers.SerializerMethodField()
    sent_at = serializers.DateTimeField(read_only=True)
    delivered_at = serializers.DateTimeField(read_only=True, allow_null=True)
    read_at = serializers.DateTimeField(read_only=True, allow_null=True)
    forwarded = serializers.SerializerMethodField()
    forwarded_many_times = serializers.SerializerMethodField()
    client_id = serializers.CharField(read_only=True, allow_null=True)
    removed = serializers.SerializerMethodField()
    media = serializers.SerializerMethodField()

    def get_content(self, item) -> str:
        return "" if item.removed_at else item.content

    def get_forwarded(self, item) -> bool:
        return item.forward_count > 0 or item.forwarded_from_id is not None

    def get_forwarded_many_times(self, item) -> bool:
        return is_forwarded_many_times(item.forward_count)

    def get_removed(self, item) -> bool:
        return item.removed_at is not None

    @extend_schema_field(MultimediaSerializer(many=True))
    def get_media(self, item) -> list[dict[str, Any]]:
        if item.removed_at:
            return []
        return MultimediaSerializer(item.media.all(), many=True, context=self.context).data

    def to_representation(self, instance):
        # The fields in the order the subclass's Meta lists them.
        data = super().to_representation(instance)
        return {name: data[name] for name in self.Meta.fields}


class MessageSerializer(_ChatItemSerializer):
    """A 1:1 message. Removed messages keep their place but show no content or media."""

    message_id = serializers.IntegerField(source="id", read_only=True)
    sender_id = serializers.IntegerField(read_only=True)
    receiver_id = serializers.IntegerField(read_only=True)
    forwarded_from_message_id = serializers.IntegerField(
        source="forwarded_from_id", read_only=True, allow_null=True
    )

    class Meta:
        fields = [
            "message_id",
            "sender_id",
            "receiver_id",
            "content",
            "sent_at",
            "delivered_at",
            "read_at",
            "forwarded_from_message_id",
            "forwarded",
            "forwarded_many_times",
            "client_id",
            "removed",
            "media",
        ]


class GroupMessagePreviewSerializer(_ChatItemSerializer):
    """A group's last message as the inbox shows it (the group API has the full shape)."""

    group_message_id = serializers.IntegerField(source="id", read_only=True)
    group_id = serializers.IntegerField(read_only=True)
    sender_id = serializers.IntegerField(read_only=True)
    forwarded_from_group_message_id = serializers.IntegerField(
        source="forwarded_from_id", read_only=True, allow_null=True
    )

    class Meta:
        fields = [
            "group_message_id",
            "group_id",
            "sender_id",
            "content",
            "sent_at",
            "delivered_at",
            "read_at",
            "forwarded_from_group_message_id",
            "forwarded",
            "forwarded_many_times",
            "client_id",
            "removed",
            "media",
        ]


def message_json(message: Message) -> dict[str, Any]:
    """The message as frames and REST carry it (``media`` must be prefetched or is queried).

    Written out by hand, field for field as :class:`MessageSerializer` renders it: every sent
    message is rendered for its push and its ack, and going through DRF cost several ms of CPU
    a message (docs/performance.md). tests/chats/test_serializers.py keeps the two identical.
    """
    return {
        "message_id": message.id,
        "sender_id": message.sender_id,
        "receiver_id": message.receiver_id,
        **sent_json(message),
        "forwarded_from_message_id": message.forwarded_from_id,
    }


def sent_json(message) -> dict[str, Any]:
    """The fields a 1:1 message and a group message share, in :func:`message_json`'s terms."""
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


def media_json(media) -> list[dict[str, Any]]:
    """Attachments as messages carry them (:func:`media_item_json` each)."""
    return [media_item_json(item) for item in media]


class InboxGroupSerializer(serializers.Serializer):
    group_id = serializers.IntegerField(source="id", read_only=True)
    group_name = serializers.CharField(source="name", read_only=True)


class ChatRowSerializer(serializers.Serializer):
    """One inbox row: a 1:1 peer (``kind`` "user") or a group (``kind`` "group")."""

    kind = serializers.ChoiceField(choices=["user", "group"], read_only=True)
    peer = PublicProfileSerializer(read_only=True, allow_null=True)
    group = InboxGroupSerializer(read_only=True, allow_null=True)
    last_message = serializers.SerializerMethodField()
    unread_count = serializers.IntegerField(read_only=True)
    last_activity_at = serializers.DateTimeField(read_only=True)

    @extend_schema_field(
        serializers.JSONField(
            allow_null=True,
            help_text="A message (kind user) or group message (kind group), or null.",
        )
    )
    def get_last_message(self, row) -> dict[str, Any] | None:
        return last_message_json(row.last_message)


def last_message_json(item: Message | GroupMessage | None) -> dict[str, Any] | None:
    """An inbox row's last message: a 1:1 message, a group message, or None."""
    if item is None:
        return None
    if isinstance(item, GroupMessage):
        from groups.serializers import group_message_json  # groups builds on this module

        return group_message_json(item)
    return message_json(item)


def chat_row_json(row: ChatRow, request) -> dict[str, Any]:
    """An inbox row as :class:`ChatRowSerializer` renders it, written out by hand.

    DRF's nested serializers were about a fifth of the inbox's CPU (docs/performance.md), as they
    were for :func:`message_json`; tests/chats/test_serializers.py keeps the two identical.
    The peer comes from :func:`chats.selectors.chats_for`, annotated ``has_blocked_me``.
    """
    group = row.group
    return {
        "kind": row.kind,
        "peer": None if row.peer is None else _peer_json(row.peer, request),
        "group": None if group is None else {"group_id": group.id, "group_name": group.name},
        "last_message": last_message_json(row.last_message),
        "unread_count": row.unread_count,
        "last_activity_at": timestamp(row.last_activity_at),
    }


def _peer_json(user: User, request) -> dict[str, Any]:
    """``PublicProfileSerializer``'s fields; a user who blocked the viewer hides the status, a
    stranger (``is_stranger``) everything but the name."""
    if is_stranger(user):
        picture = thumbnail = phone_number = status = None
    else:
        picture, thumbnail = user.profile_picture_url, user.profile_thumbnail_url
        phone_number = user.phone_number
        status = None if user.has_blocked_me else user.status
    return {
        "user_id": user.id,
        "phone_number": phone_number,
        "name": user.name,
        "profile_picture": picture and request.build_absolute_uri(picture),
        "profile_thumbnail": thumbnail and request.build_absolute_uri(thumbnail),
        "status": status,
        "created_at": timestamp(user.created_at),
        "updated_at": timestamp(user.updated_at),
    }


class ContentSerializer(serializers.Serializer):
    """What a composer posts: text and attached files (JSON, or multipart with ``files``)."""

    content = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, default=""
    )
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list
    )


class SendSerializer(ContentSerializer):
    """A message send: text, files and the ``client_id`` that makes retrying it safe."""

    client_id = serializers.CharField(
        required=False, allow_null=True, allow_blank=False, max_length=64, default=None
    )


class MessageCreateSerializer(SendSerializer):
    """POST messages/: JSON, or multipart with ``files``."""

    receiver_id = serializers.IntegerField(min_value=1)


class ForwardSerializer(serializers.Serializer):
    receiver_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), allow_empty=False, max_length=50
    )


# POST messages/read/ {with}: "with" is a Python keyword, so the class is built by name.
ReadSerializer = type(
    "ReadSerializer",
    (serializers.Serializer,),
    {
        "__module__": __name__,
        "__doc__": "POST messages/read/: the peer whose messages to me become read.",
        "with": serializers.IntegerField(min_value=1, help_text="The peer's user_id."),
    },
)


class ReadResultSerializer(serializers.Serializer):
    read_count = serializers.IntegerField(help_text="How many messages became read.")
    message_ids = serializers.ListField(child=serializers.IntegerField())
