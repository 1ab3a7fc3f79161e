"""One ``client_id``, one row: retried and concurrent sends store a message once.

The concurrent tests race real threads, each with its own database connection, so they need a
database that runs transactions in parallel: they run on PostgreSQL (CI's second pass) and are
skipped on SQLite, which serialises writers.
"""

import threading

import pytest
from django.db import connection, connections

from chats.models import Message
from groups import services as group_services
from groups.models import GroupMessage
from tests.conftest import token_client
from tests.reliability.conftest import befriend

THREADS = 8

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"
)


def race(post, count: int = THREADS) -> list:
    """Run ``post()`` in ``count`` threads released at the same instant; their responses."""
    barrier = threading.Barrier(count)
    responses: list = [None] * count
    errors: list = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            responses[index] = post()
        except Exception as exc:  # surfaced below, with the thread's traceback lost otherwise
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return responses


@pytest.mark.django_db
def test_a_retried_send_stores_one_row(alice, bob):
    befriend(alice, bob)
    client = token_client(alice)
    body = {"receiver_id": bob.id, "content": "once", "client_id": "retry-1"}

    first = client.post("/api/v1/messages/", body, format="json")
    again = [client.post("/api/v1/messages/", body, format="json") for _ in range(3)]

    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    assert {r.json()["message_id"] for r in again} == {first.json()["message_id"]}
    assert all(r.status_code == 201 and r["Idempotent-Replayed"] == "true" for r in again)
    assert Message.objects.filter(client_id="retry-1").count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_with_one_client_id_store_one_row(alice, bob):
    befriend(alice, bob)
    body = {"receiver_id": bob.id, "content": "at once", "client_id": "race-1"}

    def post():
        return token_client(alice).post("/api/v1/messages/", body, format="json")

    responses = race(post)

    assert [r.status_code for r in responses] == [201] * THREADS
    assert len({r.json()["message_id"] for r in responses}) == 1
    assert sum("Idempotent-Replayed" not in r for r in responses) == 1
    assert Message.objects.count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_group_sends_with_one_client_id_store_one_row(alice, bob):
    befriend(alice, bob)
    group = group_services.create_group(alice, name="Race", members=[bob])
    body = {"content": "at once", "client_id": "race-g"}

    def post():
        return token_client(alice).post(f"/api/v1/groups/{group.id}/messages/", body, format="json")

    responses = race(post)

    assert [r.status_code for r in responses] == [201] * THREADS
    assert len({r.json()["group_message_id"] for r in responses}) == 1
    assert GroupMessage.objects.count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_with_different_client_ids_all_store(alice, bob):
    befriend(alice, bob)
    counter = iter(range(THREADS))
    lock = threading.Lock()

    def post():
        with lock:
            n = next(counter)
        body = {"receiver_id": bob.id, "content": f"m{n}", "client_id": f"distinct-{n}"}
        return token_client(alice).post("/api/v1/messages/", body, format="json")

    responses = race(post)

    assert [r.status_code for r in responses] == [201] * THREADS
    assert Message.objects.count() == THREADS
