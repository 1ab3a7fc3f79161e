"""The Reports queue in the admin, its actions, the Moderator group and the audit log."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group as AuthGroup
from django.utils import timezone

from accounts.models import User
from chats import services as chat_services
from chats.models import Message
from groups import services as group_services
from groups.models import Group, GroupMember
from moderation import services
from moderation.models import AuditLog, GroupBan, Report
from stories import services as story_services
from tests.moderation.conftest import known_to, png_upload

QUEUE = "/admin/moderation/report/"


def make_report(reporter, kind, target_id, *, reason="spam", age_minutes=0, status=None):
    report = services.create_report(reporter, kind=kind, target_id=target_id, reason=reason)
    changes = {"created_at": timezone.now() - timedelta(minutes=age_minutes)}
    if status:
        changes["status"] = status
    Report.objects.filter(id=report.id).update(**changes)
    report.refresh_from_db()
    return report


def ids_listed(response) -> list[int]:
    return [report.id for report in response.context["cl"].result_list]


# --- the queue ------------------------------------------------------------------------------


def test_the_queue_lists_open_reports_first_then_oldest_first(
    moderator_client, alice, bob, carol, make_user, friends
):
    people = [known_to(alice, make_user()) for _ in range(3)]
    newer_open = make_report(alice, "user", people[0].id, age_minutes=5)
    old_closed = make_report(alice, "user", people[1].id, age_minutes=90, status="dismissed")
    older_open = make_report(alice, "user", people[2].id, age_minutes=30)

    response = moderator_client.get(QUEUE)

    assert response.status_code == 200
    assert ids_listed(response) == [older_open.id, newer_open.id, old_closed.id]


def test_the_queue_filters_by_reason_status_kind_and_date(
    moderator_client, alice, bob, message, friends
):
    spam = make_report(alice, "message", message.id, reason="spam")
    abuse = make_report(alice, "user", bob.id, reason="abuse", status="dismissed")

    assert ids_listed(moderator_client.get(QUEUE + "?reason__exact=abuse")) == [abuse.id]
    assert ids_listed(moderator_client.get(QUEUE + "?status__exact=open")) == [spam.id]
    assert ids_listed(moderator_client.get(QUEUE + "?kind__exact=message")) == [spam.id]
    midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    dated = moderator_client.get(QUEUE, {"created_at__gte": midnight.isoformat()})
    assert set(ids_listed(dated)) == {spam.id, abuse.id}


def test_a_report_page_shows_the_content_and_the_snapshot_with_thumbnails(
    moderator_client, alice, message
):
    report = make_report(alice, "message", message.id)
    media_id = message.media.get().id

    response = moderator_client.get(f"{QUEUE}{report.id}/change/")

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("buy cheap watches") >= 2  # as it is now, and in the snapshot
    assert f"/admin/chats/multimedia/{media_id}/thumbnail/" in page
    evidence = f"{QUEUE}evidence/{report.snapshots.get().id}/0/"
    assert f'src="{evidence}"' in page
    image = moderator_client.get(evidence)
    assert image.status_code == 200
    assert image["Content-Type"].startswith("image/")
    assert moderator_client.get(f"/admin/chats/multimedia/{media_id}/thumbnail/").status_code == 200
    for label in ["Dismiss", "Remove content", "Suspend user"]:
        assert f'class="moderation-action">{label}<' in page


def test_a_removed_message_still_shows_its_snapshot(moderator_client, moderator, alice, message):
    report = make_report(alice, "message", message.id)
    services.remove_content(moderator, report=report, reason="spam")

    page = moderator_client.get(f"{QUEUE}{report.id}/change/").content.decode()

    assert "This message was removed" in page
    assert "buy cheap watches" in page  # the copy
    assert 'class="moderation-action">Remove content<' not in page  # nothing left to remove
    assert "Removed a message" in page  # the audit trail


# --- actions --------------------------------------------------------------------------------


def test_dismissing_from_the_list_asks_for_confirmation_then_acts(
    moderator_client, moderator, alice, bob
):
    report = make_report(alice, "user", known_to(alice, bob).id)
    chosen = {"action": "dismiss_reports", "_selected_action": [report.id]}

    confirm = moderator_client.post(QUEUE, {**chosen, "index": 0})
    done = moderator_client.post(QUEUE, {**chosen, "post": "yes", "reason": "not a violation"})

    assert confirm.status_code == 200
    assert "Reason" in confirm.content.decode()
    assert done.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.resolved_by) == ("dismissed", moderator)
    assert AuditLog.objects.get().reason == "not a violation"


def test_removing_content_from_a_report_page_needs_a_reason(moderator_client, alice, message):
    report = make_report(alice, "message", message.id)
    url = f"{QUEUE}{report.id}/act/remove_content/"

    assert moderator_client.get(url).status_code == 200
    refused = moderator_client.post(url, {"reason": ""})
    done = moderator_client.post(url, {"reason": "Spam campaign"})

    assert refused.status_code == 200
    assert "This field is required" in refused.content.decode()
    assert done.status_code == 302
    message.refresh_from_db()
    assert message.removed_at is not None
    assert AuditLog.objects.get().action == AuditLog.Action.REMOVE_MESSAGE


def test_suspending_from_the_list(moderator_client, alice, bob, message):
    report = make_report(alice, "message", message.id)

    response = moderator_client.post(
        QUEUE,
        {
            "action": "suspend_reported_users",
            "_selected_action": [report.id],
            "post": "yes",
            "reason": "scammer",
        },
    )

    assert response.status_code == 302
    bob.refresh_from_db()
    assert not bob.is_active
    report.refresh_from_db()
    assert report.status == "actioned"


def test_banning_from_a_group_report_lets_staff_pick_the_member(
    moderator_client, carol, bob, group
):
    report = make_report(carol, "group", group.id)
    url = f"{QUEUE}{report.id}/act/ban_from_group/"

    form = moderator_client.get(url).content.decode()
    response = moderator_client.post(url, {"reason": "ringleader", "member": bob.id})

    assert "Member to ban" in form
    assert response.status_code == 302
    assert GroupBan.objects.filter(group=group, user=bob).exists()
    assert not GroupMember.objects.filter(group=group, user=bob).exists()


def test_banning_the_sender_of_a_group_message_from_the_list(
    moderator_client, carol, bob, group, group_message
):
    report = make_report(carol, "group_message", group_message.id)

    moderator_client.post(
        QUEUE,
        {
            "action": "ban_users",
            "_selected_action": [report.id],
            "post": "yes",
            "reason": "abuse",
        },
    )

    assert GroupBan.objects.filter(group=group, user=bob).exists()


def test_an_action_that_does_not_apply_is_reported_not_crashed(moderator_client, carol, group):
    report = make_report(carol, "group", group.id)

    response = moderator_client.post(
        QUEUE,
        {
            "action": "remove_reported_content",
            "_selected_action": [report.id],
            "post": "yes",
            "reason": "x",
        },
        follow=True,
    )

    assert "names no message or story" in response.content.decode()
    report.refresh_from_db()
    assert report.status == "open"


def test_a_group_ban_made_in_the_admin_goes_through_the_service(
    moderator_client, moderator, bob, group
):
    response = moderator_client.post(
        "/admin/moderation/groupban/add/",
        {"group": group.id, "user": bob.id, "reason": "spammer"},
    )

    assert response.status_code == 302
    assert not GroupMember.objects.filter(group=group, user=bob).exists()
    assert AuditLog.objects.get().actor == moderator


# --- the Moderator group --------------------------------------------------------------------

MODERATOR_PERMISSIONS = {
    "accounts.view_user",
    "chats.view_message",
    "chats.view_multimedia",
    "groups.view_group",
    "groups.view_groupmember",
    "groups.view_groupmessage",
    "stories.view_story",
    "moderation.view_report",
    "moderation.change_report",
    "moderation.view_reportsnapshot",
    "moderation.remove_content",
    "moderation.suspend_user",
    "moderation.ban_from_group",
    "moderation.view_groupban",
    "moderation.view_auditlog",
}


def test_the_moderator_group_has_exactly_the_permissions_needed(db):
    group = AuthGroup.objects.get(name="Moderator")

    granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}

    assert granted == MODERATOR_PERMISSIONS


def test_a_moderator_cannot_delete_or_edit_users(moderator_client, bob):
    user_url = f"/admin/accounts/user/{bob.id}/"

    assert moderator_client.get(user_url + "change/").status_code == 200  # view only
    assert moderator_client.post(user_url + "delete/", {"post": "yes"}).status_code == 403
    assert moderator_client.post(user_url + "change/", {"name": "X"}).status_code == 403
    bob.refresh_from_db()
    assert bob.name == "Bob"


def test_a_moderator_cannot_edit_messages_or_reach_unrelated_tables(moderator_client, message):
    assert moderator_client.post(f"/admin/chats/message/{message.id}/delete/").status_code == 403
    assert moderator_client.get("/admin/calls/call/").status_code == 403
    assert Message.objects.filter(id=message.id).exists()


def test_nobody_adds_or_deletes_reports_in_the_admin(superuser_client, alice, bob):
    report = make_report(alice, "user", known_to(alice, bob).id)

    assert superuser_client.get(QUEUE + "add/").status_code == 403
    assert superuser_client.post(f"{QUEUE}{report.id}/delete/", {"post": "yes"}).status_code == 403
    assert Report.objects.filter(id=report.id).exists()


# --- the audit log --------------------------------------------------------------------------


@pytest.fixture
def audit_entry(moderator, alice, bob):
    report = make_report(alice, "user", known_to(alice, bob).id)
    services.dismiss_report(moderator, report=report, reason="no violation")
    return AuditLog.objects.get()


@pytest.mark.parametrize("client_fixture", ["moderator_client", "superuser_client"])
def test_the_audit_log_is_visible_and_never_editable(request, client_fixture, audit_entry):
    client = request.getfixturevalue(client_fixture)
    url = f"/admin/moderation/auditlog/{audit_entry.id}/"

    listing = client.get("/admin/moderation/auditlog/")
    detail = client.get(url + "change/")

    assert listing.status_code == 200
    assert "no violation" in listing.content.decode()
    assert detail.status_code == 200
    assert 'name="reason"' not in detail.content.decode()
    assert client.post(url + "change/", {"reason": "rewritten"}).status_code == 403
    assert client.post(url + "delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/moderation/auditlog/add/").status_code == 403
    audit_entry.refresh_from_db()
    assert audit_entry.reason == "no violation"


def test_the_audit_log_records_who_did_what_when_and_why(moderator, alice, bob, message):
    report = make_report(alice, "message", message.id)
    before = timezone.now()

    services.remove_content(moderator, report=report, reason="Spam campaign")
    services.suspend_user(moderator, user=bob, reason="Repeat spammer", report=report)

    entries = list(AuditLog.objects.order_by("id"))
    assert [(e.actor, e.action, e.target_kind, e.target_id, e.reason) for e in entries] == [
        (moderator, "remove_message", "message", message.id, "Spam campaign"),
        (moderator, "suspend_user", "user", bob.id, "Repeat spammer"),
    ]
    assert all(e.created_at >= before for e in entries)
    assert all(e.report == report for e in entries)
    assert entries[1].target_label == str(bob)


def test_the_queue_costs_the_same_queries_for_few_or_many_reports(
    moderator_client, alice, make_user, settings, django_assert_max_num_queries
):
    settings.REPORTS_PER_HOUR = 100

    def add(count):
        for _ in range(count):
            make_report(alice, "user", known_to(alice, make_user()).id)

    add(2)
    with django_assert_max_num_queries(20) as few:
        moderator_client.get(QUEUE)
    add(20)

    with django_assert_max_num_queries(len(few.captured_queries)):
        moderator_client.get(QUEUE)


def test_every_kind_of_report_has_a_working_page(
    moderator_client, alice, bob, carol, message, group, group_message, story
):
    reports = [
        make_report(alice, "message", message.id),
        make_report(carol, "group_message", group_message.id),
        make_report(alice, "story", story.id),
        make_report(alice, "user", bob.id),
        make_report(carol, "group", group.id),
    ]

    for report in reports:
        page = moderator_client.get(f"{QUEUE}{report.id}/change/")
        assert page.status_code == 200, report.kind
        for action in ("dismiss", "remove_content", "suspend_user", "ban_from_group"):
            response = moderator_client.get(f"{QUEUE}{report.id}/act/{action}/")
            assert response.status_code == 200, (report.kind, action)
    thumbnail = moderator_client.get(f"{QUEUE}{reports[2].id}/story-thumbnail/")
    assert thumbnail.status_code == 200
    assert thumbnail["Content-Type"].startswith("image/")
    assert moderator_client.get(QUEUE).status_code == 200


def test_staff_without_access_to_reports_get_no_evidence(client, make_user, alice, message):
    helpdesk = make_user("Helpdesk")
    helpdesk.is_staff = True
    helpdesk.save()
    client.force_login(helpdesk)
    report = make_report(alice, "message", message.id)

    assert client.get(f"{QUEUE}evidence/{report.snapshots.get().id}/0/").status_code == 403
    assert client.get(f"{QUEUE}{report.id}/act/remove_content/").status_code == 403


# --- escaping -------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"


def assert_escaped(page: str) -> None:
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.fixture
def hostile_bob(friends, bob):
    """Bob, with a script for a name and a status."""
    User.objects.filter(id=bob.id).update(name=f"Bob{SCRIPT}", status=SCRIPT)
    bob.refresh_from_db()
    return bob


def test_a_reported_message_its_media_and_snapshot_are_escaped(
    moderator_client, moderator, alice, hostile_bob
):
    message = chat_services.send_message(
        hostile_bob, receiver=alice, content=SCRIPT, files=[png_upload(f"{SCRIPT}.png")]
    )
    report = make_report(alice, "message", message.id)
    url = f"{QUEUE}{report.id}/change/"

    shown = moderator_client.get(url).content.decode()
    services.remove_content(moderator, report=report, reason=SCRIPT)
    removed = moderator_client.get(url).content.decode()

    assert_escaped(shown)  # content, sender link, thumbnail alt, snapshot text and media
    assert shown.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4
    assert_escaped(removed)  # the snapshot and the audit trail's reason
    assert "“&lt;script&gt;alert(1)&lt;/script&gt;”</li>" in removed


def test_a_reported_group_message_and_group_are_escaped(
    moderator_client, alice, carol, hostile_bob, group
):
    Group.objects.filter(id=group.id).update(name=SCRIPT)
    group.refresh_from_db()
    message = group_services.send_group_message(hostile_bob, group=group, content="hello")
    reports = [
        make_report(carol, "group_message", message.id),
        make_report(carol, "group", group.id),
    ]

    for report in reports:
        assert_escaped(moderator_client.get(f"{QUEUE}{report.id}/change/").content.decode())


def test_a_reported_story_and_user_are_escaped(moderator_client, alice, hostile_bob):
    story = story_services.post_story(hostile_bob, content=SCRIPT, file=png_upload())
    reports = [make_report(alice, "story", story.id), make_report(alice, "user", hostile_bob.id)]

    for report in reports:
        assert_escaped(moderator_client.get(f"{QUEUE}{report.id}/change/").content.decode())
