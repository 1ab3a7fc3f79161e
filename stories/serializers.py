"""Shapes of the stories API."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import PublicProfileSerializer
from attachments.kinds import media_kind
from stories.models import Story, StoryView


class StorySerializer(serializers.ModelSerializer):
    """A story as its viewer sees it. File URLs are root-relative and permission-checked."""

    story_id = serializers.IntegerField(source="id", read_only=True)
    user_id = serializers.IntegerField(read_only=True)
    user = PublicProfileSerializer(read_only=True)
    kind = serializers.SerializerMethodField()
    file_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    viewed = serializers.SerializerMethodField(help_text="Whether I viewed it.")
    view_count = serializers.SerializerMethodField(
        help_text="How many others viewed it: for the author only, null for anyone else."
    )

    class Meta:
        model = Story
        fields = [
            "story_id",
            "user_id",
            "user",
            "content",
            "background_color",
            "kind",
            "file_type",
            "file_url",
            "thumbnail_url",
            "width",
            "height",
            "size",
            "created_at",
            "expires_at",
            "viewed",
            "view_count",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["text", "image", "video"]))
    def get_kind(self, story: Story) -> str:
        return media_kind(story.file_type) if story.file else "text"

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_file_url(self, story: Story) -> str | None:
        return reverse("stories_api:story-file", args=[story.id]) if story.file else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_thumbnail_url(self, story: Story) -> str | None:
        return reverse("stories_api:story-thumbnail", args=[story.id]) if story.thumbnail else None

    def get_viewed(self, story: Story) -> bool:
        return bool(getattr(story, "viewed", False))

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_view_count(self, story: Story) -> int | None:
        request = self.context.get("request")
        if request is None or request.user.id != story.user_id:
            return None
        annotated = getattr(story, "view_count", None)
        if annotated is not None:
            return annotated
        return story.views.exclude(user_id=story.user_id).count()


class StoryCreateSerializer(serializers.Serializer):
    """POST stories/: text, and/or a photo or video (multipart ``file``) with a caption."""

    content = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    background_color = serializers.CharField(required=False, max_length=7)
    file = serializers.FileField(required=False, allow_empty_file=True)


class StoryViewSerializer(serializers.ModelSerializer):
    story_view_id = serializers.IntegerField(source="id", read_only=True)
    story_id = serializers.IntegerField(read_only=True)
    user_id = serializers.IntegerField(read_only=True)
    user = PublicProfileSerializer(read_only=True)

    class Meta:
        model = StoryView
        fields = ["story_view_id", "story_id", "user_id", "user", "viewed_at"]
        read_only_fields = fields
