"""Group sends go through the one send pipeline (messaging.sending) as 1:1 sends do: batched
from the socket, rate-limited inside the service, retries answered by client_id."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from groups import services
from groups.models import GroupMessage, GroupMessageReceipt
from tests.groups.conftest import frames_of
from whatsapp.errors import NotFound, RateLimited

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_cache")]


@pytest.fixture
def second_group(alice, bob, alice_contacts):
    return services.create_group(alice, name="Pair", members=[bob])


def test_a_batch_of_group_sends_is_two_inserts_and_each_is_pushed(
    group, second_group, alice, bob, carol, pushes, django_capture_on_commit_callbacks
):
    sends = [
        (alice, group.id, "to the trip", "a1", "alice-tab"),
        (bob, group.id, "me too", "b1", None),
        (bob, second_group.id, "just us", "b2", None),
    ]

    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        results = services.send_group_messages(sends)

    assert [(m.group_id, m.sender_id, m.replayed) for m in results] == [
        (group.id, alice.id, False),
        (group.id, bob.id, False),
        (second_group.id, bob.id, False),
    ]
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 2  # the messages, then every receipt of all three
    receipts = {
        message.id: sorted(
            GroupMessageReceipt.objects.filter(group_message=message).values_list(
                "user_id", flat=True
            )
        )
        for message in results
    }
    assert receipts == {
        results[0].id: sorted([bob.id, carol.id]),
        results[1].id: sorted([alice.id, carol.id]),
        results[2].id: [alice.id],
    }
    pushed = frames_of(pushes, "group_message.new")
    assert [frame["group_message"]["content"] for _, frame in pushed] == [
        "to the trip",
        "me too",
        "just us",
    ]
    assert pushes[0][2] == "alice-tab"  # the sending socket gets its ack instead


def test_each_group_send_gets_its_own_error_and_the_rest_are_stored(group, alice, mallory, pushes):
    results = services.send_group_messages(
        [
            (mallory, group.id, "let me in", "m1", None),
            (alice, group.id, "   ", "a1", None),
            (alice, group.id, "fine", "a2", None),
        ]
    )

    assert isinstance(results[0], NotFound)
    assert results[1].code == "blank"
    assert results[2].content == "fine"
    assert list(GroupMessage.objects.values_list("content", flat=True)) == ["fine"]


def test_a_member_who_left_gets_not_found_even_when_retrying_a_stored_send(group, bob):
    services.send_group_message(bob, group=group, content="bye", client_id="last")
    services.leave_group(bob, group=group)

    with pytest.raises(NotFound):
        services.send_group_message(bob, group=group, content="bye", client_id="last")


def test_the_send_rate_is_applied_inside_the_service(group, alice, settings):
    settings.MESSAGE_SEND_RATE = "2/60"
    services.send_group_message(alice, group=group, content="one")
    services.send_group_message(alice, group=group, content="two")

    with pytest.raises(RateLimited):
        services.send_group_message(alice, group=group, content="three")
    message = GroupMessage.objects.first()
    with pytest.raises(RateLimited):
        services.forward_group_message(alice, message=message, groups=[group])
    assert GroupMessage.objects.count() == 2
