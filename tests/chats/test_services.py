"""The 1:1 chat services: send, idempotency, blocks, limits, forwarding, receipts, presence."""

import time

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.utils import timezone

from accounts import services as account_services
from chats import selectors, services
from chats.models import Message
from whatsapp.errors import Blocked, Conflict, DomainError, NotFound
from whatsapp.realtime import user_group

pytestmark = pytest.mark.django_db


def test_send_stores_the_message_and_pushes_it_to_both_users(
    alice, bob, pushes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = services.send_message(alice, receiver=bob, content="Hi Bob", client_id="c-1")

    stored = Message.objects.get()
    assert stored == message
    assert (stored.sender, stored.receiver, stored.content) == (alice, bob, "Hi Bob")
    assert stored.sent_at is not None
    assert stored.delivered_at is None and stored.read_at is None
    assert sorted(pushes.groups("message.new")) == [user_group(alice.id), user_group(bob.id)]
    frame = pushes.frames("message.new", user=bob)[0]
    assert frame["message"]["message_id"] == message.id
    assert frame["message"]["content"] == "Hi Bob"
    assert frame["message"]["client_id"] == "c-1"


def test_send_from_a_socket_skips_that_socket(
    alice, bob, pushes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.send_message(alice, receiver=bob, content="hi", origin_channel="chan!1")

    assert {exclude for _, _, exclude in pushes} == {"chan!1"}


def test_nothing_is_pushed_when_the_send_rolls_back(
    alice, bob, pushes, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(*args, **kwargs):
        raise IntegrityError("disk on fire")

    # Fails after the row is inserted, inside the transaction (rendering the pushed frame).
    monkeypatch.setattr("chats.services.message_json", broken)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(IntegrityError):
        services.send_message(alice, receiver=bob, content="hi")

    assert Message.objects.count() == 0
    assert pushes == []


def test_a_retried_send_returns_the_stored_message_stores_nothing_and_pushes_it_again(
    alice, bob, pushes, django_capture_on_commit_callbacks
):
    first = services.send_message(alice, receiver=bob, content="once", client_id="retry-me")

    with django_capture_on_commit_callbacks(execute=True):
        again = services.send_message(alice, receiver=bob, content="once", client_id="retry-me")

    assert again.id == first.id
    assert again.replayed is True and first.replayed is False
    assert Message.objects.count() == 1
    # Pushed again: a retry may follow a server that stored the message but died before pushing.
    assert [f["message"]["message_id"] for f in pushes.frames("message.new", user=bob)] == [
        first.id
    ]


def test_a_retry_still_succeeds_after_a_block(alice, bob):
    first = services.send_message(alice, receiver=bob, content="before", client_id="k")
    account_services.block_user(bob, blocked=alice)

    again = services.send_message(alice, receiver=bob, content="before", client_id="k")

    assert again.id == first.id


def test_a_client_id_reused_for_another_message_is_a_conflict(alice, bob, carol):
    services.send_message(alice, receiver=bob, content="one", client_id="same")

    with pytest.raises(Conflict):
        services.send_message(alice, receiver=carol, content="one", client_id="same")
    with pytest.raises(Conflict):
        services.send_message(alice, receiver=bob, content="two", client_id="same")
    assert Message.objects.count() == 1


def test_client_ids_are_per_sender(alice, bob):
    services.send_message(alice, receiver=bob, content="a", client_id="shared")

    services.send_message(bob, receiver=alice, content="a", client_id="shared")

    assert Message.objects.count() == 2


@pytest.mark.parametrize("blocker", ["sender", "receiver"])
def test_a_block_either_way_stops_messages(alice, bob, blocker):
    if blocker == "sender":
        account_services.block_user(alice, blocked=bob)
    else:
        account_services.block_user(bob, blocked=alice)

    with pytest.raises(Blocked) as error:
        services.send_message(alice, receiver=bob, content="hi")

    assert error.value.code == "blocked"
    assert Message.objects.count() == 0


def test_a_deactivated_receiver_cannot_be_messaged(alice, bob):
    bob.is_active = False
    bob.save()

    with pytest.raises(NotFound):
        services.send_message(alice, receiver=bob, content="hi")


@pytest.mark.parametrize("content", ["", "   ", "\n\t"])
def test_blank_messages_are_refused(alice, bob, content):
    with pytest.raises(DomainError) as error:
        services.send_message(alice, receiver=bob, content=content)

    assert error.value.code == "blank"
    assert Message.objects.count() == 0


def test_content_may_be_exactly_the_limit_but_not_longer(alice, bob, settings):
    limit = settings.MESSAGE_MAX_LENGTH

    services.send_message(alice, receiver=bob, content="x" * limit)
    with pytest.raises(DomainError) as error:
        services.send_message(alice, receiver=bob, content="x" * (limit + 1))

    assert error.value.code == "too_long"
    assert Message.objects.count() == 1


def test_a_file_is_stored_with_the_message_and_allows_blank_content(alice, bob):
    upload = SimpleUploadedFile("note.txt", b"plain text notes\n", content_type="text/plain")

    message = services.send_message(alice, receiver=bob, content="", files=[upload])

    assert [m.file_type for m in message.media.all()] == ["text/plain"]


def test_a_bad_client_id_is_refused(alice, bob):
    with pytest.raises(DomainError):
        services.send_message(alice, receiver=bob, content="hi", client_id="x" * 65)


def test_messaging_yourself_is_delivered_and_read_at_once(alice):
    message = services.send_message(alice, receiver=alice, content="note to self")

    assert message.delivered_at is not None and message.read_at is not None


# --- forwarding ----------------------------------------------------------------------------


def test_forwarding_copies_the_message_and_points_at_the_original(alice, bob, carol, pushes):
    original = services.send_message(bob, receiver=alice, content="pass it on")

    [copy] = services.forward_message(alice, message=original, receivers=[carol])

    assert copy.sender == alice and copy.receiver == carol
    assert copy.content == "pass it on"
    assert copy.forwarded_from == original
    assert copy.forward_count == 1
    assert copy.forwarded and not copy.forwarded_many_times


def test_a_chain_of_five_forwards_is_forwarded_many_times(alice, bob):
    message = services.send_message(alice, receiver=bob, content="chain")

    for hop in range(5):
        sender, receiver = (bob, alice) if hop % 2 == 0 else (alice, bob)
        [message] = services.forward_message(sender, message=message, receivers=[receiver])

    assert message.forward_count == 5
    assert message.forwarded_many_times


def test_a_message_forwarded_many_times_goes_to_one_chat_at_a_time(alice, bob, carol):
    message = services.send_message(alice, receiver=bob, content="viral")
    Message.objects.filter(id=message.id).update(forward_count=5)
    message.refresh_from_db()

    with pytest.raises(DomainError) as error:
        services.forward_message(bob, message=message, receivers=[alice, carol])

    assert error.value.code == "forward_limit"
    services.forward_message(bob, message=message, receivers=[carol])


def test_only_someone_who_sees_a_message_can_forward_it(alice, bob, mallory):
    message = services.send_message(alice, receiver=bob, content="private")

    with pytest.raises(NotFound):
        services.forward_message(mallory, message=message, receivers=[mallory])


def test_forwarding_to_a_blocked_user_stores_nothing(alice, bob, carol):
    message = services.send_message(bob, receiver=alice, content="x")
    account_services.block_user(carol, blocked=alice)

    with pytest.raises(Blocked):
        services.forward_message(alice, message=message, receivers=[bob, carol])

    assert Message.objects.count() == 1


def test_forwarding_copies_the_media_rows(alice, bob, carol):
    upload = SimpleUploadedFile("a.txt", b"attachment body\n", content_type="text/plain")
    original = services.send_message(bob, receiver=alice, content="", files=[upload])

    [copy] = services.forward_message(alice, message=original, receivers=[carol])

    [source] = original.media.all()
    [forwarded] = copy.media.all()
    assert forwarded.forwarded_from == source
    assert forwarded.file.name == source.file.name


# --- receipts ------------------------------------------------------------------------------


def test_delivery_is_recorded_once_and_tells_the_sender(
    alice, bob, pushes, django_capture_on_commit_callbacks
):
    message = services.send_message(alice, receiver=bob, content="hi")

    with django_capture_on_commit_callbacks(execute=True):
        services.mark_delivered(bob, message_ids=[message.id])
    message.refresh_from_db()
    first = message.delivered_at
    with django_capture_on_commit_callbacks(execute=True):
        assert services.mark_delivered(bob, message_ids=[message.id]) == []

    message.refresh_from_db()
    assert first is not None and message.delivered_at == first
    [status] = pushes.frames("message.status", user=alice)
    assert status["message_id"] == message.id
    assert status["delivered_at"] is not None and status["read_at"] is None


def test_reading_implies_delivery_and_is_set_once(
    alice, bob, pushes, django_capture_on_commit_callbacks
):
    message = services.send_message(alice, receiver=bob, content="hi")

    with django_capture_on_commit_callbacks(execute=True):
        services.mark_read(bob, message_ids=[message.id])
    message.refresh_from_db()
    read_at = message.read_at
    services.mark_read(bob, message_ids=[message.id])

    message.refresh_from_db()
    assert message.read_at == read_at
    assert message.delivered_at == read_at
    [status] = pushes.frames("message.status", user=alice)
    assert status["read_at"] is not None and status["delivered_at"] is not None


def test_read_keeps_an_earlier_delivery_time(alice, bob):
    message = services.send_message(alice, receiver=bob, content="hi")
    services.mark_delivered(bob, message_ids=[message.id])
    message.refresh_from_db()
    delivered_at = message.delivered_at

    services.mark_read(bob, message_ids=[message.id])

    message.refresh_from_db()
    assert message.delivered_at == delivered_at
    assert message.read_at >= delivered_at


@pytest.mark.parametrize("who", ["sender", "stranger"])
def test_receipts_are_only_for_messages_sent_to_you(alice, bob, mallory, who):
    message = services.send_message(alice, receiver=bob, content="hi")
    user = alice if who == "sender" else mallory

    with pytest.raises(NotFound):
        services.mark_read(user, message_ids=[message.id])

    message.refresh_from_db()
    assert message.read_at is None


def test_a_receipt_naming_one_foreign_id_changes_nothing(alice, bob, carol):
    mine = services.send_message(alice, receiver=bob, content="for bob")
    theirs = services.send_message(alice, receiver=carol, content="for carol")

    with pytest.raises(NotFound):
        services.mark_read(bob, message_ids=[mine.id, theirs.id])

    mine.refresh_from_db()
    assert mine.read_at is None


def test_marking_a_chat_read_covers_only_that_peer(alice, bob, carol):
    from_alice = [services.send_message(alice, receiver=bob, content=str(i)) for i in range(3)]
    from_carol = services.send_message(carol, receiver=bob, content="other chat")
    to_alice = services.send_message(bob, receiver=alice, content="mine")

    changed = services.mark_chat_read(bob, peer=alice)

    assert sorted(m.id for m in changed) == sorted(m.id for m in from_alice)
    assert Message.objects.filter(id__in=[m.id for m in from_alice], read_at=None).count() == 0
    from_carol.refresh_from_db()
    to_alice.refresh_from_db()
    assert from_carol.read_at is None and to_alice.read_at is None


def test_deliver_returned_marks_only_incoming_undelivered(alice, bob):
    incoming = services.send_message(alice, receiver=bob, content="in")
    outgoing = services.send_message(bob, receiver=alice, content="out")
    page = list(selectors.conversation(bob, alice))

    services.deliver_returned(bob, page)

    incoming.refresh_from_db()
    outgoing.refresh_from_db()
    assert incoming.delivered_at is not None
    assert outgoing.delivered_at is None
    assert {m.id: m.delivered_at is not None for m in page} == {
        incoming.id: True,
        outgoing.id: False,
    }


# --- presence ------------------------------------------------------------------------------


def test_first_connection_announces_online_to_mutual_contacts_only(
    friends, carol, mallory, pushes, django_capture_on_commit_callbacks
):
    alice, bob = friends
    account_services.add_contact(carol, contact_user=alice)  # one-sided: Alice lacks Carol

    with django_capture_on_commit_callbacks(execute=True):
        services.user_connected(alice)
        services.user_connected(alice)

    frames = pushes.frames("presence")
    assert pushes.groups("presence") == [user_group(bob.id)]
    assert frames == [{"type": "presence", "user_id": alice.id, "online": True, "last_seen": None}]
    assert selectors.is_online(alice.id)


def test_last_disconnection_records_last_seen_and_announces_offline(
    friends, pushes, django_capture_on_commit_callbacks
):
    alice, bob = friends
    services.user_connected(alice)
    services.user_connected(alice)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.user_disconnected(alice) == 1
        assert pushes.frames("presence") == []
        assert services.user_disconnected(alice) == 0

    alice.refresh_from_db()
    assert alice.last_seen is not None
    [frame] = pushes.frames("presence", user=bob)
    assert frame["online"] is False and frame["last_seen"] is not None
    assert not selectors.is_online(alice.id)


def test_a_socket_that_connects_while_the_last_one_goes_offline_is_announced_last(
    friends, pushes, monkeypatch, django_capture_on_commit_callbacks
):
    """A page reload: the old socket's count reaches 0, the new socket counts 1 and says
    "online" (on another database thread) before the old one's "offline" goes out."""
    alice, bob = friends
    services.user_connected(alice)
    watcher_ids = selectors.presence_watcher_ids
    reconnected = []

    def reconnect_first(user):
        if not reconnected:  # between the old socket's count and its "offline"
            reconnected.append("connecting")
            reconnected.append(services.user_connected(alice))
        return watcher_ids(user)

    monkeypatch.setattr(selectors, "presence_watcher_ids", reconnect_first)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.user_disconnected(alice) == 0

    assert reconnected == ["connecting", 1]
    # The new socket's "online", the old one's "offline", and "online" again, last.
    assert [frame["online"] for frame in pushes.frames("presence", user=bob)] == [
        True,
        False,
        True,
    ]
    assert selectors.is_online(alice.id)


def test_blocked_contacts_get_no_presence(friends, pushes, django_capture_on_commit_callbacks):
    alice, bob = friends
    account_services.block_user(alice, blocked=bob)

    with django_capture_on_commit_callbacks(execute=True):
        services.user_connected(alice)

    assert pushes.frames("presence") == []
    assert selectors.presence_of(bob, alice) is None


def test_presence_is_shown_to_mutual_contacts(friends):
    alice, bob = friends
    alice.last_seen = timezone.now()
    alice.save()

    presence = selectors.presence_of(bob, alice)

    assert presence.online is False and presence.last_seen == alice.last_seen


def test_a_socket_count_left_by_a_crashed_server_expires(friends, monkeypatch):
    alice, _ = friends
    monkeypatch.setattr(services, "PRESENCE_TTL_SECONDS", 0.05)
    services.user_connected(alice)  # its server dies: no disconnect, no heartbeat
    assert selectors.is_online(alice.id)

    time.sleep(0.1)

    assert not selectors.is_online(alice.id)


def test_a_heartbeat_counts_a_socket_again_after_its_count_expired(friends):
    alice, _ = friends
    services.user_connected(alice)
    cache.delete(selectors.presence_key(alice.id))

    services.refresh_presence({alice.id: 1})

    assert selectors.is_online(alice.id)
    assert services.user_disconnected(alice) == 0
    assert not selectors.is_online(alice.id)


def test_a_retry_after_a_block_pushes_to_the_sender_only(
    alice, bob, pushes, django_capture_on_commit_callbacks
):
    services.send_message(alice, receiver=bob, content="before", client_id="k")
    account_services.block_user(bob, blocked=alice)
    pushes.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.send_message(alice, receiver=bob, content="before", client_id="k")

    assert pushes.frames("message.new", user=bob) == []
    assert len(pushes.frames("message.new", user=alice)) == 1


def test_a_retry_of_a_delivered_message_does_not_ring_the_receiver_again(
    alice, bob, pushes, django_capture_on_commit_callbacks
):
    first = services.send_message(alice, receiver=bob, content="hello", client_id="k")
    services.mark_delivered(bob, message_ids=[first.id])
    pushes.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.send_message(alice, receiver=bob, content="hello", client_id="k")

    assert pushes.frames("message.new", user=bob) == []


def test_a_retry_of_an_undelivered_message_rings_the_receiver_again(
    alice, bob, pushes, django_capture_on_commit_callbacks
):
    services.send_message(alice, receiver=bob, content="hello", client_id="k")
    pushes.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.send_message(alice, receiver=bob, content="hello", client_id="k")

    assert len(pushes.frames("message.new", user=bob)) == 1
