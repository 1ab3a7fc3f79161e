"""Delivered receipts of many sockets written as one batch, each request answered on its own."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chats import services
from chats.models import Message
from whatsapp.errors import DomainError, NotFound

pytestmark = pytest.mark.django_db


def test_a_batch_marks_every_request_and_tells_each_sender(
    alice, bob, carol, django_capture_on_commit_callbacks, monkeypatch
):
    pushed = []
    monkeypatch.setattr(
        "whatsapp.realtime._send", lambda group, frame, exclude: pushed.append((group, frame))
    )
    to_bob = services.send_message(alice, receiver=bob, content="one")
    to_carol = services.send_message(alice, receiver=carol, content="two")

    with django_capture_on_commit_callbacks(execute=True):
        results = services.mark_delivered_batch([(bob, [to_bob.id]), (carol, [to_carol.id])])

    assert [[m.id for m in r] for r in results] == [[to_bob.id], [to_carol.id]]
    assert not Message.objects.filter(delivered_at__isnull=True).exists()
    statuses = [(g, f["message_id"]) for g, f in pushed if f["type"] == "message.status"]
    assert (f"user.{alice.id}", to_bob.id) in statuses
    assert (f"user.{alice.id}", to_carol.id) in statuses


def test_a_bad_request_fails_alone_and_changes_nothing_of_its_own(alice, bob, mallory):
    to_bob = services.send_message(alice, receiver=bob, content="mine")
    other = services.send_message(alice, receiver=bob, content="also mine")

    results = services.mark_delivered_batch(
        [(mallory, [to_bob.id]), (bob, [other.id]), (bob, list(range(1, 1002)))]
    )

    assert isinstance(results[0], NotFound)
    assert [m.id for m in results[1]] == [other.id]
    assert isinstance(results[2], DomainError) and results[2].code == "invalid"
    assert Message.objects.get(id=to_bob.id).delivered_at is None
    assert Message.objects.get(id=other.id).delivered_at is not None


def test_two_tabs_marking_one_message_change_it_and_tell_its_sender_once(
    alice, bob, django_capture_on_commit_callbacks, monkeypatch
):
    pushed = []
    monkeypatch.setattr(
        "whatsapp.realtime._send", lambda group, frame, exclude: pushed.append((group, frame))
    )
    message = services.send_message(alice, receiver=bob, content="seen twice")

    with django_capture_on_commit_callbacks(execute=True):
        results = services.mark_delivered_batch([(bob, [message.id]), (bob, [message.id])])
        again = services.mark_delivered_batch([(bob, [message.id])])

    assert [[m.id for m in r] for r in results] == [[message.id], [message.id]]
    assert results[0][0].delivered_at == Message.objects.get(id=message.id).delivered_at
    assert again == [[]]
    statuses = [f for _, f in pushed if f["type"] == "message.status"]
    assert [(f["message_id"], f["read_at"]) for f in statuses] == [(message.id, None)]


@pytest.mark.parametrize("size", [2, 20])
def test_a_batch_is_two_statements_whatever_its_size(alice, bob, carol, size):
    to_bob = [services.send_message(alice, receiver=bob, content=str(n)).id for n in range(size)]
    to_carol = [
        services.send_message(alice, receiver=carol, content=str(n)).id for n in range(size)
    ]

    with CaptureQueriesContext(connection) as queries:
        results = services.mark_delivered_batch([(bob, to_bob), (carol, to_carol)])

    assert [len(r) for r in results] == [size, size]
    # The receivers' SELECT and one UPDATE ... RETURNING: no transaction, no row lock.
    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    assert statements == ["SELECT", "UPDATE"]
    assert "FOR UPDATE" not in queries.captured_queries[0]["sql"]
