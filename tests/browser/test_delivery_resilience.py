"""Nothing lost, nothing doubled: messages stream between clients on two server processes while
one server is SIGKILLed, or while Redis (the channel layer) restarts.

The clients behave as static/js/socket.js does: each send carries a ``client_id`` and stays in
an outbox until its ``message.ack``; after a dropped socket the client connects to a server
that answers (the other one, when its own is dead), sends ``sync`` with the newest id it saw,
and sends its outbox again; it acknowledges what it receives (``message.delivered``) and keeps
one copy per ``message_id``. At the end every message is stored once and every receiver holds
every message meant for it exactly once, in the order it was sent.

Needs PostgreSQL (two processes write at once) and Redis: CI's second pass. The Redis restart
uses a redis-server of its own on a free port, never the machine's shared one.
"""

import contextlib
import json
import os
import signal
import threading
import time
from collections import OrderedDict

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from chats.models import Message
from tests.reliability.conftest import befriend

pytestmark = pytest.mark.browser

MESSAGES_PER_STREAM = 60
SEND_INTERVAL_S = 0.01
SETTLE_TIMEOUT_S = 30
# An unacknowledged send is sent again after this long (socket.js-like clients retry).
RETRY_AFTER_S = 2.0
# The servers' own limits are tested elsewhere (tests/reliability/test_rate_limits.py); this
# stream is far faster than a person types.
UNLIMITED = {"MESSAGE_SEND_RATE": "100000/1", "WS_FRAME_RATE": "100000/1"}

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: two servers write at once"
)
needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI's PostgreSQL + Redis pass)"
)


class Client:
    """One user's socket client with an outbox, reconnects, ``sync`` and de-duplication."""

    def __init__(self, user, servers: list[str]):
        self.user = user
        self.key = Token.objects.get_or_create(user=user)[0].key
        self.servers = servers  # base URLs, preferred first
        self.outbox: OrderedDict[str, dict] = OrderedDict()
        self.sent_at: dict[str, float] = {}  # client_id -> when it was last sent
        self.received: dict[int, dict] = {}  # message_id -> message sent to this user
        self.arrivals: list[int] = []  # first arrival order of received ids
        self.frames = 0  # message.new frames for this user, duplicates included
        self.reconnects = 0
        self.connect_failures: list[str] = []
        self.errors: list[dict] = []  # error frames received
        self.watermark = 0
        self.undelivered: list[int] = []  # receipts to send, batched as socket.js does
        self.lock = threading.RLock()
        self.socket = None
        self.closed = threading.Event()
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)

    # -- connection management (a thread per client) --------------------------------------

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping = True
        with contextlib.suppress(Exception):
            if self.socket is not None:
                self.socket.close()
        self.thread.join(timeout=10)

    @contextlib.contextmanager
    def _connection(self):
        """The first server that accepts and says ``ready`` (closed on leaving), or None."""
        for base in self.servers:
            try:
                socket = connect(
                    base.replace("http://", "ws://") + "/ws/",
                    additional_headers={"Authorization": f"Token {self.key}"},
                    proxy=None,
                    open_timeout=3,
                    close_timeout=1,
                )
            except Exception as exc:  # refused, reset, a 500 while Redis is down, a timeout ...
                self.connect_failures.append(repr(exc))
                continue
            with socket:
                try:
                    ready = json.loads(socket.recv(timeout=5))
                except Exception as exc:
                    self.connect_failures.append(repr(exc))
                    continue
                if ready.get("type") == "ready":
                    yield socket
                    return
        yield None

    def _run(self) -> None:
        first = True
        while not self.stopping:
            with self._connection() as socket:
                if socket is None:
                    time.sleep(0.2)  # every server refused (e.g. Redis is down): back off, retry
                    continue
                self._session(socket, reconnect=not first)
                first = False

    def _session(self, socket, *, reconnect: bool) -> None:
        with self.lock:
            self.socket = socket
            if reconnect:
                self.reconnects += 1
            # As socket.js: catch up from the newest id seen, then resend what was not acked.
            self._send({"type": "sync", "after_message_id": self.watermark})
            for frame in list(self.outbox.values()):
                self._send(frame)
        try:
            while not self.stopping:
                try:
                    raw = socket.recv(timeout=0.05)
                except TimeoutError:
                    self.tick()
                    continue
                self._handle(json.loads(raw))
        except ConnectionClosed:
            pass
        with self.lock:
            self.socket = None

    def _send(self, frame: dict) -> None:
        with contextlib.suppress(ConnectionClosed, OSError, AttributeError):
            self.socket.send(json.dumps(frame))

    def _handle(self, frame: dict) -> None:
        kind = frame.get("type")
        with self.lock:
            if kind == "error":
                self.errors.append(frame)
            elif kind == "message.ack":
                self.outbox.pop(frame["client_id"], None)
                self.watermark = max(self.watermark, frame["message"]["message_id"])
            elif kind == "message.new":
                message = frame["message"]
                self.watermark = max(self.watermark, message["message_id"])
                if message["receiver_id"] == self.user.id:
                    self.frames += 1
                    if message["message_id"] not in self.received:
                        self.received[message["message_id"]] = message
                        self.arrivals.append(message["message_id"])
                    self.undelivered.append(message["message_id"])

    def tick(self) -> None:
        """What socket.js does on timers: batch delivery receipts, retry unacknowledged sends."""
        with self.lock:
            if self.socket is None:
                return
            if self.undelivered:
                ids, self.undelivered = self.undelivered[:1000], self.undelivered[1000:]
                self._send({"type": "message.delivered", "message_ids": ids})
            now = time.monotonic()
            for client_id, frame in self.outbox.items():
                if now - self.sent_at.get(client_id, now) > RETRY_AFTER_S:
                    self.sent_at[client_id] = now
                    self._send(frame)

    # -- the application's side -------------------------------------------------------------

    def send(self, receiver, content: str, client_id: str) -> None:
        frame = {
            "type": "message.send",
            "receiver_id": receiver.id,
            "content": content,
            "client_id": client_id,
        }
        with self.lock:
            self.outbox[client_id] = frame
            self.sent_at[client_id] = time.monotonic()
            if self.socket is not None:
                self._send(frame)

    def contents_from(self, sender) -> list[str]:
        """What this user holds from ``sender``, in conversation (message_id) order."""
        with self.lock:
            return [
                m["content"]
                for _, m in sorted(self.received.items())
                if m["sender_id"] == sender.id
            ]


def stream(streams, *, disrupt_at: int, disrupt) -> None:
    """Send every stream's messages in turns; call ``disrupt()`` before message ``disrupt_at``."""
    for n in range(MESSAGES_PER_STREAM):
        if n == disrupt_at:
            disrupt()
        for sender, receiver, name in streams:
            sender.send(receiver.user, f"{name}-{n:03d}", f"{name}-{n:03d}")
        time.sleep(SEND_INTERVAL_S)


def settle(clients, streams) -> None:
    """Wait until every outbox is empty and every receiver holds all it should."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while time.monotonic() < deadline:
        done = all(not c.outbox for c in clients) and all(
            len(receiver.contents_from(sender.user)) >= MESSAGES_PER_STREAM
            for sender, receiver, _ in streams
        )
        if done:
            return
        time.sleep(0.1)


def check_exactly_once_in_order(clients, streams) -> dict:
    """The assertions both tests make; returns the figures for docs/reliability.md."""
    outboxes = {c.user.name: len(c.outbox) for c in clients}
    state = {
        c.user.name: (
            c.socket is not None,
            c.thread.is_alive(),
            c.errors[-3:],
            c.connect_failures[-3:],
        )
        for c in clients
    }
    assert outboxes == {c.user.name: 0 for c in clients}, f"unacknowledged sends; {state}"
    for sender, receiver, name in streams:
        expected = [f"{name}-{n:03d}" for n in range(MESSAGES_PER_STREAM)]
        stored = list(
            Message.objects.filter(sender=sender.user, receiver=receiver.user)
            .order_by("id")
            .values_list("content", flat=True)
        )
        # Stored once each, in the order sent (ids grow with the send order).
        assert stored == expected, f"{name}: stored {len(stored)}, expected {len(expected)}"
        # The receiver holds each once, in that order.
        assert receiver.contents_from(sender.user) == expected, name
    total_frames = sum(c.frames for c in clients)
    held = sum(len(c.received) for c in clients)
    return {
        "messages": MESSAGES_PER_STREAM * len(streams),
        "stored": Message.objects.count(),
        "frames_received": total_frames,
        "duplicate_frames_dropped_by_id": total_frames - held,
        "reconnects": sum(c.reconnects for c in clients),
    }


def users_and_servers(make_user, alice, bob, carol):
    dave = make_user("Dave")
    befriend(alice, bob)
    befriend(carol, bob)
    befriend(dave, alice)
    return dave


def stream_through(disrupt, a, b, c, d) -> dict:
    """Connect the clients of alice, bob, carol and dave and stream alice-bob, carol-bob,
    bob-alice and dave-alice, calling ``disrupt`` a third of the way in; return the figures of
    the exactly-once check. The clients stop in any case."""
    clients = [a, b, c, d]
    streams = [(a, b, "alice-bob"), (c, b, "carol-bob"), (b, a, "bob-alice"), (d, a, "dave-alice")]
    for client in clients:
        client.start()
    for client in clients:
        assert _wait_connected(client)

    try:
        stream(streams, disrupt_at=MESSAGES_PER_STREAM // 3, disrupt=disrupt)
        settle(clients, streams)
        return check_exactly_once_in_order(clients, streams)
    finally:
        for client in clients:
            client.stop()


@needs_postgresql
@needs_redis
def test_no_message_is_lost_or_doubled_when_a_server_is_killed_mid_stream(
    start_server, make_user, alice, bob, carol, record_property
):
    dave = users_and_servers(make_user, alice, bob, carol)
    doomed_url, survivor_url = start_server(UNLIMITED), start_server(UNLIMITED)
    doomed = start_server.servers[0]
    # Alice and Bob start on the server that dies; Carol and Dave on the other one.
    # So the streams run within one process and across processes (Carol on the survivor to
    # Bob on the doomed), both ways.
    a = Client(alice, [doomed_url, survivor_url])
    b = Client(bob, [doomed_url, survivor_url])
    c = Client(carol, [survivor_url, doomed_url])
    d = Client(dave, [survivor_url, doomed_url])

    figures = stream_through(doomed.kill, a, b, c, d)

    assert doomed.process.returncode == -signal.SIGKILL
    assert a.reconnects >= 1 and b.reconnects >= 1
    record_property("figures", figures)
    print(f"\nSIGKILL mid-stream: {figures}")


@needs_postgresql
@needs_redis
def test_no_message_is_lost_or_doubled_when_redis_restarts_mid_stream(
    start_server, own_redis, make_user, alice, bob, carol, record_property
):
    dave = users_and_servers(make_user, alice, bob, carol)
    env = {"REDIS_URL": own_redis.url, **UNLIMITED}
    first, second = start_server(env), start_server(env)
    a = Client(alice, [first, second])
    b = Client(bob, [second, first])
    c = Client(carol, [first, second])
    d = Client(dave, [second, first])

    figures = stream_through(own_redis.restart, a, b, c, d)

    # Both servers lived through it and answer again. Each lost its subscriptions, and what was
    # published meanwhile, with Redis: it closed every socket, and every client synced anew.
    assert all(server.process.poll() is None for server in start_server.servers)
    assert all(client.reconnects >= 1 for client in (a, b, c, d))
    record_property("figures", figures)
    print(f"\nRedis restart mid-stream: {figures}")


def _wait_connected(client, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.socket is not None:
            return True
        time.sleep(0.05)
    return False
