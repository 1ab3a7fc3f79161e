"""Group messages, members and receipts have their shapes' keys, in order, and each serializer
renders exactly what its writer writes (the schema is derived from the shapes)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from groups import selectors, services
from groups.models import GroupMessage
from groups.serializers import (
    GroupMemberJSON,
    GroupMemberSerializer,
    ReceiptJSON,
    ReceiptSerializer,
    group_member_json,
    receipt_json,
)
from messaging import actions
from messaging.serializers import (
    GroupMessageForMeJSON,
    GroupMessageJSON,
    GroupMessageSerializer,
    group_message_json,
)
from tests.shapes import assert_has_shape, same_json

pytestmark = pytest.mark.django_db


def _written(message: GroupMessage) -> GroupMessageJSON:
    """The message as its writer writes it for frames, checked against its shape, and as REST
    renders it for its sender: the same with ``starred``."""
    message = selectors.visible_group_message(message.sender, message.group_id, message.id)
    written = group_message_json(message)
    assert_has_shape(written, GroupMessageJSON)
    for_me = {**written, "starred": message.starred}
    assert_has_shape(for_me, GroupMessageForMeJSON)
    assert same_json(GroupMessageSerializer(message).data, for_me)
    assert same_json(GroupMessageSerializer([message], many=True).data, [for_me])
    return written


def test_a_plain_group_message_has_the_group_message_shape(group, alice):
    message = services.send_group_message(alice, group=group, content="hello", client_id="g-1")

    written = _written(message)

    assert (written["sender"], written["content"], written["client_id"]) == (
        alice.display_name,
        "hello",
        "g-1",
    )


def test_a_group_reply_with_a_reaction_has_the_group_message_shape(group, alice, bob):
    original = services.send_group_message(alice, group=group, content="lunch?")
    reply = services.send_group_message(bob, group=group, content="yes", reply_to_id=original.id)
    actions.react(services.IN_GROUP, alice, message_id=reply.id, emoji="❤️")

    written = _written(reply)

    assert written["reply_to"]["group_message_id"] == original.id
    assert written["reply_to"]["content"] == "lunch?"
    assert [(r["user_id"], r["emoji"]) for r in written["reactions"]] == [(alice.id, "❤️")]


def test_a_delivered_read_forwarded_message_has_the_group_message_shape(group, alice, bob):
    original = services.send_group_message(alice, group=group, content="pass it on")
    [copy] = services.forward_group_message(bob, message=original, groups=[group])
    GroupMessage.objects.filter(id=copy.id).update(
        delivered_at=timezone.now(), read_at=timezone.now(), forward_count=7
    )

    written = _written(copy)

    assert written["forwarded_many_times"]
    assert written["forwarded_from_group_message_id"] == original.id


def test_a_removed_group_message_shows_no_content(group, alice):
    message = services.send_group_message(alice, group=group, content="gone soon")
    GroupMessage.objects.filter(id=message.id).update(removed_at=timezone.now())

    written = _written(message)

    assert (written["removed"], written["content"]) == (True, "")


def test_a_group_message_with_media_has_the_group_message_shape(group, alice, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("note.txt", b"plain text notes\n", content_type="text/plain")

    written = _written(services.send_group_message(alice, group=group, content="", files=[upload]))

    assert [m["kind"] for m in written["media"]] == ["document"]


def test_members_and_receipts_have_their_shapes(group, alice, bob, rf):
    message = services.send_group_message(alice, group=group, content="hello")
    request = rf.get("/api/v1/groups/")
    request.user = bob
    members = list(selectors.group_members(group))
    receipts = list(selectors.message_receipts(alice, message))

    rendered_members = GroupMemberSerializer(members, many=True, context={"request": request}).data
    rendered_receipts = ReceiptSerializer(receipts, many=True).data

    written = [
        group_member_json(member, request, has_blocked_viewer=lambda user: False)
        for member in members
    ]
    assert same_json(rendered_members, written)
    assert same_json(rendered_receipts, [receipt_json(receipt) for receipt in receipts])
    for member in rendered_members:
        assert_has_shape(member, GroupMemberJSON)
    for receipt in rendered_receipts:
        assert_has_shape(receipt, ReceiptJSON)
    assert [m["is_admin"] for m in rendered_members] == [True, False, False]
    assert len(rendered_receipts) == 2
