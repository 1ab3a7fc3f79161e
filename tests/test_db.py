"""whatsapp.db's hand-written statements: placeholders psycopg need not parse, insert_many."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from psycopg import _queries

from accounts import selectors as account_selectors
from accounts import services as account_services
from chats import selectors as chat_selectors
from chats.models import Message
from tests.conftest import needs_postgresql
from whatsapp.db import Placeholders, insert_many

pytestmark = pytest.mark.django_db


def new_messages(sender, receiver, count: int) -> list[Message]:
    return [
        Message(sender=sender, receiver=receiver, content=f"hello {n}", client_id=f"c{n}")
        for n in range(count)
    ]


def refuse_parsing(monkeypatch) -> None:
    """Make psycopg's parsing of ``%s`` placeholders, uncached or cached, fail."""

    def refuse(*args, **kwargs):
        raise AssertionError("psycopg parsed a statement's placeholders")

    monkeypatch.setattr(_queries, "_query2pg_nocache", refuse)
    monkeypatch.setattr(_queries, "_query2pg", refuse)


def test_placeholders_are_handed_out_in_parameter_order():
    marks = Placeholders(connection)
    first, second = marks.take(2), marks.take(3)

    assert marks.numbered is (connection.vendor == "postgresql")
    if marks.numbered:
        assert (first, second) == ("$1, $2", "$3, $4, $5")
    else:
        assert (first, second) == ("%s, %s", "%s, %s, %s")
    with marks.cursor() as cursor:
        cursor.execute(f"SELECT {first}, {second}", [1, 2, 3, 4, 5])
        assert cursor.fetchone() == (1, 2, 3, 4, 5)


def test_logged_queries_keep_the_placeholders_the_query_log_writes_out(alice, bob):
    with CaptureQueriesContext(connection) as logged:
        marks = Placeholders(connection)
        assert not marks.numbered
        insert_many(new_messages(alice, bob, 12))

    assert Message.objects.filter(sender=alice).count() == 12
    assert "hello 11" in logged.captured_queries[-1]["sql"]


@needs_postgresql
def test_a_many_row_insert_the_send_checks_and_the_receipt_check_reach_postgresql_unparsed(
    alice, bob, carol, monkeypatch
):
    account_services.block_user(carol, blocked=alice)
    messages = new_messages(alice, bob, 30)  # 300 parameters: psycopg would parse them all
    strangers = {(bob.id, n) for n in range(10**6, 10**6 + 30)}  # ids of nobody

    with monkeypatch.context() as patched:
        refuse_parsing(patched)
        insert_many(messages)
        active, blocked = account_selectors.message_targets(
            {(alice.id, bob.id), (alice.id, carol.id)} | strangers
        )
        receivers = chat_selectors.receivers_of({m.id for m in messages} | {10**9})

    stored = Message.objects.filter(sender=alice).order_by("id")
    assert [m.id for m in messages] == [m.id for m in stored]
    assert [m.content for m in stored] == [f"hello {n}" for n in range(30)]
    assert active == {bob.id, carol.id}
    assert blocked == {frozenset((alice.id, carol.id))}
    assert receivers == {m.id: bob.id for m in messages}  # no row for an id of no message
