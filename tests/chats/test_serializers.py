"""message_json is hand-written for speed: it must render exactly what MessageSerializer does."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chats import services
from chats.models import Message
from chats.serializers import MessageSerializer, message_json

pytestmark = pytest.mark.django_db


def _same(message: Message) -> None:
    message = Message.objects.prefetch_related("media").get(id=message.id)
    fast = json.loads(json.dumps(message_json(message)))
    drf = json.loads(json.dumps(MessageSerializer(message).data))
    assert fast == drf


def test_a_plain_message_renders_as_the_serializer_does(alice, bob):
    _same(services.send_message(alice, receiver=bob, content="hello", client_id="c-1"))


def test_a_read_forwarded_message_renders_as_the_serializer_does(alice, bob, carol):
    original = services.send_message(alice, receiver=bob, content="pass it on")
    [copy] = services.forward_message(bob, message=original, receivers=[carol])
    Message.objects.filter(id=copy.id).update(
        delivered_at=timezone.now(), read_at=timezone.now(), forward_count=7
    )

    _same(copy)


def test_a_removed_message_renders_as_the_serializer_does(alice, bob):
    message = services.send_message(alice, receiver=bob, content="gone soon")
    Message.objects.filter(id=message.id).update(removed_at=timezone.now())

    _same(message)


def test_a_message_with_media_renders_as_the_serializer_does(alice, bob, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("note.txt", b"plain text notes\n", content_type="text/plain")

    _same(services.send_message(alice, receiver=bob, content="", files=[upload]))
