"""Reads of 1:1 chats: visibility, the inbox (rows, order, unread counts, groups), histories."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts import services as account_services
from chats import selectors, services
from chats.models import Multimedia
from groups import services as group_services
from groups.models import Group, GroupMember, GroupMessage, GroupMessageReceipt
from messaging import actions
from messaging.serializers import message_json
from whatsapp.errors import NotFound

pytestmark = pytest.mark.django_db


def group_with(*members, name="Group", messages=()):
    """A group of ``members``; each message (sender, text) gets receipts for the others."""
    group = Group.objects.create(name=name, created_by=members[0])
    for member in members:
        GroupMember.objects.create(group=group, user=member)
    for sender, text in messages:
        post = GroupMessage.objects.create(group=group, sender=sender, content=text)
        for member in members:
            if member != sender:
                GroupMessageReceipt.objects.create(group_message=post, user=member)
    return group


def test_a_message_is_visible_to_its_sender_and_receiver_only(alice, bob, mallory):
    message = services.send_message(alice, receiver=bob, content="hi")

    assert selectors.visible_message(alice, message.id) == message
    assert selectors.visible_message(bob, message.id) == message
    with pytest.raises(NotFound):
        selectors.visible_message(mallory, message.id)
    with pytest.raises(NotFound):
        selectors.visible_message(alice, message.id + 1000)


def test_a_conversation_holds_both_directions_newest_first(alice, bob, carol):
    a = services.send_message(alice, receiver=bob, content="1")
    b = services.send_message(bob, receiver=alice, content="2")
    services.send_message(alice, receiver=carol, content="other chat")

    assert list(selectors.conversation(alice, bob)) == [b, a]
    assert list(selectors.conversation(bob, alice)) == [b, a]


def test_the_inbox_has_one_row_per_peer_newest_first_with_unread_counts(alice, bob, carol):
    services.send_message(bob, receiver=alice, content="b1")
    services.send_message(carol, receiver=alice, content="c1")
    services.send_message(carol, receiver=alice, content="c2")
    last = services.send_message(alice, receiver=bob, content="b2 from alice")

    rows = list(selectors.chats_for(alice))

    assert [(r.kind, r.peer) for r in rows] == [("user", bob), ("user", carol)]
    assert rows[0].last_message == last
    assert rows[0].unread_count == 1
    assert rows[1].last_message.content == "c2"
    assert rows[1].unread_count == 2
    assert rows[0].last_activity_at == last.sent_at


def test_reading_clears_the_unread_count(alice, bob):
    services.send_message(bob, receiver=alice, content="b1")
    services.mark_chat_read(alice, peer=bob)

    [row] = selectors.chats_for(alice)

    assert row.unread_count == 0


def test_groups_appear_in_the_inbox_merged_by_activity(alice, bob, carol):
    old = timezone.now() - timedelta(days=2)
    quiet = group_with(alice, carol, name="Quiet")
    GroupMember.objects.filter(group=quiet).update(added_at=old)
    services.send_message(bob, receiver=alice, content="1:1")
    busy = group_with(alice, bob, carol, name="Busy", messages=[(bob, "hey all"), (carol, "yo")])

    rows = list(selectors.chats_for(alice))

    assert [(r.kind, r.group or r.peer) for r in rows] == [
        ("group", busy),
        ("user", bob),
        ("group", quiet),
    ]
    assert rows[0].last_message.content == "yo" and rows[0].unread_count == 2
    assert rows[2].last_message is None and rows[2].last_activity_at == old


def test_group_unread_counts_only_my_unread_receipts(alice, bob):
    group = group_with(alice, bob, messages=[(bob, "one"), (bob, "two"), (alice, "mine")])
    GroupMessageReceipt.objects.filter(user=alice, group_message__content="one").update(
        read_at=timezone.now()
    )

    [row] = [r for r in selectors.chats_for(alice) if r.kind == "group"]

    assert row.group == group and row.unread_count == 1


def test_someone_elses_groups_and_chats_stay_out_of_my_inbox(alice, bob, carol, mallory):
    services.send_message(bob, receiver=carol, content="not for alice")
    group_with(bob, carol, name="Private", messages=[(bob, "secret")])

    assert list(selectors.chats_for(alice)) == []


def test_the_inbox_slices_without_loading_every_row(alice, make_user, django_assert_num_queries):
    for i in range(5):
        services.send_message(make_user(f"P{i}"), receiver=alice, content=str(i))
    inbox = selectors.chats_for(alice)

    assert inbox.count() == 5
    with django_assert_num_queries(2):  # peers with their last messages and media; reactions
        page = inbox[1:3]

    assert [row.last_message.content for row in page] == ["3", "2"]


def make_inbox(user, make_user, size: int):
    """``size`` chats for ``user``: two thirds 1:1 (unread, one with media), one third groups."""
    groups = size // 3
    for i in range(size - groups):
        peer = make_user(f"Peer {size}-{i}")
        message = services.send_message(peer, receiver=user, content=f"hi {i}")
        services.send_message(user, receiver=peer, content=f"reply {i}")
        services.send_message(peer, receiver=user, content=f"again {i}")
        Multimedia.objects.create(message=message, file="media/x.txt", file_type="text/plain")
    for i in range(groups):
        other = make_user(f"Member {size}-{i}")
        group = group_with(user, other, name=f"G{size}-{i}", messages=[(other, "hello")])
        Multimedia.objects.create(
            group_message=group.messages.first(), file="media/y.txt", file_type="text/plain"
        )


# The inbox costs this many queries whatever its size: 1 to order the rows (1:1 peers with
# their unread counts, groups), then the 1:1 rows (peers, last messages, their media) and the
# groups (last messages with senders and media, unread counts), and the reactions of the last
# messages of each kind.
INBOX_QUERIES = 5


@pytest.mark.parametrize("size", [3, 30])
def test_the_inbox_query_count_stays_flat(alice, make_user, size, django_assert_num_queries):
    make_inbox(alice, make_user, size)

    with django_assert_num_queries(INBOX_QUERIES):
        rows = list(selectors.chats_for(alice))
        for row in rows:
            _ = [m.file_type for m in row.last_message.media.all()] if row.last_message else []
            _ = row.last_message.sender.name if row.kind == "group" else row.peer.name

    assert len(rows) == size


def test_the_inbox_marks_the_peers_i_do_not_know_in_one_more_query(
    alice, bob, carol, mallory, django_assert_num_queries
):
    services.send_message(bob, receiver=alice, content="hi")  # known: he wrote to me
    services.send_message(alice, receiver=carol, content="hi")
    account_services.add_contact(carol, contact_user=alice)  # known: she has me as a contact
    services.send_message(alice, receiver=mallory, content="hi")  # a stranger's id

    # The order, the peers, their last messages' reactions, which of two unsure ones I know.
    with django_assert_num_queries(4):
        rows = list(selectors.chats_for(alice))
    strangers = {row.peer.name: getattr(row.peer, "is_stranger", False) for row in rows}

    assert strangers == {"Bob": False, "Carol": False, "Mallory": True}


def test_inbox_rows_carry_the_media_of_their_last_messages_only(
    alice, bob, carol, django_assert_num_queries
):
    older = services.send_message(bob, receiver=alice, content="older")
    last = services.send_message(bob, receiver=alice, content="two files")
    for message, name in [(older, "old.txt"), (last, "b.png"), (last, "a.txt")]:
        Multimedia.objects.create(message=message, file=f"media/{name}", file_type="text/plain")
    group = group_with(alice, carol, messages=[(carol, "a picture")])
    Multimedia.objects.create(
        group_message=group.messages.get(), file="media/c.jpg", file_type="image/jpeg"
    )
    services.send_message(alice, receiver=carol, content="no files")

    # Carol never wrote to Alice 1:1: one more query finds that Alice knows her (their group).
    with django_assert_num_queries(INBOX_QUERIES + 1):
        media = {
            row.key: [item.file.name for item in row.last_message.media.all()]
            for row in selectors.chats_for(alice)
        }

    assert media == {
        f"user-{bob.id}": ["media/b.png", "media/a.txt"],
        f"group-{group.id}": ["media/c.jpg"],
        f"user-{carol.id}": [],
    }


def test_a_deactivated_peer_keeps_the_history_but_not_a_new_chat(alice, bob, carol):
    services.send_message(bob, receiver=alice, content="before")
    for user in (bob, carol):
        user.is_active = False
        user.save()

    assert selectors.chat_peer(alice, bob.id) == bob
    with pytest.raises(NotFound):
        selectors.chat_peer(alice, carol.id)
    with pytest.raises(NotFound):
        selectors.chat_peer(alice, 999_999)


def test_a_history_comes_with_its_media_reactions_and_quotes_in_two_more_queries(
    alice, bob, django_assert_num_queries
):
    def note(name):
        return SimpleUploadedFile(name, b"plain text notes\n", content_type="text/plain")

    plain = services.send_message(alice, receiver=bob, content="no files")
    files = [note("a.txt"), note("b.txt")]
    two = services.send_message(bob, receiver=alice, content="", files=files)
    one = services.send_message(
        alice, receiver=bob, content="", files=[note("c.txt")], reply_to_id=two.id
    )
    for message, user in ((plain, bob), (two, alice), (one, bob)):
        actions.react(services.ONE_TO_ONE, user, message_id=message.id, emoji="👍")

    # The page, its media, its reactions, the messages it quotes, my stars among it.
    with django_assert_num_queries(5):
        page = list(selectors.conversation(alice, bob)[:10])
        attached = {m.id: [f.original_name for f in m.media.all()] for m in page}
        written = [message_json(m) for m in page]

    assert attached == {one.id: ["c.txt"], two.id: ["a.txt", "b.txt"], plain.id: []}
    assert [len(m["reactions"]) for m in written] == [1, 1, 1]
    assert written[0]["reply_to"]["has_media"] is True
    with django_assert_num_queries(4):  # first() and further filters keep it (no quote here)
        first = selectors.conversation(alice, bob).filter(id=two.id).first()
        assert [f.original_name for f in first.media.all()] == ["a.txt", "b.txt"]


def test_a_message_i_deleted_for_myself_leaves_my_inbox_preview_only(alice, bob, carol):
    first = services.send_message(bob, receiver=alice, content="first")
    second = services.send_message(bob, receiver=alice, content="second")
    group = group_with(alice, carol, messages=[(carol, "older"), (carol, "newest")])
    newest = group.messages.get(content="newest")

    actions.delete_for_me(services.ONE_TO_ONE, alice, message_id=second.id)
    actions.delete_for_me(group_services.IN_GROUP, alice, message_id=newest.id)

    mine = {row.key: row.last_message.content for row in selectors.chats_for(alice)}
    assert mine == {f"user-{bob.id}": "first", f"group-{group.id}": "older"}
    [bobs] = selectors.chats_for(bob)
    assert bobs.last_message.id == second.id
    unread = {row.key: row.unread_count for row in selectors.chats_for(alice)}
    assert unread == {f"user-{bob.id}": 1, f"group-{group.id}": 1}  # the hidden ones don't count
    assert first.id != second.id


def test_an_inbox_whose_last_message_is_a_reply_loads_the_quotes_in_one_query(
    alice, bob, carol, django_assert_num_queries
):
    for peer in (bob, carol):
        asked = services.send_message(alice, receiver=peer, content="question")
        services.send_message(peer, receiver=alice, content="answer", reply_to_id=asked.id)

    with django_assert_num_queries(INBOX_QUERIES - 1):  # no group rows; one for the quotes
        quotes = [message_json(row.last_message)["reply_to"] for row in selectors.chats_for(alice)]

    assert [quote["content"] for quote in quotes] == ["question", "question"]
