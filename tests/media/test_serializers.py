"""Attachments have their shape's keys, in order, and MultimediaSerializer renders exactly what
media_item_json writes."""

import pytest

from attachments.serializers import MultimediaJSON, MultimediaSerializer, media_item_json
from chats.models import Multimedia
from chats.services import send_message
from tests.media.conftest import png_upload, upload
from tests.shapes import assert_has_shape, same_json

pytestmark = pytest.mark.django_db


def test_attachments_render_what_their_writer_writes(alice, bob, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    files = [png_upload(size=(64, 48)), upload("note.txt", b"notes\n", "text/plain")]
    message = send_message(alice, receiver=bob, content="", files=files)
    media = list(Multimedia.objects.filter(message=message).order_by("id"))

    written = [media_item_json(item) for item in media]

    for item in written:
        assert_has_shape(item, MultimediaJSON)
    assert same_json(MultimediaSerializer(media, many=True).data, written)
    assert [(m["kind"], m["width"]) for m in written] == [("image", 64), ("document", None)]
    assert written[0]["download_url"] == f"/api/v1/media/{media[0].id}/download/"
