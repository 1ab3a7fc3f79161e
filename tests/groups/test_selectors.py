import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from groups import selectors, services
from tests.groups.conftest import befriend
from whatsapp.errors import Forbidden, NotFound


def test_groups_for_annotates_member_count_and_admin_flag(group, alice, bob):
    (mine,) = selectors.groups_for(alice)
    (theirs,) = selectors.groups_for(bob)

    assert mine.member_count == theirs.member_count == 3
    assert mine.is_admin is True and theirs.is_admin is False


def test_non_members_and_ex_members_cannot_see_the_group_or_its_messages(
    group, alice, bob, mallory
):
    message = services.send_group_message(alice, group=group, content="secret")
    services.leave_group(bob, group=group)

    for outsider in (bob, mallory):
        with pytest.raises(NotFound):
            selectors.group_for_member(outsider, group.id)
        with pytest.raises(NotFound):
            selectors.visible_group_message(outsider, group.id, message.id)
        assert list(selectors.group_messages_after(outsider, 0)) == []


def test_a_member_sees_only_what_was_sent_since_they_joined(group, alice, make_member):
    before = services.send_group_message(alice, group=group, content="before")
    erin = make_member("Erin")
    befriend(alice, erin)
    services.add_group_member(alice, group=group, member=erin)
    after = services.send_group_message(alice, group=group, content="after")

    mine = selectors.group_for_member(erin, group.id)

    assert list(selectors.group_history(erin, mine)) == [after]
    assert [m.id for m in selectors.group_messages_after(erin, 0)] == [after.id]
    with pytest.raises(NotFound):
        selectors.visible_group_message(erin, group.id, before.id)


def test_group_messages_after_spans_my_groups_in_id_order(group, alice, bob):
    other = services.create_group(alice, name="Work", members=[bob])
    first = services.send_group_message(alice, group=group, content="1")
    second = services.send_group_message(alice, group=other, content="2")
    third = services.send_group_message(bob, group=group, content="3")

    ids = [m.id for m in selectors.group_messages_after(bob, first.id)]

    assert ids == [second.id, third.id]


def test_receipts_are_for_the_sender_only(group, alice, bob):
    message = services.send_group_message(alice, group=group, content="x")

    assert selectors.message_receipts(alice, message).count() == 2
    with pytest.raises(Forbidden):
        selectors.message_receipts(bob, message)


def test_addable_contacts_excludes_members_and_blocked(group, alice, make_member):
    from accounts import services as account_services

    erin, frank = make_member("Erin"), make_member("Frank")
    befriend(alice, erin, frank)
    account_services.block_user(alice, blocked=frank)

    assert selectors.addable_contacts(alice, group) == [erin]


def test_admin_changelists_load(client, staff, group, alice):
    message = services.send_group_message(alice, group=group, content="moderate me")
    client.force_login(staff)

    for model in ("group", "groupmember", "groupmessage", "groupmessagereceipt"):
        response = client.get(reverse(f"admin:groups_{model}_changelist"))
        assert response.status_code == 200, model
    assert client.get(reverse("admin:groups_group_change", args=[group.id])).status_code == 200
    assert (
        "moderate me"
        in client.get(
            reverse("admin:groups_groupmessage_changelist") + "?q=moderate"
        ).content.decode()
    )

    response = client.post(
        reverse("admin:groups_groupmessage_changelist"),
        {"action": "remove_messages", "_selected_action": [message.id]},
    )

    assert response.status_code == 302
    message.refresh_from_db()
    assert message.removed_at is not None


def test_a_group_history_comes_with_its_media_and_reactions_in_two_more_queries(
    group, alice, bob, django_assert_num_queries
):
    def note(name):
        return SimpleUploadedFile(name, b"plain text notes\n", content_type="text/plain")

    plain = services.send_group_message(alice, group=group, content="no files")
    two = services.send_group_message(bob, group=group, content="", files=[note("a"), note("b")])
    one = services.send_group_message(alice, group=group, content="", files=[note("c")])
    group = selectors.group_for_member(alice, group.id)

    # The page, then the media, reactions and my stars of all of it.
    with django_assert_num_queries(4):
        page = list(selectors.group_history(alice, group)[:10])
        attached = {m.id: [f.original_name for f in m.media.all()] for m in page}
        senders = {m.id: m.sender for m in page}

    assert attached == {one.id: ["c"], two.id: ["a", "b"], plain.id: []}
    assert senders == {one.id: alice, two.id: bob, plain.id: alice}
    for fetch, queries in (
        (lambda: selectors.visible_group_message(alice, group.id, two.id), 4),  # and my star
        (lambda: selectors.group_messages_after(alice, plain.id).first(), 3),
        (lambda: selectors.undelivered_group_messages(alice, plain.id).first(), 3),
    ):
        with django_assert_num_queries(queries):
            message = fetch()
            assert [f.original_name for f in message.media.all()] == ["a", "b"]
