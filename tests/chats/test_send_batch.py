"""Socket sends stored together (``services.send_many``, the consumer's group commit), each
answered as a send alone would be."""

import asyncio
import threading

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from accounts import services as account_services
from chats import services
from chats.models import Message
from messaging import sending
from tests.chats.conftest import connect, receive_until
from whatsapp.db import Batch
from whatsapp.errors import DomainError, RateLimited

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_cache")]


def test_new_messages_of_many_senders_are_one_insert_and_each_is_pushed(
    alice, bob, carol, pushes, django_capture_on_commit_callbacks
):
    sends = [
        (alice, bob.id, "hi Bob", "a1", "alice-tab"),
        (bob, carol.id, "hi Carol", "b1", "bob-tab"),
        (carol, carol.id, "note to self", "c1", None),
    ]

    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        results = services.send_many(sends)

    assert [(m.sender_id, m.receiver_id, m.content) for m in results] == [
        (alice.id, bob.id, "hi Bob"),
        (bob.id, carol.id, "hi Carol"),
        (carol.id, carol.id, "note to self"),
    ]
    assert all(m.id and m.replayed is False for m in results)
    assert results[2].read_at is not None and results[0].read_at is None  # "Message yourself"
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    # Each object got the id of its own row, and holds what was stored.
    fields = ("sender_id", "receiver_id", "content", "client_id", "sent_at", "read_at")
    assert {m.id: tuple(getattr(m, f) for f in fields) for m in results} == {
        m.id: tuple(getattr(m, f) for f in fields) for m in Message.objects.all()
    }
    new = {(group, frame["message"]["message_id"], exclude) for group, frame, exclude in pushes}
    assert (f"user.{bob.id}", results[0].id, "alice-tab") in new
    assert (f"user.{alice.id}", results[0].id, "alice-tab") in new  # Alice's other tabs
    assert (f"user.{carol.id}", results[1].id, "bob-tab") in new


def test_the_query_count_does_not_grow_with_the_batch(make_user, pushes):
    def queries_for(n):
        users = [make_user() for _ in range(n + 1)]
        sends = [(users[i], users[i + 1].id, "hello", f"q{i}", None) for i in range(n)]
        with CaptureQueriesContext(connection) as queries:
            services.send_many(sends)
        return len(queries.captured_queries)

    assert queries_for(2) == queries_for(20)


def test_each_send_gets_its_own_error_and_the_others_are_stored(
    alice, bob, carol, mallory, settings, pushes, django_capture_on_commit_callbacks
):
    account_services.block_user(carol, blocked=alice)
    settings.MESSAGE_SEND_RATE = "4/60"
    sends = [
        (alice, bob.id, "fine", "e1", None),
        (alice, 999_999, "to nobody", "e2", None),
        (alice, carol.id, "blocked", "e3", None),
        (alice, bob.id, "   ", "e4", None),
        (alice, bob.id, "over the rate", "e5", None),
        (mallory, bob.id, "x" * (settings.MESSAGE_MAX_LENGTH + 1), "e6", None),
        (mallory, bob.id, "fine too", "x" * 65, None),
    ]

    with django_capture_on_commit_callbacks(execute=True):
        results = services.send_many(sends)

    assert isinstance(results[0], Message)
    codes = [getattr(r, "code", None) for r in results[1:]]
    assert codes == ["not_found", "blocked", "blank", "rate_limited", "too_long", "invalid"]
    assert isinstance(results[4], RateLimited) and results[4].retry_after >= 1
    assert list(Message.objects.values_list("content", flat=True)) == ["fine"]
    assert [frame["message"]["content"] for _, frame, _ in pushes] == ["fine", "fine"]


def test_a_retried_client_id_is_answered_with_the_stored_message_and_the_rest_stored(
    alice, bob, carol, pushes
):
    stored = services.send_message(alice, receiver=bob, content="once", client_id="r1")

    results = services.send_many(
        [
            (alice, bob.id, "once", "r1", "tab"),
            (alice, carol.id, "new", "r2", "tab"),
            (alice, bob.id, "something else", "r1", "tab"),
        ]
    )

    assert results[0].id == stored.id and results[0].replayed is True
    assert results[1].content == "new" and results[1].replayed is False
    assert isinstance(results[2], DomainError) and results[2].code == "client_id_conflict"
    assert sorted(Message.objects.values_list("content", flat=True)) == ["new", "once"]


def test_the_same_client_id_twice_in_one_batch_stores_one_message(alice, bob, pushes):
    results = services.send_many(
        [(alice, bob.id, "twice", "d1", None), (alice, bob.id, "twice", "d1", None)]
    )

    assert results[0].id == results[1].id
    assert [r.replayed for r in results] == [False, True]
    assert Message.objects.count() == 1


class HeldCalls:
    """A batch function that records its calls and holds those whose first item is in ``hold``
    (each signals ``started[item]``) until ``release`` is set; it answers each item times 10."""

    def __init__(self, *hold: int):
        self.calls: list[list[int]] = []
        self.started = {item: threading.Event() for item in hold}
        self.release = threading.Event()

    def __call__(self, items):
        values = [value for (value,) in items]
        self.calls.append(values)
        if values[0] in self.started:
            self.started[values[0]].set()
            self.release.wait(5)
        return [value * 10 for value in values]

    async def wait_started(self, item: int) -> None:
        assert await asyncio.to_thread(self.started[item].wait, 5)


async def test_a_batch_call_runs_at_once_when_idle_and_collects_while_one_runs():
    fn = HeldCalls(1)
    batch = Batch(fn, window=0)
    first = asyncio.ensure_future(batch.submit(1))
    await fn.wait_started(1)
    later = [asyncio.ensure_future(batch.submit(n)) for n in (2, 3, 4)]
    await asyncio.sleep(0.05)
    assert fn.calls == [[1]]  # the others wait for the running call

    fn.release.set()

    assert await first == 10
    assert await asyncio.gather(*later) == [20, 30, 40]
    assert fn.calls == [[1], [2, 3, 4]]


async def test_with_a_concurrency_of_two_an_item_starts_while_one_call_runs():
    fn = HeldCalls(1, 2)
    batch = Batch(fn, window=0, concurrency=2)
    first = asyncio.ensure_future(batch.submit(1))
    await fn.wait_started(1)
    second = asyncio.ensure_future(batch.submit(2))
    await fn.wait_started(2)  # started while the first call still runs
    later = [asyncio.ensure_future(batch.submit(n)) for n in (3, 4)]
    await asyncio.sleep(0.05)
    assert fn.calls == [[1], [2]]  # two calls run: the others wait for one of them to end

    fn.release.set()

    assert await asyncio.gather(first, second, *later) == [10, 20, 30, 40]
    assert fn.calls == [[1], [2], [3, 4]]


async def test_beside_a_call_of_several_items_nothing_more_starts():
    fn = HeldCalls(1)
    batch = Batch(fn, window=0.01, concurrency=2)
    busy = [asyncio.ensure_future(batch.submit(n)) for n in (1, 2)]  # one call of two items
    await fn.wait_started(1)
    later = [asyncio.ensure_future(batch.submit(n)) for n in (3, 4)]
    await asyncio.sleep(0.1)
    assert fn.calls == [[1, 2]]  # a busy process batches: the others wait for that call

    fn.release.set()

    assert await asyncio.gather(*busy, *later) == [10, 20, 30, 40]
    assert fn.calls == [[1, 2], [3, 4]]


@pytest.mark.django_db(transaction=True)
async def test_socket_sends_are_acked_and_delivered(alice, bob):
    alice_tab, bob_tab = await connect(alice), await connect(bob)

    for n in range(5):
        await alice_tab.send_json_to(
            {
                "type": "message.send",
                "receiver_id": bob.id,
                "content": f"m{n}",
                "client_id": f"s{n}",
            }
        )
    acks = [await receive_until(alice_tab, "message.ack") for _ in range(5)]
    received = [await receive_until(bob_tab, "message.new") for _ in range(5)]

    assert [a["client_id"] for a in acks] == [f"s{n}" for n in range(5)]
    assert [f["message"]["content"] for f in received] == [f"m{n}" for n in range(5)]
    for socket in (alice_tab, bob_tab):
        await socket.disconnect()


def test_blocks_count_either_way_round_and_inactive_receivers_are_not_found(
    alice, bob, carol, make_user
):
    account_services.block_user(alice, blocked=bob)  # the sender blocked the receiver
    gone = make_user()
    gone.is_active = False
    gone.save()

    results = services.send_many(
        [(alice, bob.id, "hi", "w1", None), (alice, gone.id, "hi", "w2", None)]
    )

    assert [r.code for r in results] == ["blocked", "not_found"]
    assert not Message.objects.exists()


def test_a_nul_character_is_refused_and_the_rest_of_the_batch_stored(alice, bob):
    results = services.send_many(
        [(alice, bob.id, "a\x00b", "n1", None), (bob, alice.id, "fine", "n2", None)]
    )

    assert results[0].code == "invalid" and results[0].field == "content"
    assert list(Message.objects.values_list("content", flat=True)) == ["fine"]


def test_when_the_shared_insert_fails_each_send_is_stored_on_its_own(alice, bob, monkeypatch):
    attempts = []

    def refuse(objs):
        attempts.append([m.content for m in objs])
        raise OperationalError("the batch INSERT failed")

    monkeypatch.setattr(sending, "insert_many", refuse)

    results = services.send_many(
        [(alice, bob.id, "one", "f1", None), (bob, alice.id, "two", "f2", None)]
    )

    assert attempts == [["one", "two"]]  # the shared INSERT was tried, then each alone
    assert [m.content for m in results] == ["one", "two"]
    assert Message.objects.count() == 2


def test_a_retry_in_a_batch_leaves_the_new_sends_stored_together(alice, bob, make_user):
    services.send_message(alice, receiver=bob, content="once", client_id="again")
    senders = [make_user() for _ in range(5)]
    sends = [(alice, bob.id, "once", "again", None)]
    sends += [(sender, bob.id, "new", "fresh", None) for sender in senders]

    with CaptureQueriesContext(connection) as queries:
        results = services.send_many(sends)

    assert results[0].replayed is True
    assert [r.replayed for r in results[1:]] == [False] * 5
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    # The batch's, refused for the retry; the five new ones together; the retry's own attempt
    # (send_message answers its refusal with the stored message).
    assert len(inserts) == 3
    assert Message.objects.filter(content="new").count() == 5


async def test_items_added_without_waiting_are_written_and_a_failure_is_logged(caplog):
    calls = []

    def fn(items):
        calls.append(items)
        raise RuntimeError("the database is gone")

    batch = Batch(fn, window=0)
    batch.add(1, [2])
    batch.add(3, [4])
    await asyncio.sleep(0.1)

    assert calls == [[(1, [2]), (3, [4])]]
    assert "batched fn failed" in caplog.text
