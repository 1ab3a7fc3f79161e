"""Output shape of attachments, shared by 1:1 messages, group messages and announcements."""

from typing import Literal, TypedDict

from django.urls import reverse

from attachments.kinds import media_kind
from chats.models import Multimedia
from whatsapp.shapes import ShapeSerializer, Timestamp
from whatsapp.timestamps import timestamp

# What an attachment is shown as (attachments.kinds).
MediaKind = Literal["image", "video", "audio", "document"]


class MultimediaJSON(TypedDict):
    multimedia_id: int
    file_type: str
    kind: MediaKind
    uploaded_at: Timestamp
    size: int
    width: int | None
    height: int | None
    original_name: str
    forwarded_from_multimedia_id: int | None
    download_url: str
    thumbnail_url: str | None


def media_item_json(media: Multimedia) -> MultimediaJSON:
    """One attachment as messages, announcements and ``media/{id}/`` carry it."""
    return {
        "multimedia_id": media.id,
        "file_type": media.file_type,
        "kind": media_kind(media.file_type),
        "uploaded_at": timestamp(media.uploaded_at),
        "size": media.size,
        "width": media.width,
        "height": media.height,
        "original_name": media.original_name,
        "forwarded_from_multimedia_id": media.forwarded_from_id,
        "download_url": download_url(media),
        "thumbnail_url": thumbnail_url(media),
    }


def media_json(media) -> list[MultimediaJSON]:
    """Attachments as messages and announcements carry them (:func:`media_item_json` each)."""
    return [media_item_json(item) for item in media]


class MultimediaSerializer(ShapeSerializer):
    """One attachment. URLs are root-relative, the same over REST and WebSocket frames."""

    shape = MultimediaJSON
    writer = media_item_json


def download_url(media: Multimedia) -> str:
    return reverse("media_api:media-download", args=[media.id])


def thumbnail_url(media: Multimedia) -> str | None:
    if not media.thumbnail:
        return None
    return reverse("media_api:media-thumbnail", args=[media.id])
