"""group_message_json is hand-written for speed: it must render what GroupMessageSerializer does."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from groups import services
from groups.models import GroupMessage
from groups.serializers import GroupMessageSerializer, group_message_json

pytestmark = pytest.mark.django_db


def _same(message: GroupMessage) -> None:
    message = (
        GroupMessage.objects.select_related("sender").prefetch_related("media").get(id=message.id)
    )
    fast = json.loads(json.dumps(group_message_json(message)))
    drf = json.loads(json.dumps(GroupMessageSerializer(message).data))
    assert fast == drf


def test_a_plain_group_message_renders_as_the_serializer_does(group, alice):
    _same(services.send_group_message(alice, group=group, content="hello", client_id="g-1"))


def test_a_delivered_read_forwarded_message_renders_as_the_serializer_does(group, alice, bob):
    original = services.send_group_message(alice, group=group, content="pass it on")
    [copy] = services.forward_group_message(bob, message=original, groups=[group])
    GroupMessage.objects.filter(id=copy.id).update(
        delivered_at=timezone.now(), read_at=timezone.now(), forward_count=7
    )

    _same(copy)


def test_a_removed_group_message_renders_as_the_serializer_does(group, alice):
    message = services.send_group_message(alice, group=group, content="gone soon")
    GroupMessage.objects.filter(id=message.id).update(removed_at=timezone.now())

    _same(message)


def test_a_message_with_media_renders_as_the_serializer_does(group, alice, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("note.txt", b"plain text notes\n", content_type="text/plain")

    _same(services.send_group_message(alice, group=group, content="", files=[upload]))
