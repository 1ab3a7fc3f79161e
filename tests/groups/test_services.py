import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from accounts import services as account_services
from chats.models import Multimedia
from groups import selectors, services
from groups.models import Group, GroupMember, GroupMessage, GroupMessageReceipt
from tests.groups.conftest import befriend, frames_of
from whatsapp.errors import Blocked, Conflict, DomainError, Forbidden, NotFound


def png_upload(name="photo.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# --- creating and administering -------------------------------------------------------------


def test_creator_becomes_the_only_admin(group, alice, bob, carol):
    members = {m.user_id: m.is_admin for m in GroupMember.objects.filter(group=group)}

    assert members == {alice.id: True, bob.id: False, carol.id: False}
    assert group.created_by == alice


def test_members_must_come_from_the_creators_contacts(alice, bob, mallory, alice_contacts):
    with pytest.raises(DomainError) as error:
        services.create_group(alice, name="Trip", members=[bob, mallory])

    assert error.value.code == "not_a_contact"
    assert not Group.objects.exists()


def test_a_user_who_blocked_you_cannot_be_added(alice, bob, carol, alice_contacts):
    account_services.block_user(bob, blocked=alice)

    with pytest.raises(Blocked):
        services.create_group(alice, name="Trip", members=[bob])
    group = services.create_group(alice, name="Trip", members=[carol])
    with pytest.raises(Blocked):
        services.add_group_member(alice, group=group, member=bob)


def test_someone_you_blocked_cannot_be_added(alice, bob, alice_contacts):
    account_services.block_user(alice, blocked=bob)

    with pytest.raises(Blocked):
        services.create_group(alice, name="Trip", members=[bob])


def test_blank_or_long_names_are_refused(alice):
    with pytest.raises(DomainError) as blank:
        services.create_group(alice, name="   ")
    with pytest.raises(DomainError) as long:
        services.create_group(alice, name="x" * 101)

    assert blank.value.field == long.value.field == "group_name"


def test_creating_beyond_the_member_limit_is_refused(settings, make_group):
    settings.GROUP_MAX_MEMBERS = 3

    with pytest.raises(DomainError) as error:
        make_group(4)

    assert error.value.code == "group_full"
    assert "3" in error.value.detail


def test_adding_beyond_the_member_limit_is_refused(settings, alice, make_group, make_member):
    settings.GROUP_MAX_MEMBERS = 3
    group, _ = make_group(3)
    newcomer = make_member()
    befriend(alice, newcomer)

    with pytest.raises(DomainError) as error:
        services.add_group_member(alice, group=group, member=newcomer)

    assert error.value.code == "group_full"
    assert GroupMember.objects.filter(group=group).count() == 3


def test_the_default_limit_is_whatsapps_1024(settings):
    assert settings.GROUP_MAX_MEMBERS == 1024
    assert services.max_group_members() == 1024


def test_admin_adds_a_contact_and_their_sockets_subscribe(
    django_capture_on_commit_callbacks, group, alice, make_member, pushes
):
    dave = make_member("Dave")
    befriend(alice, dave)

    with django_capture_on_commit_callbacks(execute=True):
        membership = services.add_group_member(alice, group=group, member=dave)

    assert membership.pk and not membership.is_admin
    assert (f"user.{dave.id}", {"type": "_subscribe", "group": f"chatgroup.{group.id}"}) in [
        (g, f) for g, f, _ in pushes
    ]


def test_adding_a_member_twice_is_an_error(group, alice, bob):
    with pytest.raises(DomainError) as error:
        services.add_group_member(alice, group=group, member=bob)

    assert error.value.code == "already_member"


def test_only_admins_add_rename_remove_and_delete(group, alice, bob, carol, make_member):
    dave = make_member("Dave")
    befriend(bob, dave)

    with pytest.raises(Forbidden):
        services.add_group_member(bob, group=group, member=dave)
    with pytest.raises(Forbidden):
        services.rename_group(bob, group=group, name="Mine")
    with pytest.raises(Forbidden):
        services.remove_group_member(bob, group=group, member=carol)
    with pytest.raises(Forbidden):
        services.set_group_admin(bob, group=group, member=bob, is_admin=True)
    with pytest.raises(Forbidden):
        services.delete_group(bob, group=group)

    assert Group.objects.get(pk=group.pk).name == "Trip"
    assert GroupMember.objects.filter(group=group).count() == 3


def test_strangers_get_not_found_for_every_operation(group, mallory, bob):
    for call in (
        lambda: services.rename_group(mallory, group=group, name="x"),
        lambda: services.delete_group(mallory, group=group),
        lambda: services.add_group_member(mallory, group=group, member=bob),
        lambda: services.remove_group_member(mallory, group=group, member=bob),
        lambda: services.leave_group(mallory, group=group),
        lambda: services.send_group_message(mallory, group=group, content="hi"),
        lambda: services.mark_group_read(mallory, group=group),
        lambda: services.relay_group_typing(mallory, group_id=group.id),
    ):
        with pytest.raises(NotFound):
            call()


def test_admin_renames_the_group(group, alice):
    services.rename_group(alice, group=group, name="  Holiday  ")

    assert Group.objects.get(pk=group.pk).name == "Holiday"


def test_admin_deletes_the_group_and_every_socket_unsubscribes(
    django_capture_on_commit_callbacks, group, alice, bob, pushes
):
    services.send_group_message(bob, group=group, content="hi")
    group_id = group.id

    with django_capture_on_commit_callbacks(execute=True):
        services.delete_group(alice, group=group)

    assert not Group.objects.filter(pk=group_id).exists()
    assert not GroupMessage.objects.exists()
    channel = f"chatgroup.{group_id}"
    assert (channel, {"type": "_unsubscribe", "group": channel}) in [(g, f) for g, f, _ in pushes]


def test_promote_and_demote(group, alice, bob):
    services.set_group_admin(alice, group=group, member=bob, is_admin=True)
    services.set_group_admin(bob, group=group, member=alice, is_admin=False)

    admins = set(GroupMember.objects.filter(group=group, is_admin=True).values_list("user_id"))
    assert admins == {(bob.id,)}


def test_the_last_admin_cannot_demote_themselves(group, alice):
    with pytest.raises(DomainError) as error:
        services.set_group_admin(alice, group=group, member=alice, is_admin=False)

    assert error.value.code == "last_admin"


def test_removed_member_loses_the_group_and_is_unsubscribed(
    django_capture_on_commit_callbacks, group, alice, bob, pushes
):
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_group_member(alice, group=group, member=bob)

    with pytest.raises(NotFound):
        selectors.group_for_member(bob, group.id)
    unsubscribe = {"type": "_unsubscribe", "group": f"chatgroup.{group.id}"}
    assert (f"user.{bob.id}", unsubscribe) in [(g, f) for g, f, _ in pushes]


def test_removing_oneself_is_leaving(group, bob):
    services.remove_group_member(bob, group=group, member=bob)

    assert not GroupMember.objects.filter(group=group, user=bob).exists()


def test_the_last_admin_leaving_promotes_the_longest_standing_member(group, alice, bob):
    services.leave_group(alice, group=group)

    members = {m.user_id: m.is_admin for m in GroupMember.objects.filter(group=group)}
    assert members[bob.id] is True
    assert alice.id not in members


def test_a_group_whose_last_member_left_stays_but_is_invisible(alice):
    group = services.create_group(alice, name="Solo")

    services.leave_group(alice, group=group)

    assert Group.objects.filter(pk=group.pk).exists()
    with pytest.raises(NotFound):
        selectors.group_for_member(alice, group.id)


# --- messages -------------------------------------------------------------------------------


def test_send_stores_the_message_and_a_receipt_per_other_member(group, alice, bob, carol):
    message = services.send_group_message(alice, group=group, content="Hello all")

    receipts = GroupMessageReceipt.objects.filter(group_message=message)
    assert sorted(r.user_id for r in receipts) == sorted([bob.id, carol.id])
    assert all(r.delivered_at is None and r.read_at is None for r in receipts)
    assert message.delivered_at is None and message.read_at is None


def test_send_is_one_channel_layer_call_to_the_group(
    django_capture_on_commit_callbacks, group, alice, pushes
):
    with django_capture_on_commit_callbacks(execute=True):
        message = services.send_group_message(
            alice, group=group, content="Hello", origin_channel="alice-socket"
        )

    news = [(g, f, x) for g, f, x in pushes if f["type"] == "group_message.new"]
    assert len(news) == 1
    channel, frame, excluded = news[0]
    assert channel == f"chatgroup.{group.id}"
    assert excluded == "alice-socket"
    assert frame["group_message"]["group_message_id"] == message.id
    assert frame["group_message"]["sender"] == "Alice"


def test_send_pushes_nothing_when_rolled_back(
    group, alice, pushes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError):
        services.send_group_message(alice, group=group, content="   ")

    assert pushes == []
    assert not GroupMessage.objects.exists()


def test_content_limits(group, alice, settings):
    settings.MESSAGE_MAX_LENGTH = 10

    with pytest.raises(DomainError) as too_long:
        services.send_group_message(alice, group=group, content="x" * 11)
    with pytest.raises(DomainError) as blank:
        services.send_group_message(alice, group=group, content="")

    assert too_long.value.code == "too_long"
    assert blank.value.code == "blank"


def test_ex_members_cannot_send(group, alice, bob):
    services.remove_group_member(alice, group=group, member=bob)

    with pytest.raises(NotFound):
        services.send_group_message(bob, group=group, content="still here?")


def test_same_client_id_returns_the_stored_message(
    django_capture_on_commit_callbacks, group, alice, pushes
):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.send_group_message(alice, group=group, content="Hi", client_id="c-1")
        again = services.send_group_message(alice, group=group, content="Hi", client_id="c-1")

    assert again.id == first.id
    assert again.replayed and not first.replayed
    assert GroupMessage.objects.count() == 1
    # The retry pushes the stored message again (the first push may have been lost).
    pushed = frames_of(pushes, "group_message.new")
    assert [f["group_message"]["group_message_id"] for _, f in pushed] == [first.id, first.id]


def test_client_id_reused_for_another_message_is_a_conflict(group, alice):
    services.send_group_message(alice, group=group, content="Hi", client_id="c-1")

    with pytest.raises(Conflict):
        services.send_group_message(alice, group=group, content="Other", client_id="c-1")


def test_files_are_attached_as_group_media(group, alice):
    message = services.send_group_message(alice, group=group, content="", files=[png_upload()])

    media = list(message.media.all())
    assert len(media) == 1
    assert media[0].file_type == "image/png" or media[0].file_type == "image/jpeg"
    assert media[0].group_message_id == message.id


def test_forward_into_another_group_copies_content_and_media(group, alice, bob):
    other = services.create_group(alice, name="Work", members=[bob])
    original = services.send_group_message(bob, group=group, content="Look", files=[png_upload()])

    (copy,) = services.forward_group_message(alice, message=original, groups=[other])

    assert copy.group_id == other.id and copy.sender_id == alice.id
    assert copy.forwarded_from_id == original.id and copy.forward_count == 1
    (media,) = copy.media.all()
    assert media.forwarded_from_id == original.media.get().id
    assert GroupMessageReceipt.objects.filter(group_message=copy, user=bob).exists()


def test_forward_into_a_group_you_are_not_in_is_not_found(group, alice, bob, carol):
    befriend(bob, carol)
    foreign = services.create_group(bob, name="Secret", members=[carol])
    message = services.send_group_message(alice, group=group, content="Hi")

    with pytest.raises(NotFound):
        services.forward_group_message(alice, message=message, groups=[foreign])

    assert not GroupMessage.objects.filter(group=foreign).exists()


def test_forwarding_many_times_goes_to_one_group_at_a_time(group, alice, bob):
    other = services.create_group(alice, name="Work", members=[bob])
    message = services.send_group_message(alice, group=group, content="Chain")
    GroupMessage.objects.filter(pk=message.pk).update(forward_count=5)
    message.refresh_from_db()

    with pytest.raises(DomainError) as error:
        services.forward_group_message(alice, message=message, groups=[group, other])

    assert error.value.code == "forward_limit"


def test_removed_messages_cannot_be_forwarded(group, alice, staff):
    message = services.send_group_message(alice, group=group, content="bad")
    services.remove_group_messages(staff, message_ids=[message.id])
    message.refresh_from_db()

    with pytest.raises(DomainError):
        services.forward_group_message(alice, message=message, groups=[group])


# --- receipts -------------------------------------------------------------------------------


def test_one_member_receiving_does_not_make_it_delivered(group, alice, bob, pushes):
    message = services.send_group_message(alice, group=group, content="Hi")

    services.mark_group_messages_delivered_batch([(bob.id, [message.id])])

    message.refresh_from_db()
    assert message.delivered_at is None
    assert GroupMessageReceipt.objects.get(group_message=message, user=bob).delivered_at
    assert frames_of(pushes, "group_message.status") == []


def test_delivered_is_set_and_pushed_to_the_sender_once_everyone_received(
    django_capture_on_commit_callbacks, group, alice, bob, carol, pushes
):
    message = services.send_group_message(alice, group=group, content="Hi")

    with django_capture_on_commit_callbacks(execute=True):
        services.mark_group_messages_delivered_batch([(bob.id, [message.id])])
        services.mark_group_messages_delivered_batch([(carol.id, [message.id])])

    message.refresh_from_db()
    assert message.delivered_at is not None and message.read_at is None
    (status,) = frames_of(pushes, "group_message.status")
    assert status[0] == f"user.{alice.id}"
    assert status[1]["group_message_id"] == message.id
    assert status[1]["delivered_at"] and status[1]["read_at"] is None


def test_read_once_everyone_read_and_reading_implies_delivery(
    django_capture_on_commit_callbacks, group, alice, bob, carol, pushes
):
    message = services.send_group_message(alice, group=group, content="Hi")

    with django_capture_on_commit_callbacks(execute=True):
        services.mark_group_messages_read(bob, message_ids=[message.id])
        message.refresh_from_db()
        assert message.read_at is None
        services.mark_group_messages_read(carol, message_ids=[message.id])

    message.refresh_from_db()
    assert message.read_at is not None and message.delivered_at is not None
    statuses = frames_of(pushes, "group_message.status")
    assert [s[0] for s in statuses] == [f"user.{alice.id}"]
    assert statuses[0][1]["read_at"]


def test_marking_again_changes_and_pushes_nothing(
    django_capture_on_commit_callbacks, group, alice, bob, carol, pushes
):
    message = services.send_group_message(alice, group=group, content="Hi")
    services.mark_group_messages_read(bob, message_ids=[message.id])
    services.mark_group_messages_read(carol, message_ids=[message.id])
    before = len(pushes)

    with django_capture_on_commit_callbacks(execute=True):
        count = services.mark_group_messages_read(carol, message_ids=[message.id])

    assert count == 0
    assert len(pushes) == before


def test_ids_without_a_receipt_of_mine_are_ignored(group, alice, bob, carol):
    befriend(bob, carol)
    foreign = services.create_group(bob, name="Secret", members=[carol])
    secret = services.send_group_message(bob, group=foreign, content="psst")
    mine = services.send_group_message(alice, group=group, content="mine")

    count = services.mark_group_messages_read(alice, message_ids=[secret.id, mine.id])

    assert count == 0
    assert GroupMessageReceipt.objects.filter(read_at__isnull=False).count() == 0


def test_receipt_ids_must_be_integers(bob):
    with pytest.raises(DomainError):
        services.mark_group_messages_read(bob, message_ids=["1"])


def test_mark_group_read_reads_all_my_messages_of_the_group(group, alice, bob):
    first = services.send_group_message(alice, group=group, content="1")
    second = services.send_group_message(alice, group=group, content="2")

    count = services.mark_group_read(bob, group=group)

    assert count == 2
    mine = GroupMessageReceipt.objects.filter(user=bob, group_message__in=[first, second])
    assert all(r.read_at and r.delivered_at for r in mine)


def test_a_member_leaving_lets_the_group_wide_read_complete(
    django_capture_on_commit_callbacks, group, alice, bob, carol, pushes
):
    message = services.send_group_message(alice, group=group, content="Hi")
    services.mark_group_messages_read(bob, message_ids=[message.id])

    with django_capture_on_commit_callbacks(execute=True):
        services.leave_group(carol, group=group)

    message.refresh_from_db()
    assert message.read_at is not None
    assert not GroupMessageReceipt.objects.filter(user=carol).exists()
    assert frames_of(pushes, "group_message.status")


def test_typing_goes_to_the_group_channel(django_capture_on_commit_callbacks, group, bob, pushes):
    with django_capture_on_commit_callbacks(execute=True):
        services.relay_group_typing(bob, group_id=group.id)

    assert frames_of(pushes, "typing") == [
        (f"chatgroup.{group.id}", {"type": "typing", "user_id": bob.id, "group_id": group.id})
    ]


# --- query counts ---------------------------------------------------------------------------


def _queries(func) -> int:
    with CaptureQueriesContext(connection) as captured:
        func()
    return len(captured.captured_queries)


def test_sending_costs_the_same_queries_for_5_and_50_members(alice, make_group, pushes):
    small, _ = make_group(5, "Small")
    large, _ = make_group(50, "Large")

    small_count = _queries(lambda: services.send_group_message(alice, group=small, content="x"))
    large_count = _queries(lambda: services.send_group_message(alice, group=large, content="x"))

    assert small_count == large_count
    assert GroupMessageReceipt.objects.filter(group_message__group=large).count() == 49


def test_reading_costs_the_same_queries_for_5_and_50_members(
    django_capture_on_commit_callbacks, alice, make_group, pushes
):
    small, small_members = make_group(5, "Small")
    large, large_members = make_group(50, "Large")
    small_ids = [
        services.send_group_message(alice, group=small, content=str(i)).id for i in range(3)
    ]
    large_ids = [
        services.send_group_message(alice, group=large, content=str(i)).id for i in range(3)
    ]
    for member in small_members[:-1]:
        services.mark_group_messages_read(member, message_ids=small_ids)
    for member in large_members[:-1]:
        services.mark_group_messages_read(member, message_ids=large_ids)

    with django_capture_on_commit_callbacks(execute=True):
        last_small = _queries(
            lambda: services.mark_group_messages_read(small_members[-1], message_ids=small_ids)
        )
        last_large = _queries(
            lambda: services.mark_group_messages_read(large_members[-1], message_ids=large_ids)
        )

    assert last_small == last_large
    assert GroupMessage.objects.filter(group=large, read_at__isnull=False).count() == 3
    assert len(frames_of(pushes, "group_message.status")) == 6


def test_a_failed_send_leaves_no_media_rows_or_files(group, alice, monkeypatch, settings):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services.IN_GROUP, "publish", explode)

    with pytest.raises(RuntimeError):
        services.send_group_message(alice, group=group, content="x", files=[png_upload()])

    assert not Multimedia.objects.exists()
    assert not GroupMessage.objects.exists()
    stored = (
        [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]
        if settings.MEDIA_ROOT.exists()
        else []
    )
    assert stored == []


def test_deleting_a_group_deletes_its_media_files(
    group, alice, settings, django_capture_on_commit_callbacks
):
    services.send_group_message(alice, group=group, content="", files=[png_upload()])
    stored = [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]
    assert stored

    with django_capture_on_commit_callbacks(execute=True):
        services.delete_group(alice, group=group)

    assert not Multimedia.objects.exists()
    assert [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()] == []


def test_a_retry_of_a_message_every_member_has_goes_to_the_sender_only(
    group, alice, bob, carol, pushes, django_capture_on_commit_callbacks
):
    message = services.send_group_message(alice, group=group, content="hi", client_id="k")
    services.mark_group_messages_delivered_batch([(bob.id, [message.id]), (carol.id, [message.id])])
    pushes.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.send_group_message(alice, group=group, content="hi", client_id="k")

    assert [group for group, _ in frames_of(pushes, "group_message.new")] == [f"user.{alice.id}"]
