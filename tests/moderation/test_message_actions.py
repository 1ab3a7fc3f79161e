"""Reports and the message actions: a sender deleting a reported message for everyone does not
destroy the evidence, and what is already deleted is neither reported nor removed."""

import pytest

from chats import services as chat_services
from chats.models import Multimedia
from groups import services as group_services
from messaging import actions
from moderation import services
from moderation.models import ReportSnapshot
from tests.conftest import stored_files
from whatsapp.errors import Conflict, DomainError

QUEUE = "/admin/moderation/report/"


def test_a_reported_message_deleted_by_its_sender_keeps_its_snapshot(
    moderator_client, alice, bob, message, django_capture_on_commit_callbacks
):
    photo = message.media.get()
    original_files = {photo.file.name, photo.thumbnail.name}
    report = services.create_report(alice, kind="message", target_id=message.id, reason="spam")
    evidence = f"{QUEUE}evidence/{report.snapshots.get().id}/0/"

    with django_capture_on_commit_callbacks(execute=True):
        actions.delete_for_everyone(chat_services.ONE_TO_ONE, bob, message_id=message.id)

    message.refresh_from_db()
    page = moderator_client.get(f"{QUEUE}{report.id}/change/").content.decode()
    image = moderator_client.get(evidence)
    # The message itself is erased: content, media rows and their files.
    assert (message.content, message.deleted_at is not None) == ("", True)
    assert not Multimedia.objects.filter(id=photo.id).exists()
    stored = {str(path) for path in stored_files()}
    assert not any(path.endswith(name) for path in stored for name in original_files)
    # The report's copy is not: the text, the photo's record and its copied thumbnail.
    snapshot = ReportSnapshot.objects.get(report=report)
    assert snapshot.content == "buy cheap watches"
    assert [item["original_name"] for item in snapshot.media] == ["photo.png"]
    assert "This message was deleted" in page
    assert "buy cheap watches" in page
    assert f'src="{evidence}"' in page
    assert image.status_code == 200 and image["Content-Type"].startswith("image/")
    assert 'class="moderation-action">Remove content<' not in page  # nothing left to remove
    assert 'class="moderation-action">Suspend user<' in page


def test_a_reported_group_message_deleted_by_its_sender_keeps_its_snapshot(
    moderator_client, carol, bob, group, group_message
):
    report = services.create_report(
        carol, kind="group_message", target_id=group_message.id, reason="abuse"
    )

    actions.delete_for_everyone(group_services.IN_GROUP, bob, message_id=group_message.id)

    page = moderator_client.get(f"{QUEUE}{report.id}/change/").content.decode()
    listing = moderator_client.get(QUEUE).content.decode()
    assert report.snapshots.get().content == "you are all idiots"
    assert "you are all idiots" in page and "This message was deleted" in page
    assert "[deleted by its sender] Group message" in listing


def test_a_message_deleted_for_everyone_cannot_be_reported(alice, bob, message):
    actions.delete_for_everyone(chat_services.ONE_TO_ONE, bob, message_id=message.id)

    with pytest.raises(DomainError) as refused:
        services.create_report(alice, kind="message", target_id=message.id, reason="spam")

    assert refused.value.code == "removed"


def test_reporting_a_user_copies_no_deleted_messages(alice, bob, friends):
    kept = chat_services.send_message(bob, receiver=alice, content="still here")
    gone = chat_services.send_message(bob, receiver=alice, content="taken back")
    actions.delete_for_everyone(chat_services.ONE_TO_ONE, bob, message_id=gone.id)

    report = services.create_report(alice, kind="user", target_id=bob.id, reason="spam")

    assert [s.original_id for s in report.snapshots.all()] == [kept.id]


def test_staff_cannot_remove_a_message_its_sender_deleted(moderator, alice, bob, message):
    report = services.create_report(alice, kind="message", target_id=message.id, reason="spam")
    actions.delete_for_everyone(chat_services.ONE_TO_ONE, bob, message_id=message.id)
    report.refresh_from_db()

    with pytest.raises(Conflict) as refused:
        services.remove_content(moderator, report=report, reason="spam")

    assert refused.value.code == "deleted"
    message.refresh_from_db()
    assert message.removed_at is None
