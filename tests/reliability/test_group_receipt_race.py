"""Two members reading a group message at the same moment: the message still turns read.

Each read writes the member's receipt and then recomputes the group-wide ``read_at`` in its
own transaction. On PostgreSQL (READ COMMITTED) two such transactions running side by side
would each see the other's receipt still unread, and the sender's ticks would never turn
blue. Real threads with their own connections: PostgreSQL only (SQLite serialises writers).
"""

import threading

import pytest
from django.db import connections, transaction

from groups import services as group_services
from tests.reliability.conftest import befriend
from tests.reliability.test_idempotency import on_postgresql


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_members_reading_at_once_make_the_message_read(alice, bob, carol):
    befriend(alice, bob)
    befriend(alice, carol)
    group = group_services.create_group(alice, name="Race", members=[bob, carol])
    message = group_services.send_group_message(alice, group=group, content="hi")
    bob_wrote, let_bob_commit = threading.Event(), threading.Event()
    errors: list[Exception] = []

    def bob_reads_and_holds_the_commit() -> None:
        try:
            with transaction.atomic():
                group_services.mark_group_messages_read(bob, message_ids=[message.id])
                bob_wrote.set()
                let_bob_commit.wait(timeout=10)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    def carol_reads() -> None:
        try:
            group_services.mark_group_messages_read(carol, message_ids=[message.id])
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    bob_thread = threading.Thread(target=bob_reads_and_holds_the_commit)
    bob_thread.start()
    assert bob_wrote.wait(timeout=10)
    carol_thread = threading.Thread(target=carol_reads)
    carol_thread.start()
    carol_thread.join(timeout=0.5)  # Carol's read runs while Bob's is still uncommitted
    let_bob_commit.set()
    bob_thread.join(timeout=10)
    carol_thread.join(timeout=10)

    assert errors == []
    message.refresh_from_db()
    assert message.read_at is not None
    assert message.delivered_at is not None
