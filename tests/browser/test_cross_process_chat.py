"""Two daphne processes on the Redis channel layer: a user on one reaches a user on the other.

Runs only with ``REDIS_URL`` set (CI's PostgreSQL + Redis pass); without it each server has its
own in-memory layer and nothing could cross. API clients here: token WebSockets (``websockets``).
"""

import json
import time
from contextlib import contextmanager

import pytest
from rest_framework.authtoken.models import Token
from websockets.sync.client import connect

from accounts import services as account_services

pytestmark = pytest.mark.browser


@contextmanager
def open_socket(base_url: str, user):
    """A token WebSocket of ``user`` to ``base_url`` that has read its ``ready`` frame."""
    key = Token.objects.get_or_create(user=user)[0].key
    with connect(
        base_url.replace("http://", "ws://") + "/ws/",
        additional_headers={"Authorization": f"Token {key}"},
        proxy=None,
        open_timeout=10,
    ) as socket:
        ready = json.loads(socket.recv(timeout=10))
        assert ready == {"type": "ready", "user_id": user.id}
        yield socket


def receive(socket, type_: str, *, timeout: float = 10) -> dict:
    """The next frame of ``type_`` (others, e.g. presence, are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
        if frame["type"] == type_:
            return frame


def test_a_message_crosses_server_processes(start_server, alice, bob):
    if not start_server.shared_channel_layer:
        pytest.skip("needs REDIS_URL: without Redis each server has its own channel layer")
    account_services.add_contact(alice, contact_user=bob)
    account_services.add_contact(bob, contact_user=alice)
    first, second = start_server(), start_server()

    with open_socket(second, bob) as bob_socket, open_socket(first, alice) as alice_socket:
        # Presence crosses too: Bob (server 2) sees Alice (server 1) come online.
        online = receive(bob_socket, "presence")
        alice_socket.send(
            json.dumps(
                {
                    "type": "message.send",
                    "receiver_id": bob.id,
                    "content": "across",
                    "client_id": "x1",
                }
            )
        )
        ack = receive(alice_socket, "message.ack")
        new = receive(bob_socket, "message.new")
        read = {"type": "message.read", "message_ids": [new["message"]["message_id"]]}
        bob_socket.send(json.dumps(read))
        bob_socket.send(json.dumps({"type": "typing", "receiver_id": alice.id}))
        status = receive(alice_socket, "message.status")
        typing = receive(alice_socket, "typing")

    assert online["user_id"] == alice.id and online["online"] is True
    assert new["message"] == ack["message"]
    assert new["message"]["content"] == "across" and new["message"]["sender_id"] == alice.id
    assert status["message_id"] == ack["message"]["message_id"] and status["read_at"]
    assert typing == {"type": "typing", "user_id": bob.id, "receiver_id": alice.id}
