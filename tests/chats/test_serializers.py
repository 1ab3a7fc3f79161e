"""Messages and inbox rows have their shapes' keys, in order, and their serializers render
exactly what their writers write (the schema is derived from the shapes)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from chats import selectors, services
from chats.models import Message
from chats.serializers import ChatRowJSON, ChatRowSerializer, chat_row_json
from messaging import actions
from messaging.serializers import MessageForMeJSON, MessageJSON, MessageSerializer, message_json
from tests.accounts.conftest import image_bytes
from tests.chats.test_selectors import group_with
from tests.shapes import assert_has_shape, same_json

pytestmark = pytest.mark.django_db


def _written(message: Message, viewer: User | None = None) -> MessageJSON:
    """The message as its writer writes it for frames, checked against its shape, and as REST
    renders it for ``viewer`` (its sender by default): the same with ``starred``."""
    viewer = viewer or message.sender
    message = selectors.visible_message(viewer, message.id)
    written = message_json(message)
    assert_has_shape(written, MessageJSON)
    for_me = {**written, "starred": message.starred}
    assert_has_shape(for_me, MessageForMeJSON)
    assert same_json(MessageSerializer(message).data, for_me)
    assert same_json(MessageSerializer([message], many=True).data, [for_me])
    return written


def test_a_plain_message_has_the_message_shape(alice, bob):
    message = services.send_message(alice, receiver=bob, content="hello", client_id="c-1")

    written = _written(message)

    assert written["content"] == "hello" and written["client_id"] == "c-1"
    assert written["delivered_at"] is None and written["media"] == []
    assert written["forwarded"] is False and written["forwarded_from_message_id"] is None


def test_a_read_forwarded_message_has_the_message_shape(alice, bob, carol):
    original = services.send_message(alice, receiver=bob, content="pass it on")
    [copy] = services.forward_message(bob, message=original, receivers=[carol])
    Message.objects.filter(id=copy.id).update(
        delivered_at=timezone.now(), read_at=timezone.now(), forward_count=7
    )

    written = _written(copy)

    assert written["forwarded"] and written["forwarded_from_message_id"] == original.id
    assert written["read_at"].endswith("Z")


def test_a_removed_message_shows_no_content_or_media(alice, bob, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("note.txt", b"plain text notes\n", content_type="text/plain")
    message = services.send_message(alice, receiver=bob, content="gone soon", files=[upload])
    Message.objects.filter(id=message.id).update(removed_at=timezone.now())

    written = _written(message)

    assert (written["removed"], written["content"], written["media"]) == (True, "", [])


def test_a_message_with_a_photo_and_a_forwarded_file_has_the_message_shape(
    alice, bob, carol, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    photo = SimpleUploadedFile("cat.jpg", image_bytes(size=(640, 480)), content_type="image/jpeg")
    note = SimpleUploadedFile("note.txt", b"plain text notes\n", content_type="text/plain")
    original = services.send_message(alice, receiver=bob, content="", files=[photo, note])
    [copy] = services.forward_message(bob, message=original, receivers=[carol])

    _written(original)
    rendered = _written(copy)["media"]

    assert [m["kind"] for m in rendered] == ["image", "document"]
    assert rendered[0]["thumbnail_url"] and rendered[0]["width"] == 640
    assert rendered[1]["thumbnail_url"] is None
    assert all(m["forwarded_from_multimedia_id"] for m in rendered)


def test_inbox_rows_have_the_row_shape_and_hide_what_peers_may_not_show(
    alice, bob, carol, mallory, rf
):
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

    written = [chat_row_json(row, request) for row in rows]

    assert len(written) == 5
    for row in written:
        assert_has_shape(row, ChatRowJSON)
    rendered = ChatRowSerializer(rows, many=True, context={"request": request}).data
    assert same_json(rendered, written)
    peers = {row["peer"]["name"]: row["peer"] for row in written if row["peer"]}
    stranger = peers["Mallory"]
    assert [stranger[f] for f in ("phone_number", "profile_picture", "status")] == [None] * 3
    assert peers["Bob"]["profile_picture"].startswith("http://testserver/")
    assert peers["Carol"]["status"] is None and peers["Carol"]["phone_number"]
    [team] = [row for row in written if row["group"] and row["group"]["group_name"] == "Team"]
    assert team["last_message"]["sender"] == bob.display_name


def test_a_reply_carries_its_quote_and_shows_when_the_quote_is_deleted(alice, bob):
    original = services.send_message(alice, receiver=bob, content="x" * 300)
    reply = services.send_message(bob, receiver=alice, content="yes", reply_to_id=original.id)

    quote = _written(reply)["reply_to"]

    assert quote == {
        "message_id": original.id,
        "sender_id": alice.id,
        "content": "x" * 200,
        "has_media": False,
        "media_kind": None,
        "deleted": False,
    }
    actions.delete_for_everyone(services.ONE_TO_ONE, alice, message_id=original.id)
    assert _written(reply)["reply_to"]["content"] == ""
    assert _written(reply)["reply_to"]["deleted"] is True


def test_reactions_edits_deletes_and_stars_are_written(alice, bob):
    message = services.send_message(alice, receiver=bob, content="hi")
    kind = services.ONE_TO_ONE
    actions.react(kind, bob, message_id=message.id, emoji="👍")
    actions.edit(kind, alice, message_id=message.id, content="hi there")
    actions.star(kind, bob, message_id=message.id, starred=True)

    written = _written(message, viewer=bob)

    assert [(r["user_id"], r["emoji"]) for r in written["reactions"]] == [(bob.id, "👍")]
    assert written["content"] == "hi there" and written["edited_at"]
    assert selectors.visible_message(bob, message.id).starred is True
    assert selectors.visible_message(alice, message.id).starred is False
    actions.delete_for_everyone(kind, alice, message_id=message.id)
    gone = _written(message, viewer=bob)
    assert (gone["deleted"], gone["content"], gone["reactions"], gone["removed"]) == (
        True,
        "",
        [],
        False,
    )
