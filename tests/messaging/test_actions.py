"""The message actions (messaging.actions) for both kinds of chat: who may do what, what is
written and erased, and what is pushed."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts import services as account_services
from chats import selectors
from chats import services as chat_services
from chats.models import Message, MessageHide, MessageReaction, MessageStar, Multimedia
from groups import services as group_services
from groups.models import GroupMessage, GroupMessageReaction
from messaging import actions
from whatsapp.errors import Conflict, DomainError, Forbidden, NotFound

pytestmark = pytest.mark.django_db

ONE_TO_ONE, IN_GROUP = chat_services.ONE_TO_ONE, group_services.IN_GROUP


@pytest.fixture
def pushes(monkeypatch):
    sent = []
    monkeypatch.setattr(
        "whatsapp.realtime._send", lambda group, frame, exclude: sent.append((group, frame))
    )
    return sent


@pytest.fixture
def message(alice, bob):
    return chat_services.send_message(alice, receiver=bob, content="hello")


@pytest.fixture
def group(alice, bob, carol):
    for user in (bob, carol):
        account_services.add_contact(alice, contact_user=user)
    return group_services.create_group(alice, name="Trip", members=[bob, carol])


@pytest.fixture
def group_message(group, alice):
    return group_services.send_group_message(alice, group=group, content="hello all")


def _age(model, message, **delta):
    model.objects.filter(id=message.id).update(sent_at=timezone.now() - timedelta(**delta))


def test_a_reaction_is_one_per_user_replaced_and_taken_back(
    message, alice, bob, pushes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        actions.react(ONE_TO_ONE, bob, message_id=message.id, emoji="👍")
        updated = actions.react(ONE_TO_ONE, bob, message_id=message.id, emoji="❤️")

    assert [(r.user_id, r.emoji) for r in updated.reactions.all()] == [(bob.id, "❤️")]
    assert MessageReaction.objects.count() == 1
    frames = [frame for _, frame in pushes if frame["type"] == "message.updated"]
    assert len(frames) == 2 * 2  # each reaction, to both participants' sockets
    assert frames[-1]["message"]["reactions"][0]["emoji"] == "❤️"

    actions.unreact(ONE_TO_ONE, bob, message_id=message.id)
    assert not MessageReaction.objects.exists()


@pytest.mark.parametrize("emoji", ["a", "👍👍", "", None, ":)", "👍" + "a"])
def test_a_reaction_must_be_exactly_one_emoji(message, bob, emoji):
    with pytest.raises(DomainError) as refused:
        actions.react(ONE_TO_ONE, bob, message_id=message.id, emoji=emoji)

    assert (refused.value.code, refused.value.field) == ("invalid", "emoji")
    assert not MessageReaction.objects.exists()


@pytest.mark.parametrize("emoji", ["👍🏽", "🇫🇷", "👨‍👩‍👧", "❤️"])
def test_skin_tones_flags_and_sequences_are_one_emoji(message, bob, emoji):
    actions.react(ONE_TO_ONE, bob, message_id=message.id, emoji=emoji)

    assert MessageReaction.objects.get().emoji == emoji


def test_strangers_act_on_nothing(message, carol):
    for act in (
        lambda: actions.react(ONE_TO_ONE, carol, message_id=message.id, emoji="👍"),
        lambda: actions.edit(ONE_TO_ONE, carol, message_id=message.id, content="x"),
        lambda: actions.delete_for_everyone(ONE_TO_ONE, carol, message_id=message.id),
        lambda: actions.delete_for_me(ONE_TO_ONE, carol, message_id=message.id),
        lambda: actions.star(ONE_TO_ONE, carol, message_id=message.id, starred=True),
    ):
        with pytest.raises(NotFound):
            act()


def test_only_the_sender_edits_within_the_window(message, alice, bob, settings):
    with pytest.raises(Forbidden) as refused:
        actions.edit(ONE_TO_ONE, bob, message_id=message.id, content="mine now")
    assert refused.value.code == "not_sender"

    edited = actions.edit(ONE_TO_ONE, alice, message_id=message.id, content="hello!")
    assert (edited.content, edited.edited_at is not None) == ("hello!", True)

    _age(Message, message, seconds=settings.MESSAGE_EDIT_WINDOW_SECONDS + 1)
    with pytest.raises(Conflict) as late:
        actions.edit(ONE_TO_ONE, alice, message_id=message.id, content="too late")
    assert late.value.code == "edit_window_closed"
    assert Message.objects.get(id=message.id).content == "hello!"


@pytest.mark.parametrize("content", ["", "   ", "x" * 70_000])
def test_an_edit_obeys_the_rules_of_a_send(message, alice, content):
    with pytest.raises(DomainError) as refused:
        actions.edit(ONE_TO_ONE, alice, message_id=message.id, content=content)

    assert refused.value.field == "content"
    assert Message.objects.get(id=message.id).edited_at is None


def test_delete_for_everyone_erases_content_media_and_reactions(
    alice, bob, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("note.txt", b"plain text notes\n", content_type="text/plain")
    message = chat_services.send_message(alice, receiver=bob, content="oops", files=[upload])
    actions.react(ONE_TO_ONE, bob, message_id=message.id, emoji="😮")
    stored = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert stored

    with django_capture_on_commit_callbacks(execute=True):
        gone = actions.delete_for_everyone(ONE_TO_ONE, alice, message_id=message.id)

    row = Message.objects.get(id=message.id)
    assert (row.content, row.deleted_at is not None) == ("", True)
    assert gone.deleted_at is not None
    assert not Multimedia.objects.filter(message_id=message.id).exists()
    assert not MessageReaction.objects.exists()
    assert not any(p.exists() for p in stored)
    with pytest.raises(Conflict):
        actions.react(ONE_TO_ONE, bob, message_id=message.id, emoji="👍")
    with pytest.raises(Conflict):
        actions.edit(ONE_TO_ONE, alice, message_id=message.id, content="back")


def test_only_the_sender_deletes_for_everyone_within_the_window(message, alice, bob, settings):
    with pytest.raises(Forbidden):
        actions.delete_for_everyone(ONE_TO_ONE, bob, message_id=message.id)

    _age(Message, message, seconds=settings.MESSAGE_DELETE_WINDOW_SECONDS + 1)
    with pytest.raises(Conflict) as late:
        actions.delete_for_everyone(ONE_TO_ONE, alice, message_id=message.id)
    assert late.value.code == "delete_window_closed"
    assert Message.objects.get(id=message.id).content == "hello"


def test_delete_for_me_hides_it_from_me_only(
    message, alice, bob, pushes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        actions.delete_for_me(ONE_TO_ONE, bob, message_id=message.id)

    assert MessageHide.objects.filter(user=bob, message=message).exists()
    assert not selectors.conversation(bob, alice).exists()
    assert selectors.conversation(alice, bob).count() == 1
    assert pushes == [(f"user.{bob.id}", {"type": "message.hidden", "message_id": message.id})]
    with pytest.raises(NotFound):  # it is gone for bob: nothing more to do to it
        actions.react(ONE_TO_ONE, bob, message_id=message.id, emoji="👍")


def test_stars_are_mine_alone(message, alice, bob):
    starred = actions.star(ONE_TO_ONE, bob, message_id=message.id, starred=True)
    actions.star(ONE_TO_ONE, bob, message_id=message.id, starred=True)  # again: no change

    assert starred.starred is True
    assert list(MessageStar.objects.values_list("user_id", flat=True)) == [bob.id]
    actions.star(ONE_TO_ONE, bob, message_id=message.id, starred=False)
    assert not MessageStar.objects.exists()


def test_a_reply_quotes_only_a_message_of_the_same_chat(message, alice, bob, carol):
    reply = chat_services.send_message(bob, receiver=alice, content="hi", reply_to_id=message.id)
    assert reply.reply_to_id == message.id

    with pytest.raises(DomainError) as refused:
        chat_services.send_message(carol, receiver=alice, content="me?", reply_to_id=message.id)
    assert refused.value.field == "reply_to_message_id"
    with pytest.raises(DomainError):
        chat_services.send_message(bob, receiver=alice, content="?", reply_to_id=10**9)


def test_group_actions_are_for_members_and_reach_the_group(
    group, group_message, alice, bob, pushes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        actions.react(IN_GROUP, bob, message_id=group_message.id, emoji="🙏")

    assert GroupMessageReaction.objects.get().user_id == bob.id
    [(channel, frame)] = [p for p in pushes if p[1]["type"] == "group_message.updated"]
    assert channel == f"chatgroup.{group.id}"  # one call for the whole group
    assert frame["group_message"]["reactions"][0]["emoji"] == "🙏"

    group_services.leave_group(bob, group=group)
    with pytest.raises(NotFound):  # an ex-member acts on nothing
        actions.react(IN_GROUP, bob, message_id=group_message.id, emoji="👍")
    with pytest.raises(NotFound):
        actions.star(IN_GROUP, bob, message_id=group_message.id, starred=True)


def test_a_group_reply_quotes_only_what_the_sender_may_see(group, alice, bob, make_user):
    early = group_services.send_group_message(alice, group=group, content="before you")
    newcomer = make_user("Newcomer")
    account_services.add_contact(alice, contact_user=newcomer)
    group_services.add_group_member(alice, group=group, member=newcomer)

    with pytest.raises(DomainError) as refused:
        group_services.send_group_message(
            newcomer, group=group, content="what?", reply_to_id=early.id
        )
    assert refused.value.field == "reply_to_group_message_id"
    reply = group_services.send_group_message(bob, group=group, content="ok", reply_to_id=early.id)
    assert reply.reply_to_id == early.id


def test_a_group_message_deleted_for_everyone_is_a_tombstone(group, group_message, alice):
    actions.delete_for_everyone(IN_GROUP, alice, message_id=group_message.id)

    row = GroupMessage.objects.get(id=group_message.id)
    assert (row.content, row.deleted_at is not None) == ("", True)
