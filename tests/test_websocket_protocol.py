"""The production server's sockets: uvicorn's sans-I/O WebSocket protocol as
whatsapp.websocket_protocol adjusts it, serving the app in this process.

The consumer takes each frame as uvicorn parses it (``ReceiveQueue.attach``), never through
``receive``; uvicorn still stops reading a socket while its frames wait, and reads on once the
consumer has taken them all.
"""

import asyncio
import json
import socket

import pytest
import uvicorn
from channels.db import database_sync_to_async
from django.core.cache import cache
from django.test import Client
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError, InvalidStatus

from tests.chats.conftest import token_for
from whatsapp import sockets
from whatsapp.asgi import application
from whatsapp.consumers import CLOSE_TOO_MANY_SOCKETS, MAX_FRAME_BYTES
from whatsapp.websocket_protocol import ReceiveQueue

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def server():
    """uvicorn serving whatsapp.asgi on a free port, as in production (websockets-sansio, and
    the README's ``--ws-max-size 1048576``)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        application,
        ws="websockets-sansio",
        ws_max_size=MAX_FRAME_BYTES,
        lifespan="off",
        log_level="warning",
    )
    served = uvicorn.Server(config)
    task = asyncio.ensure_future(served.serve(sockets=[sock]))
    while not served.started:
        assert not task.done(), task.exception()
        await asyncio.sleep(0.01)
    served.url = f"ws://127.0.0.1:{sock.getsockname()[1]}/ws/"
    yield served
    served.should_exit = True
    await asyncio.wait_for(task, 10)


@pytest.fixture
def receives(monkeypatch):
    """How often a consumer read uvicorn's ``receive`` (never, once attached)."""
    calls = []
    original = WebSocketsSansIOProtocol.receive

    async def counted(self):
        calls.append(self)
        return await original(self)

    monkeypatch.setattr(WebSocketsSansIOProtocol, "receive", counted)
    return calls


async def open_socket(server, user):
    """A socket of ``user`` whose connect-time work (presence, the push of what is undelivered)
    is over: a frame of unknown type is answered after it (as tests/chats/conftest.connect)."""
    ws = await connect(
        server.url, additional_headers=[("Authorization", f"Token {await token_for(user)}")]
    )
    assert json.loads(await ws.recv()) == {"type": "ready", "user_id": user.id}
    await ws.send(json.dumps({"type": "test.settle"}))
    await frames_until(ws, "error", 1)
    return ws


async def frames_until(ws, type_, count):
    frames = []
    while len(frames) < count:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if frame["type"] == type_:
            frames.append(frame)
    return frames


async def test_a_burst_of_frames_is_taken_in_order_without_receive(server, receives, alice, bob):
    sender, receiver = await open_socket(server, alice), await open_socket(server, bob)
    queues = [c.queue for c in server.server_state.connections]
    assert len(queues) == 2 and all(isinstance(q, ReceiveQueue) for q in queues)
    assert all(q.report is not None for q in queues)  # both consumers attached

    # Written back to back: uvicorn parses several per read, stops reading while they wait,
    # and must read on once the consumer took them, or the burst stalls.
    count = 40
    for n in range(count):
        await sender.send(
            json.dumps(
                {
                    "type": "message.send",
                    "receiver_id": bob.id,
                    "content": f"burst {n}",
                    "client_id": f"c{n}",
                }
            )
        )
    acks = await frames_until(sender, "message.ack", count)
    news = await frames_until(receiver, "message.new", count)

    assert [ack["client_id"] for ack in acks] == [f"c{n}" for n in range(count)]
    assert [new["message"]["content"] for new in news] == [f"burst {n}" for n in range(count)]
    assert all(q.untaken == 0 for q in queues)
    assert receives == []
    await sender.close()
    await receiver.close()


async def test_a_socket_closed_by_its_client_ends_its_consumer(server, receives, alice):
    ws = await open_socket(server, alice)
    await ws.send(json.dumps({"type": "no.such.frame"}))
    (error,) = await frames_until(ws, "error", 1)
    assert error["code"] == "unknown_type"

    await ws.close()

    # The disconnect reaches the consumer as an attached event: its task ends.
    for _ in range(200):
        if not server.server_state.tasks:
            break
        await asyncio.sleep(0.02)
    assert not server.server_state.tasks
    assert receives == []


async def test_a_message_over_the_frame_limit_closes_the_socket_with_1009(server, alice):
    # uvicorn refuses it from its frame header, before reading it into memory (its default
    # limit is 16 MiB); under daphne the same 1 MiB is its default (docs/realtime.md).
    ws = await open_socket(server, alice)
    await ws.send(json.dumps({"type": "message.send", "content": "x" * MAX_FRAME_BYTES}))

    with pytest.raises(ConnectionClosedError) as closed:
        await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd.code == 1009


@database_sync_to_async
def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


async def session_socket(server, user, origin):
    return await connect(
        server.url, origin=origin, additional_headers=[("Cookie", await session_cookie(user))]
    )


async def test_a_session_socket_needs_the_exact_origin_of_the_page(server, alice):
    page = server.url.replace("ws://", "http://").removesuffix("/ws/")  # http://127.0.0.1:<port>
    wrong = [page.rsplit(":", 1)[0] + ":1", page.replace("http://", "https://")]

    ws = await session_socket(server, alice, page)
    assert json.loads(await ws.recv()) == {"type": "ready", "user_id": alice.id}
    await ws.close()
    for origin in wrong:
        with pytest.raises(InvalidStatus) as refused:
            await session_socket(server, alice, origin)
        assert refused.value.response.status_code == 403


async def test_the_socket_over_the_cap_closes_with_its_code_and_the_next_gets_in(
    server, settings, alice
):
    settings.WS_MAX_SOCKETS_PER_USER = 2
    await database_sync_to_async(cache.delete)(sockets.count_key(alice.id))
    held = [await open_socket(server, alice) for _ in range(2)]

    over = await connect(
        server.url, additional_headers=[("Authorization", f"Token {await token_for(alice)}")]
    )
    with pytest.raises(ConnectionClosedError) as closed:
        await asyncio.wait_for(over.recv(), 10)
    await held.pop().close()
    for _ in range(200):  # the server gives the place back once it has seen the close
        if await database_sync_to_async(cache.get)(sockets.count_key(alice.id)) == 1:
            break
        await asyncio.sleep(0.02)
    again = await open_socket(server, alice)

    assert closed.value.rcvd.code == CLOSE_TOO_MANY_SOCKETS
    assert closed.value.rcvd.reason == "too many sockets"
    for ws in [*held, again]:
        await ws.close()
