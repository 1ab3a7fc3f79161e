"""Shapes of the groups API: input serializers check shape, output serializers render.

A group message has the same JSON over REST and in ``group_message.*`` frames
(:func:`group_message_json`); serializing reads ``message.media.all()`` and ``message.sender``,
so querysets handed to it prefetch ``media`` and select ``sender`` (the selectors do).
"""

from typing import Any

from rest_framework import serializers

from accounts.serializers import PublicProfileSerializer
from chats.serializers import GroupMessagePreviewSerializer, SendSerializer, sent_json
from groups.models import Group, GroupMember, GroupMessage, GroupMessageReceipt


class GroupSerializer(serializers.ModelSerializer):
    """A group as its members see it; ``member_count`` and ``is_admin`` come annotated."""

    group_id = serializers.IntegerField(source="id", read_only=True)
    group_name = serializers.CharField(source="name", read_only=True)
    created_by = serializers.IntegerField(
        source="created_by_id", read_only=True, allow_null=True, help_text="The creator's user_id."
    )
    member_count = serializers.IntegerField(read_only=True)
    is_admin = serializers.BooleanField(
        read_only=True, help_text="Whether the requesting user is an admin of the group."
    )

    class Meta:
        model = Group
        fields = ["group_id", "group_name", "created_by", "created_at", "member_count", "is_admin"]
        read_only_fields = fields


class GroupCreateSerializer(serializers.Serializer):
    group_name = serializers.CharField(max_length=200, allow_blank=True)
    member_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        help_text="user_ids of people from your contacts to add; you become the admin.",
    )


class GroupUpdateSerializer(serializers.Serializer):
    group_name = serializers.CharField(max_length=200, allow_blank=True)


class GroupMemberSerializer(serializers.ModelSerializer):
    group_member_id = serializers.IntegerField(source="id", read_only=True)
    user = PublicProfileSerializer(read_only=True)

    class Meta:
        model = GroupMember
        fields = ["group_member_id", "user", "added_at", "is_admin"]
        read_only_fields = fields


class GroupMemberCreateSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(min_value=1, help_text="Someone from your contacts.")


class GroupMemberUpdateSerializer(serializers.Serializer):
    is_admin = serializers.BooleanField(help_text="true promotes to admin, false demotes.")


class GroupMessageSerializer(GroupMessagePreviewSerializer):
    """A group message; ``sender`` is the sender's name. Removed ones show no content or media."""

    sender = serializers.CharField(source="sender.display_name", read_only=True)

    class Meta:
        fields = [
            "group_message_id",
            "group_id",
            "sender_id",
            "sender",
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


def group_message_json(message: GroupMessage) -> dict[str, Any]:
    """The group message as frames and REST carry it (``media`` must be prefetched or is queried).

    Written out by hand, field for field as :class:`GroupMessageSerializer` renders it, as
    :func:`chats.serializers.message_json` is: every group message is rendered for its push and
    its ack (docs/performance.md). tests/groups/test_serializers.py keeps the two identical.
    """
    return {
        "group_message_id": message.id,
        "group_id": message.group_id,
        "sender_id": message.sender_id,
        "sender": message.sender.display_name,
        **sent_json(message),
        "forwarded_from_group_message_id": message.forwarded_from_id,
    }


class GroupMessageCreateSerializer(SendSerializer):
    """POST groups/{group_id}/messages/: JSON, or multipart with ``files``."""


class GroupForwardSerializer(serializers.Serializer):
    group_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), allow_empty=False, max_length=50
    )


class GroupReadResultSerializer(serializers.Serializer):
    read_count = serializers.IntegerField(help_text="How many messages became read for you.")


class ReceiptSerializer(serializers.ModelSerializer):
    """One member's delivery and read state of a message ("Message info")."""

    user_id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="user.display_name", read_only=True)

    class Meta:
        model = GroupMessageReceipt
        fields = ["user_id", "name", "delivered_at", "read_at"]
        read_only_fields = fields
