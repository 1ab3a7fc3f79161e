"""Socket abuse against a real server process: invalid UTF-8, frames of several MiB, floods.

Each gets an ``error`` frame or a proper close code; the server process survives and another
user chatting at the same time is not held up. (Frame-level checks without a server are in
tests/reliability/test_socket_abuse.py.)
"""

import base64
import json
import os
import socket
import struct
import time
import urllib.request
from contextlib import contextmanager
from urllib.parse import urlparse

import pytest
from rest_framework.authtoken.models import Token
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.reliability.conftest import befriend

pytestmark = pytest.mark.browser

DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def token(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


@contextmanager
def open_socket(base_url: str, user, **options):
    with connect(
        base_url.replace("http://", "ws://") + "/ws/",
        additional_headers={"Authorization": f"Token {token(user)}"},
        proxy=None,
        open_timeout=10,
        **options,
    ) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "ready"
        yield ws


def next_of(ws, type_: str, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if frame["type"] == type_:
            return frame


def chat_round_trip(ws, receiver, n: int) -> float:
    """Send one message and wait for its ack: the seconds it took."""
    started = time.monotonic()
    ws.send(
        json.dumps(
            {
                "type": "message.send",
                "receiver_id": receiver.id,
                "content": f"ok {n}",
                "client_id": f"ok-{n}",
            }
        )
    )
    ack = next_of(ws, "message.ack")
    assert ack["client_id"] == f"ok-{n}"
    return time.monotonic() - started


def healthy(base_url: str) -> bool:
    with DIRECT.open(f"{base_url}/healthz/", timeout=5) as response:
        return response.status == 200


def raw_frame(opcode: int, payload: bytes) -> bytes:
    """One masked client frame, built by hand (libraries refuse to send invalid UTF-8)."""
    mask = os.urandom(4)
    header = bytes([0x80 | opcode])
    length = len(payload)
    if length < 126:
        header += bytes([0x80 | length])
    elif length < 1 << 16:
        header += bytes([0x80 | 126]) + struct.pack("!H", length)
    else:
        header += bytes([0x80 | 127]) + struct.pack("!Q", length)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return header + mask + masked


def raw_socket(base_url: str, user) -> socket.socket:
    """A WebSocket handshake by hand; returns the socket after reading the ``ready`` frame."""
    address = urlparse(base_url)
    sock = socket.create_connection((address.hostname, address.port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws/ HTTP/1.1\r\nHost: {address.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Authorization: Token {token(user)}\r\n\r\n"
        ).encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(4096)
    assert response.startswith(b"HTTP/1.1 101"), response[:200]
    return sock


def read_frames_until_close(sock: socket.socket, timeout: float = 10) -> int | None:
    """Read server frames until a close frame; its status code (None if the socket just ended)."""
    sock.settimeout(timeout)
    buffer = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (TimeoutError, ConnectionResetError):
            return None
        if not chunk:
            return None
        buffer += chunk
        while len(buffer) >= 2:
            opcode, length = buffer[0] & 0x0F, buffer[1] & 0x7F
            offset = 2
            if length == 126:
                length, offset = struct.unpack("!H", buffer[2:4])[0], 4
            elif length == 127:
                length, offset = struct.unpack("!Q", buffer[2:10])[0], 10
            if len(buffer) < offset + length:
                break
            payload, buffer = buffer[offset : offset + length], buffer[offset + length :]
            if opcode == 0x8:
                return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005


@pytest.fixture
def chatting(live_server_url, alice, bob, carol):
    befriend(alice, bob)
    return live_server_url


def test_invalid_utf8_is_closed_with_1007_and_nobody_else_notices(chatting, alice, bob, carol):
    with open_socket(chatting, alice) as bystander:
        attacker = raw_socket(chatting, carol)
        attacker.sendall(raw_frame(0x1, b'{"type": "typing", "receiver_id": 1, "x": "\xff\xfe"}'))
        code = read_frames_until_close(attacker)
        attacker.close()

        took = chat_round_trip(bystander, bob, 1)

    assert code == 1007  # invalid frame payload data
    assert took < 2
    assert healthy(chatting)


def test_a_message_over_the_servers_limit_is_closed_with_1009(chatting, alice, bob, carol):
    with open_socket(chatting, alice) as bystander, open_socket(chatting, carol) as attacker:
        with pytest.raises(ConnectionClosed) as closed:
            attacker.send("x" * (4 * 1024 * 1024))
            attacker.recv(timeout=10)
        took = chat_round_trip(bystander, bob, 2)

    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009  # message too big
    assert took < 2
    assert healthy(chatting)


def test_a_long_message_within_the_frame_limit_gets_an_error_and_the_socket_stays(
    chatting, alice, bob
):
    frame = {"type": "message.send", "receiver_id": bob.id, "client_id": "long"}
    frame["content"] = "x" * 70_000  # over the 65,536-character limit, under 1 MiB

    with open_socket(chatting, alice) as ws:
        ws.send(json.dumps(frame))
        error = next_of(ws, "error")
        ws.send(json.dumps({"type": "no.such.type"}))
        still_open = next_of(ws, "error")

    assert (error["code"], error["client_id"]) == ("too_long", "long")
    assert still_open["code"] == "unknown_type"


def test_a_flood_is_rate_limited_then_closed_while_others_chat_on(chatting, alice, bob, carol):
    junk = [json.dumps({"type": "typing"}), "not json", json.dumps({"type": "nope"})]
    codes = []
    close_code = None
    with open_socket(chatting, alice) as bystander, open_socket(chatting, carol) as attacker:
        for n in range(3000):
            try:
                attacker.send(junk[n % 3])
            except ConnectionClosed:
                break
        try:
            while True:
                frame = json.loads(attacker.recv(timeout=5))
                codes.append(frame.get("code"))
        except ConnectionClosed as closed:
            # 4008 (policy violation) when the close frame arrives; with the flood still in
            # flight the kernel may reset the connection first and lose it.
            close_code = closed.rcvd.code if closed.rcvd else "reset"
        except TimeoutError:
            pass
        took = [chat_round_trip(bystander, bob, 10 + n) for n in range(3)]

    assert "rate_limited" in codes
    assert close_code in (4008, "reset")  # the server hung up on it
    assert max(took) < 2
    assert healthy(chatting)


def test_binary_and_non_json_frames_get_errors_on_a_live_server(chatting, alice):
    with open_socket(chatting, alice) as ws:
        ws.send(b"\x00\x01\x02")
        binary = next_of(ws, "error")
        ws.send("{not json")
        not_json = next_of(ws, "error")
        ws.send("[" * 50_000 + "]" * 50_000)
        deep = next_of(ws, "error")

    assert (binary["code"], not_json["code"], deep["code"]) == ("bad_frame", "bad_json", "bad_json")
    assert healthy(chatting)
