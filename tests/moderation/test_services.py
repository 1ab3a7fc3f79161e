"""Reports (visibility, snapshot, blocking, limits) and staff actions with their effects."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts import selectors as account_selectors
from accounts import services as account_services
from chats import services as chat_services
from chats.models import Message, Multimedia
from groups import selectors as group_selectors
from groups import services as group_services
from groups.models import GroupMember, GroupMessage
from messaging.serializers import message_json
from moderation import selectors, services
from moderation.models import AuditLog, GroupBan, Report, ReportSnapshot
from stories import selectors as story_selectors
from stories import services as story_services
from stories.models import Story
from tests.moderation.conftest import known_to
from whatsapp.errors import Conflict, DomainError, Forbidden, NotFound, RateLimited


def report(reporter, kind, target_id, **kwargs):
    kwargs.setdefault("reason", Report.Reason.SPAM)
    return services.create_report(reporter, kind=kind, target_id=target_id, **kwargs)


# --- reporting ------------------------------------------------------------------------------


def test_reporting_a_message_copies_it_with_its_photo(alice, bob, message):
    made = report(alice, "message", message.id, note="  scam  ")

    assert made.status == Report.Status.OPEN
    assert (made.reporter, made.message, made.reported_user) == (alice, message, bob)
    assert made.note == "scam"
    [snapshot] = made.snapshots.all()
    assert (snapshot.original_id, snapshot.sender, snapshot.content) == (
        message.id,
        bob,
        "buy cheap watches",
    )
    assert snapshot.sender_label == str(bob)
    [item] = snapshot.media
    media_row = message.media.get()
    assert (item["multimedia_id"], item["file_type"]) == (media_row.id, media_row.file_type)
    assert item["evidence"].startswith("moderation/evidence/")
    assert default_storage.exists(item["evidence"])


def test_reporting_a_user_copies_the_last_five_messages_of_the_chat(alice, bob, friends):
    for n in range(7):
        sender, receiver = (bob, alice) if n % 2 else (alice, bob)
        chat_services.send_message(sender, receiver=receiver, content=f"m{n}")

    made = report(alice, "user", bob.id, reason=Report.Reason.HARASSMENT)

    assert [s.content for s in made.snapshots.all()] == ["m2", "m3", "m4", "m5", "m6"]
    assert made.reported_user == bob
    assert made.message is None


def test_the_snapshot_survives_the_messages_being_deleted(alice, bob, friends):
    sent = chat_services.send_message(bob, receiver=alice, content="threat")
    made = report(alice, "user", bob.id)

    Message.objects.filter(id=sent.id).delete()

    made.refresh_from_db()
    assert [s.content for s in made.snapshots.all()] == ["threat"]
    assert made.snapshots.get().original_id == sent.id


def test_reporting_a_group_copies_the_last_messages_the_reporter_can_read(alice, bob, carol, group):
    for n in range(6):
        group_services.send_group_message(bob, group=group, content=f"g{n}")

    made = report(carol, "group", group.id, reason=Report.Reason.ABUSE)

    assert [s.content for s in made.snapshots.all()] == ["g1", "g2", "g3", "g4", "g5"]
    assert {s.kind for s in made.snapshots.all()} == {ReportSnapshot.Kind.GROUP_MESSAGE}
    assert made.group == group
    assert made.reported_user is None


def test_reporting_a_story_copies_it_and_its_thumbnail(alice, bob, story):
    made = report(alice, "story", story.id)

    [snapshot] = made.snapshots.all()
    assert snapshot.kind == ReportSnapshot.Kind.STORY
    assert snapshot.content == "look"
    assert default_storage.exists(snapshot.media[0]["evidence"])
    assert made.reported_user == bob


def test_a_reported_message_deleted_later_leaves_the_report(alice, message):
    made = report(alice, "message", message.id)

    Message.objects.filter(id=message.id).delete()

    made.refresh_from_db()
    assert made.message is None
    assert made.target_id == message.id
    assert made.snapshots.count() == 1


def test_nobody_reports_a_message_they_cannot_see(mallory, message):
    with pytest.raises(NotFound):
        report(mallory, "message", message.id)


def test_a_non_member_cannot_report_a_group_or_its_messages(mallory, group, group_message):
    with pytest.raises(NotFound):
        report(mallory, "group", group.id)
    with pytest.raises(NotFound):
        report(mallory, "group_message", group_message.id)


def test_a_former_member_cannot_report_the_group_any_more(carol, group, group_message):
    group_services.leave_group(carol, group=group)

    with pytest.raises(NotFound):
        report(carol, "group_message", group_message.id)


def test_a_story_outside_ones_audience_cannot_be_reported(mallory, carol, story):
    with pytest.raises(NotFound):
        report(mallory, "story", story.id)
    with pytest.raises(NotFound):
        report(carol, "story", story.id)


def test_a_deactivated_user_cannot_be_reported(alice, bob):
    bob.is_active = False
    bob.save()

    with pytest.raises(NotFound):
        report(alice, "user", bob.id)


def test_an_unknown_id_is_not_found(alice, db):
    with pytest.raises(NotFound):
        report(alice, "group_message", 999_999)


def test_one_cannot_report_oneself_or_ones_own_message(alice, bob, message):
    with pytest.raises(DomainError) as own_message:
        report(bob, "message", message.id)
    with pytest.raises(DomainError) as self_report:
        report(alice, "user", alice.id)

    assert own_message.value.code == "own_content"
    assert self_report.value.detail == "You cannot report yourself."


def test_reporting_with_block_blocks_the_sender(alice, bob, message):
    made = report(alice, "message", message.id, block=True)

    assert made.blocked
    assert account_selectors.has_blocked(alice.id, bob.id)


def test_a_group_cannot_be_blocked(carol, group):
    with pytest.raises(DomainError) as info:
        report(carol, "group", group.id, block=True)

    assert info.value.field == "block"
    assert not Report.objects.exists()


def test_the_same_object_is_reported_once_while_open(alice, message):
    report(alice, "message", message.id)

    with pytest.raises(Conflict):
        report(alice, "message", message.id, reason=Report.Reason.ABUSE)


def test_reports_are_rate_limited_per_hour(alice, bob, carol, friends, settings):
    settings.REPORTS_PER_HOUR = 2
    account_services.add_contact(alice, contact_user=carol)
    report(alice, "user", bob.id)
    report(alice, "user", carol.id)

    sent = chat_services.send_message(bob, receiver=alice, content="again")

    with pytest.raises(RateLimited) as info:
        report(alice, "message", sent.id)

    assert info.value.status_code == 429
    assert info.value.code == "rate_limited"
    assert 0 < info.value.retry_after <= 3600


def test_the_rate_limit_frees_up_after_an_hour(alice, bob, message, settings):
    settings.REPORTS_PER_HOUR = 1
    first = report(alice, "user", bob.id)
    Report.objects.filter(id=first.id).update(created_at=timezone.now() - timedelta(minutes=61))

    report(alice, "message", message.id)

    assert Report.objects.filter(reporter=alice).count() == 2


def test_bad_kinds_reasons_and_notes_are_refused(alice, bob):
    with pytest.raises(DomainError) as kind:
        report(alice, "call", bob.id)
    with pytest.raises(DomainError) as reason:
        report(alice, "user", bob.id, reason="boring")
    with pytest.raises(DomainError) as note:
        report(alice, "user", bob.id, note="x" * 1001)

    assert (kind.value.field, reason.value.field, note.value.field) == ("kind", "reason", "note")


def test_a_removed_message_cannot_be_reported(alice, message, superuser):
    services.remove_content(superuser, target=message, reason="spam")

    with pytest.raises(DomainError) as info:
        report(alice, "message", message.id)

    assert info.value.code == "removed"


# --- removing content -----------------------------------------------------------------------


def test_removing_a_reported_message_tombstones_it_for_everyone(
    alice, bob, message, superuser, pushes, django_capture_on_commit_callbacks
):
    made = report(alice, "message", message.id)
    media_row = message.media.get()
    names = [media_row.file.name, media_row.thumbnail.name]

    with django_capture_on_commit_callbacks(execute=True):
        services.remove_content(superuser, report=made, reason="Spam campaign")

    message.refresh_from_db()
    assert message.removed_at is not None
    assert message.content == ""
    assert not Multimedia.objects.filter(message=message).exists()
    assert not any(default_storage.exists(name) for name in names)
    shown = message_json(message)
    assert (shown["removed"], shown["content"], shown["media"]) == (True, "", [])
    frame = {"type": "message.removed", "message_id": message.id}
    assert pushes.to_user(alice) == [frame]
    assert pushes.to_user(bob) == [frame]


def test_removal_keeps_the_evidence_in_the_snapshot(alice, message, superuser):
    made = report(alice, "message", message.id)

    services.remove_content(superuser, report=made, reason="spam")

    snapshot = made.snapshots.get()
    assert snapshot.content == "buy cheap watches"
    assert default_storage.exists(snapshot.media[0]["evidence"])


def test_removal_resolves_every_open_report_of_that_message_and_is_audited(
    alice, bob, carol, message, superuser
):
    first = report(alice, "message", message.id)
    other_message_report = report(alice, "user", bob.id)

    services.remove_content(superuser, report=first, reason="Spam campaign")

    first.refresh_from_db()
    other_message_report.refresh_from_db()
    assert (first.status, first.resolved_by) == (Report.Status.ACTIONED, superuser)
    assert first.resolved_at is not None
    assert other_message_report.status == Report.Status.OPEN
    entry = AuditLog.objects.get()
    assert entry.actor == superuser
    assert entry.action == AuditLog.Action.REMOVE_MESSAGE
    assert (entry.target_kind, entry.target_id) == ("message", message.id)
    assert entry.report == first
    assert entry.reason == "Spam campaign"


def test_removing_a_group_message_tells_the_whole_group(
    bob, carol, group, group_message, superuser, pushes, django_capture_on_commit_callbacks
):
    made = report(carol, "group_message", group_message.id)

    with django_capture_on_commit_callbacks(execute=True):
        services.remove_content(superuser, report=made, reason="abuse")

    group_message.refresh_from_db()
    assert group_message.removed_at is not None
    assert group_message.content == ""
    [(channel, frame)] = pushes.of("group_message.removed")
    assert channel == group_services.group_channel(group.id)
    assert frame == {
        "type": "group_message.removed",
        "group_message_id": group_message.id,
        "group_id": group.id,
    }
    history = group_selectors.group_history(
        carol, group_selectors.group_for_member(carol, group.id)
    )
    assert history.get().removed_at is not None


def test_removing_a_story_hides_it_deletes_its_files_and_tells_viewers(
    alice, bob, story, superuser, pushes, django_capture_on_commit_callbacks
):
    made = report(alice, "story", story.id)
    names = [story.file.name, story.thumbnail.name]

    with django_capture_on_commit_callbacks(execute=True):
        services.remove_content(superuser, report=made, reason="nudity")

    story.refresh_from_db()
    assert story.removed_at is not None
    assert not story.file
    assert not story_selectors.visible_stories(alice).exists()
    assert not any(default_storage.exists(name) for name in names)
    assert {"type": "story.deleted", "story_id": story.id, "user_id": bob.id} in pushes.to_user(
        alice
    )
    assert AuditLog.objects.get().action == AuditLog.Action.REMOVE_STORY


def test_content_is_removed_once(alice, message, superuser):
    services.remove_content(superuser, target=message, reason="spam")

    with pytest.raises(Conflict):
        services.remove_content(superuser, target=message, reason="again")
    assert AuditLog.objects.count() == 1


def test_a_user_report_has_no_content_to_remove(alice, bob, superuser):
    made = report(alice, "user", known_to(alice, bob).id)

    with pytest.raises(DomainError) as info:
        services.remove_content(superuser, report=made, reason="x")

    assert info.value.code == "no_content"


def test_removal_needs_a_reason(alice, message, superuser):
    with pytest.raises(DomainError) as info:
        services.remove_content(superuser, target=message, reason="  ")

    assert info.value.field == "reason"
    message.refresh_from_db()
    assert message.removed_at is None


def test_staff_without_the_permission_cannot_act(alice, bob, message, make_user):
    staff = make_user("Helpdesk")
    staff.is_staff = True
    staff.save()

    with pytest.raises(Forbidden):
        services.remove_content(staff, target=message, reason="x")
    with pytest.raises(Forbidden):
        services.suspend_user(staff, user=bob, reason="x")
    with pytest.raises(Forbidden):
        services.dismiss_report(staff, report=report(alice, "user", bob.id))


def test_a_moderator_who_is_not_staff_any_more_cannot_act(moderator, message):
    moderator.is_staff = False
    moderator.save()

    with pytest.raises(Forbidden):
        services.remove_content(moderator, target=message, reason="x")


# --- suspending -----------------------------------------------------------------------------


def test_suspending_locks_the_user_out_and_closes_their_sockets(
    alice, bob, moderator, pushes, django_capture_on_commit_callbacks
):
    Token.objects.create(user=bob)
    made = report(alice, "user", known_to(alice, bob).id)

    with django_capture_on_commit_callbacks(execute=True):
        services.suspend_user(moderator, user=bob, reason="Harassment", report=made)

    bob.refresh_from_db()
    made.refresh_from_db()
    assert not bob.is_active
    assert not Token.objects.filter(user=bob).exists()
    assert [frame["type"] for frame in pushes.to_user(bob)] == ["account.suspended", "_close"]
    assert made.status == Report.Status.ACTIONED
    entry = AuditLog.objects.get()
    assert (entry.action, entry.target_id, entry.actor) == (
        AuditLog.Action.SUSPEND_USER,
        bob.id,
        moderator,
    )


def test_a_suspended_user_cannot_log_in_and_is_told_why(bob, moderator):
    from accounts.exceptions import AccountSuspended, InvalidCredentials
    from tests.conftest import PASSWORD

    services.suspend_user(moderator, user=bob, reason="spam")

    with pytest.raises(AccountSuspended) as info:
        account_services.authenticate_user(phone_number=bob.phone_number, password=PASSWORD)
    assert info.value.detail == "This account has been suspended."
    with pytest.raises(InvalidCredentials) as wrong:
        account_services.authenticate_user(phone_number=bob.phone_number, password="wrong-pw")
    assert not isinstance(wrong.value, AccountSuspended)


def test_a_moderator_cannot_suspend_staff(moderator, superuser):
    with pytest.raises(Forbidden):
        services.suspend_user(moderator, user=superuser, reason="x")


def test_suspending_twice_is_a_conflict_and_reinstating_restores(bob, moderator):
    services.suspend_user(moderator, user=bob, reason="spam")

    with pytest.raises(Conflict):
        services.suspend_user(moderator, user=bob, reason="spam")
    services.reinstate_user(moderator, user=bob, reason="appeal granted")

    bob.refresh_from_db()
    assert bob.is_active
    assert [e.action for e in AuditLog.objects.order_by("id")] == [
        AuditLog.Action.SUSPEND_USER,
        AuditLog.Action.REINSTATE_USER,
    ]


# --- group bans -----------------------------------------------------------------------------


def test_banning_removes_the_member_and_admins_cannot_add_them_back(
    alice, bob, carol, group, group_message, moderator
):
    made = report(carol, "group_message", group_message.id)

    ban = services.ban_from_group(moderator, group=group, user=bob, reason="abuse", report=made)

    assert not GroupMember.objects.filter(group=group, user=bob).exists()
    assert ban.banned_by == moderator
    with pytest.raises(Forbidden) as info:
        group_services.add_group_member(alice, group=group, member=bob)
    assert info.value.code == "banned_from_group"
    entry = AuditLog.objects.get()
    assert entry.action == AuditLog.Action.BAN_FROM_GROUP
    assert entry.details == {"group_id": group.id, "group_name": "Trip", "was_member": True}
    made.refresh_from_db()
    assert made.status == Report.Status.ACTIONED


def test_banning_the_last_admin_hands_admin_on(alice, bob, carol, group, moderator):
    services.ban_from_group(moderator, group=group, user=alice, reason="scam group")

    assert GroupMember.objects.filter(group=group, is_admin=True).count() == 1
    assert not GroupMember.objects.filter(group=group, user=alice).exists()


def test_a_lifted_ban_lets_admins_add_the_user_again(alice, bob, group, moderator):
    ban = services.ban_from_group(moderator, group=group, user=bob, reason="abuse")

    services.lift_group_ban(moderator, ban=ban, reason="appeal")
    group_services.add_group_member(alice, group=group, member=bob)

    assert not GroupBan.objects.exists()
    assert GroupMember.objects.filter(group=group, user=bob).exists()
    assert AuditLog.objects.filter(action=AuditLog.Action.LIFT_GROUP_BAN).count() == 1


def test_banning_twice_is_a_conflict(bob, group, moderator):
    services.ban_from_group(moderator, group=group, user=bob, reason="abuse")

    with pytest.raises(Conflict):
        services.ban_from_group(moderator, group=group, user=bob, reason="abuse")


# --- dismissing -----------------------------------------------------------------------------


def test_dismissing_closes_the_report_and_is_audited(alice, bob, moderator):
    made = report(alice, "user", known_to(alice, bob).id)

    services.dismiss_report(moderator, report=made, reason="Not a violation")

    made.refresh_from_db()
    assert (made.status, made.resolved_by) == (Report.Status.DISMISSED, moderator)
    entry = AuditLog.objects.get()
    assert (entry.action, entry.target_kind, entry.target_id, entry.reason) == (
        AuditLog.Action.DISMISS_REPORT,
        "report",
        made.id,
        "Not a violation",
    )
    with pytest.raises(Conflict):
        services.dismiss_report(moderator, report=made)


def test_group_message_reports_name_the_sender_and_group(carol, bob, group, group_message):
    made = report(carol, "group_message", group_message.id, note="insult")

    assert (made.reported_user, made.group, made.group_message) == (bob, group, group_message)
    assert GroupMessage.objects.get(id=group_message.id).removed_at is None


def test_reporting_pushes_nothing_to_anyone(alice, message, pushes):
    report(alice, "message", message.id)

    assert list(pushes) == []


def test_media_of_a_story_report_is_copied_even_if_the_story_expires(alice, story):
    made = report(alice, "story", story.id)

    Story.objects.filter(id=story.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    story_services.purge_expired_stories()

    made.refresh_from_db()
    assert made.story is None
    assert default_storage.exists(made.snapshots.get().media[0]["evidence"])


# --- one action on a report -----------------------------------------------------------------


def test_the_actions_offered_on_a_report_follow_its_state_and_the_staff_permissions(
    alice, message, moderator, make_user
):
    reported = report(alice, "message", message.id)
    viewer = make_user("Viewer")

    before = selectors.report_actions_for(moderator, report=reported)
    services.remove_content(moderator, report=reported, reason="spam")
    reported.refresh_from_db()
    after = selectors.report_actions_for(moderator, report=reported)

    assert before == ["dismiss", "remove_content", "suspend_user"]
    assert after == ["suspend_user"]  # resolved, and nothing left to remove
    assert selectors.report_actions_for(viewer, report=reported) == []


def test_acting_on_a_report_runs_the_chosen_action(alice, bob, message, moderator):
    reported = report(alice, "message", message.id)

    result = services.act_on_report(
        moderator, report=reported, action="suspend_user", reason="scammer"
    )

    bob.refresh_from_db()
    assert not bob.is_active
    assert result.status == Report.Status.ACTIONED


def test_banning_from_a_group_report_needs_a_member(carol, bob, group, moderator):
    reported = report(carol, "group", group.id)

    with pytest.raises(DomainError, match="names no group member"):
        services.act_on_report(moderator, report=reported, action="ban_from_group", reason="x")
    services.act_on_report(
        moderator, report=reported, action="ban_from_group", reason="x", member=bob
    )

    assert GroupBan.objects.filter(group=group, user=bob).exists()


def test_an_unknown_action_on_a_report_is_refused(alice, bob, moderator):
    reported = report(alice, "user", known_to(alice, bob).id)

    with pytest.raises(DomainError, match="Unknown action"):
        services.act_on_report(moderator, report=reported, action="explode", reason="x")
