"""Shapes of the communities API; an announcement has the same JSON over REST and in frames."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from attachments.serializers import MultimediaSerializer
from chats.serializers import ContentSerializer
from communities.models import Community, CommunityAnnouncement, CommunityGroup
from groups.models import Group


class CommunitySerializer(serializers.ModelSerializer):
    """A community; ``is_admin`` and ``group_count`` come annotated by the selectors."""

    community_id = serializers.IntegerField(source="id", read_only=True)
    community_name = serializers.CharField(source="name", read_only=True)
    created_by = serializers.IntegerField(
        source="created_by_id", read_only=True, allow_null=True, help_text="The creator's user_id."
    )
    is_admin = serializers.BooleanField(
        read_only=True, help_text="Whether the requesting user is a community admin."
    )
    group_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Community
        fields = [
            "community_id",
            "community_name",
            "description",
            "created_by",
            "created_at",
            "is_admin",
            "group_count",
        ]
        read_only_fields = fields


class CommunityCreateSerializer(serializers.Serializer):
    community_name = serializers.CharField(max_length=200, allow_blank=True)
    description = serializers.CharField(
        max_length=2048, allow_blank=True, required=False, default=""
    )


class CommunityUpdateSerializer(serializers.Serializer):
    community_name = serializers.CharField(max_length=200, allow_blank=True, required=False)
    description = serializers.CharField(max_length=2048, allow_blank=True, required=False)


class CommunityGroupItemSerializer(serializers.ModelSerializer):
    group_id = serializers.IntegerField(source="id", read_only=True)
    group_name = serializers.CharField(source="name", read_only=True)
    created_by = serializers.IntegerField(source="created_by_id", read_only=True, allow_null=True)

    class Meta:
        model = Group
        fields = ["group_id", "group_name", "created_by", "created_at"]
        read_only_fields = fields


class CommunityGroupSerializer(serializers.ModelSerializer):
    """A group of the community; ``member_count`` and ``is_member`` (me) come annotated."""

    community_group_id = serializers.IntegerField(source="id", read_only=True)
    group = CommunityGroupItemSerializer(read_only=True)
    member_count = serializers.IntegerField(read_only=True)
    is_member = serializers.BooleanField(
        read_only=True, help_text="Whether the requesting user is a member of this group."
    )

    class Meta:
        model = CommunityGroup
        fields = ["community_group_id", "group", "added_at", "member_count", "is_member"]
        read_only_fields = fields


class CommunityGroupCreateSerializer(serializers.Serializer):
    group_id = serializers.IntegerField(min_value=1, help_text="A group you administer.")


class AnnouncementSerializer(serializers.ModelSerializer):
    """An announcement; removed ones (staff moderation) show no content or media."""

    announcement_id = serializers.IntegerField(source="id", read_only=True)
    community_id = serializers.IntegerField(read_only=True)
    sender_id = serializers.IntegerField(read_only=True)
    sender = serializers.CharField(source="sender.display_name", read_only=True)
    content = serializers.SerializerMethodField()
    removed = serializers.SerializerMethodField()
    media = serializers.SerializerMethodField()

    class Meta:
        model = CommunityAnnouncement
        fields = [
            "announcement_id",
            "community_id",
            "sender_id",
            "sender",
            "content",
            "sent_at",
            "removed",
            "media",
        ]
        read_only_fields = fields

    def get_content(self, announcement: CommunityAnnouncement) -> str:
        return "" if announcement.removed_at else announcement.content

    def get_removed(self, announcement: CommunityAnnouncement) -> bool:
        return announcement.removed_at is not None

    @extend_schema_field(MultimediaSerializer(many=True))
    def get_media(self, announcement: CommunityAnnouncement) -> list[dict[str, Any]]:
        if announcement.removed_at:
            return []
        return MultimediaSerializer(announcement.media.all(), many=True).data


def announcement_json(announcement: CommunityAnnouncement) -> dict[str, Any]:
    return dict(AnnouncementSerializer(announcement).data)


class AnnouncementCreateSerializer(ContentSerializer):
    """POST communities/{id}/announcements/: JSON, or multipart with ``files``."""
