"""message_json and the inbox rows are hand-written for speed: they must render exactly what
MessageSerializer and ChatRowSerializer do."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from chats import selectors, services
from chats.models import Message
from chats.serializers import ChatRowSerializer, MessageSerializer, chat_row_json, message_json
from tests.accounts.conftest import image_bytes
from tests.chats.test_selectors import group_with

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


def test_a_message_with_a_photo_and_a_forwarded_file_renders_as_the_serializer_does(
    alice, bob, carol, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    photo = SimpleUploadedFile("cat.jpg", image_bytes(size=(640, 480)), content_type="image/jpeg")
    note = SimpleUploadedFile("note.txt", b"plain text notes\n", content_type="text/plain")
    original = services.send_message(alice, receiver=bob, content="", files=[photo, note])
    [copy] = services.forward_message(bob, message=original, receivers=[carol])

    for message in (original, copy):
        _same(message)
    rendered = message_json(Message.objects.prefetch_related("media").get(id=copy.id))["media"]
    assert [m["kind"] for m in rendered] == ["image", "document"]
    assert rendered[0]["thumbnail_url"] and rendered[0]["width"] == 640
    assert rendered[1]["thumbnail_url"] is None
    assert all(m["forwarded_from_multimedia_id"] for m in rendered)


def test_inbox_rows_render_as_the_serializer_does(alice, bob, carol, mallory, rf):
    services.send_message(bob, receiver=alice, content="hi")
    services.send_message(alice, receiver=carol, content="hello")
    services.send_message(alice, receiver=mallory, content="hello?")  # a stranger: name only
    account_services.block_user(carol, blocked=alice)  # carol's status is hidden from alice
    for user in (bob, mallory):
        User.objects.filter(id=user.id).update(
            profile_picture=f"profile_pictures/{user.id}-1.jpg",
            profile_thumbnail=f"profile_pictures/thumbs/{user.id}-1.jpg",
        )
    group_with(alice, bob, name="Team", messages=[(bob, "standup?")])
    group_with(alice, carol, name="Quiet")  # no message yet
    request = rf.get("/api/v1/chats/")
    request.user = alice
    rows = list(selectors.chats_for(alice))

    fast = json.loads(json.dumps([chat_row_json(row, request) for row in rows]))
    drf = ChatRowSerializer(rows, many=True, context={"request": request}).data

    assert len(fast) == 5
    assert fast == json.loads(json.dumps(drf))
    [stranger] = [row["peer"] for row in fast if row["peer"] and row["peer"]["name"] == "Mallory"]
    assert [stranger[f] for f in ("phone_number", "profile_picture", "status")] == [None] * 3
