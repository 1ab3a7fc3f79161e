"""Shapes of the groups API: input serializers check shape, output serializers render.

A group message is shaped with the 1:1 one in :mod:`messaging.serializers`: the same JSON over
REST, in ``group_message.*`` frames and in inbox rows.
"""

from collections.abc import Callable
from typing import TypedDict

from rest_framework import serializers

from accounts.models import User
from accounts.serializers import PublicProfileJSON, ViewerShapeSerializer, public_profile_json
from chats.serializers import SendSerializer
from groups.models import Group, GroupMember, GroupMessageReceipt
from whatsapp.shapes import ShapeSerializer, Timestamp
from whatsapp.timestamps import timestamp


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


class GroupMemberJSON(TypedDict):
    group_member_id: int
    user: PublicProfileJSON
    added_at: Timestamp
    is_admin: bool


def group_member_json(
    member: GroupMember, request, *, has_blocked_viewer: Callable[[User], bool]
) -> GroupMemberJSON:
    return {
        "group_member_id": member.id,
        "user": public_profile_json(member.user, request, has_blocked_viewer=has_blocked_viewer),
        "added_at": timestamp(member.added_at),
        "is_admin": member.is_admin,
    }


class GroupMemberSerializer(ViewerShapeSerializer):
    shape = GroupMemberJSON
    writer = group_member_json


class GroupMemberCreateSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(min_value=1, help_text="Someone from your contacts.")


class GroupMemberUpdateSerializer(serializers.Serializer):
    is_admin = serializers.BooleanField(help_text="true promotes to admin, false demotes.")


class GroupMessageCreateSerializer(SendSerializer):
    """POST groups/{group_id}/messages/: JSON, or multipart with ``files``."""

    reply_to_group_message_id = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="The message of this group to quote (a reply).",
    )


class GroupForwardSerializer(serializers.Serializer):
    group_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), allow_empty=False, max_length=50
    )


class GroupReadResultSerializer(serializers.Serializer):
    read_count = serializers.IntegerField(help_text="How many messages became read for you.")


class ReceiptJSON(TypedDict):
    user_id: int
    name: str
    delivered_at: Timestamp | None
    read_at: Timestamp | None


def receipt_json(receipt: GroupMessageReceipt) -> ReceiptJSON:
    return {
        "user_id": receipt.user_id,
        "name": receipt.user.display_name,
        "delivered_at": timestamp(receipt.delivered_at),
        "read_at": timestamp(receipt.read_at),
    }


class ReceiptSerializer(ShapeSerializer):
    """One member's delivery and read state of a message ("Message info")."""

    shape = ReceiptJSON
    writer = receipt_json
