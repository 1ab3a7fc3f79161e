"""Output shape of attachments, shared by 1:1 messages, group messages and announcements."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chats.media import media_kind
from chats.models import Multimedia


class MultimediaSerializer(serializers.ModelSerializer):
    """One attachment. URLs are root-relative, the same over REST and WebSocket frames."""

    multimedia_id = serializers.IntegerField(source="id", read_only=True)
    kind = serializers.SerializerMethodField()
    forwarded_from_multimedia_id = serializers.IntegerField(
        source="forwarded_from_id", read_only=True, allow_null=True
    )
    download_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Multimedia
        fields = [
            "multimedia_id",
            "file_type",
            "kind",
            "uploaded_at",
            "size",
            "width",
            "height",
            "original_name",
            "forwarded_from_multimedia_id",
            "download_url",
            "thumbnail_url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["image", "video", "audio", "document"]))
    def get_kind(self, media: Multimedia) -> str:
        return media_kind(media.file_type)

    def get_download_url(self, media: Multimedia) -> str:
        return reverse("media_api:media-download", args=[media.id])

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_thumbnail_url(self, media: Multimedia) -> str | None:
        if not media.thumbnail:
            return None
        return reverse("media_api:media-thumbnail", args=[media.id])
