"""Delivered receipts of many members written in one batch (what a big group's fan-out sends)."""

import pytest

from groups import services
from groups.models import GroupMessage, GroupMessageReceipt

from .conftest import frames_of

pytestmark = pytest.mark.django_db


def test_a_batch_marks_each_members_receipt_and_completes_the_ticks(
    group, alice, bob, carol, pushes, django_capture_on_commit_callbacks
):
    message = services.send_group_message(alice, group=group, content="hi all")

    with django_capture_on_commit_callbacks(execute=True):
        changed = services.mark_group_messages_delivered_batch(
            [(bob.id, [message.id]), (carol.id, [message.id])]
        )

    assert changed == 2
    assert not GroupMessageReceipt.objects.filter(delivered_at__isnull=True).exists()
    assert GroupMessage.objects.get(id=message.id).delivered_at is not None
    [(group_name, status)] = frames_of(pushes, "group_message.status")
    assert status["group_message_id"] == message.id and group_name == f"user.{alice.id}"


def test_a_batch_ignores_ids_a_user_has_no_receipt_for(group, alice, bob, carol):
    message = services.send_group_message(alice, group=group, content="hi all")

    changed = services.mark_group_messages_delivered_batch(
        [(alice.id, [message.id]), (bob.id, [message.id, 999_999])]
    )

    assert changed == 1
    assert GroupMessage.objects.get(id=message.id).delivered_at is None  # carol has not got it
