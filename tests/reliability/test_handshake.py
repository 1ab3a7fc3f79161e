"""Who may open a socket: the Origin of a session handshake, and the cap on a user's sockets.

The same rules against a real server (uvicorn, real Host headers, the close code on the wire)
are in tests/test_websocket_protocol.py.
"""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.test import Client

from tests.chats.conftest import connect, token_socket
from tests.conftest import needs_redis
from whatsapp import sockets
from whatsapp.asgi import application
from whatsapp.consumers import CLOSE_TOO_MANY_SOCKETS, AppConsumer

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def session_handshake(user, origin: str, *, host="testserver", scheme="ws", headers=()):
    """Open a session-cookie socket of ``user``; True if it was accepted (then closed)."""
    sent = [(b"cookie", await session_cookie(user)), (b"host", host.encode())]
    sent += [(b"origin", origin.encode())] + [(k.encode(), v.encode()) for k, v in headers]
    communicator = WebsocketCommunicator(application, "/ws/", headers=sent)
    communicator.scope["scheme"] = scheme  # before the application first runs
    connected, _ = await communicator.connect()
    if connected:
        assert (await communicator.receive_json_from())["user_id"] == user.id
        await communicator.disconnect()
    return connected


# --- Origin --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "origin", "accepted"),
    [
        ("testserver", "http://testserver", True),
        ("127.0.0.1:8000", "http://127.0.0.1:8000", True),
        ("[::1]:8000", "http://[::1]:8000", True),
        # The right host name is not enough: scheme and port are part of the origin.
        ("127.0.0.1:8000", "http://127.0.0.1:1", False),
        ("127.0.0.1:8000", "http://127.0.0.1", False),
        ("testserver", "http://testserver:8000", False),
        ("testserver", "https://testserver", False),
        ("127.0.0.1:8000", "https://127.0.0.1:8000", False),
        ("127.0.0.1:8000", "http://localhost:8000", False),
        # A Host outside ALLOWED_HOSTS is no origin of ours (DNS rebinding).
        ("evil.example", "http://evil.example", False),
    ],
)
async def test_a_session_handshake_must_come_from_the_servers_own_origin(
    alice, host, origin, accepted
):
    assert await session_handshake(alice, origin, host=host) is accepted


async def test_a_secure_socket_wants_an_https_origin(alice):
    assert await session_handshake(alice, "https://testserver", scheme="wss")
    assert not await session_handshake(alice, "http://testserver", scheme="wss")


async def test_x_forwarded_proto_counts_only_when_the_settings_trust_it(settings, alice):
    proxied = {"headers": [("x-forwarded-proto", "https")]}

    settings.SECURE_PROXY_SSL_HEADER = None
    ignored = await session_handshake(alice, "https://testserver", **proxied)
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    believed = await session_handshake(alice, "https://testserver", **proxied)
    plain_refused = await session_handshake(alice, "http://testserver", **proxied)

    assert (ignored, believed, plain_refused) == (False, True, False)


@pytest.mark.parametrize(
    ("origin", "accepted"),
    [
        ("https://chat.example.com", True),
        ("https://chat.example.com:8443", False),
        ("http://chat.example.com", False),
        ("https://web.example.org", True),
        ("https://a.web.example.org", True),
        ("http://a.web.example.org", False),
        ("https://web.example.org.evil.example", False),
    ],
)
async def test_csrf_trusted_origins_are_allowed_as_django_allows_them(
    settings, alice, origin, accepted
):
    # A proxy that does not pass the public Host: the origins are configured instead.
    settings.CSRF_TRUSTED_ORIGINS = ["https://chat.example.com", "https://*.web.example.org"]

    assert await session_handshake(alice, origin, host="127.0.0.1:8000") is accepted


async def test_a_token_handshake_needs_no_origin(alice):
    socket = await connect(alice)

    await socket.disconnect()


# --- sockets per user ----------------------------------------------------------------------


async def open_or_refused(user):
    """A connected, settled socket of ``user``, or None if it was refused for too many."""
    communicator = await token_socket(user)
    connected, _ = await communicator.connect()
    assert connected
    first = await communicator.receive_output(timeout=2)
    if first["type"] == "websocket.close":
        assert first["code"] == CLOSE_TOO_MANY_SOCKETS
        return None
    assert first["type"] == "websocket.send" and '"ready"' in first["text"]
    await communicator.send_json_to({"type": "test.settle"})
    while (await communicator.receive_json_from()).get("code") != "unknown_type":
        pass
    return communicator


async def test_the_socket_over_the_cap_is_closed_and_a_freed_slot_lets_the_next_in(
    settings, private_cache, alice, bob
):
    settings.WS_MAX_SOCKETS_PER_USER = 3
    open_sockets = [await open_or_refused(alice) for _ in range(3)]

    over = await open_or_refused(alice)
    bobs = await open_or_refused(bob)
    await open_sockets.pop().disconnect()
    again = await open_or_refused(alice)

    assert all(open_sockets) and over is None
    assert bobs is not None  # the cap is per user
    assert again is not None
    for socket in [*open_sockets, again, bobs]:
        await socket.disconnect()


async def test_refused_sockets_do_not_count(settings, private_cache, alice):
    settings.WS_MAX_SOCKETS_PER_USER = 1
    first = await open_or_refused(alice)

    refusals = [await open_or_refused(alice) for _ in range(5)]
    await first.disconnect()
    second = await open_or_refused(alice)

    assert refusals == [None] * 5 and second is not None
    await second.disconnect()


async def test_a_burst_of_handshakes_cannot_slip_past_the_cap(settings, private_cache, alice):
    settings.WS_MAX_SOCKETS_PER_USER = 4

    opened = await asyncio.gather(*[open_or_refused(alice) for _ in range(12)])

    accepted = [socket for socket in opened if socket is not None]
    assert len(accepted) == 4
    for socket in accepted:
        await socket.disconnect()


async def test_an_abnormal_close_frees_the_slot(settings, private_cache, alice):
    settings.WS_MAX_SOCKETS_PER_USER = 1
    first = await open_or_refused(alice)

    await first.disconnect(code=1006)  # the connection dropped, no close handshake
    second = await open_or_refused(alice)

    assert second is not None
    await second.disconnect()


async def test_a_consumer_that_fails_after_its_claim_gives_the_place_back(
    settings, private_cache, monkeypatch, alice
):
    # No disconnect runs for a consumer an error ended: the place must not stay counted.
    settings.WS_MAX_SOCKETS_PER_USER = 1
    join = AppConsumer.join

    async def broken_join(self, group):
        raise RuntimeError("a bug")

    monkeypatch.setattr(AppConsumer, "join", broken_join)
    crashed = await token_socket(alice)
    with pytest.raises(RuntimeError):
        await crashed.connect()
    monkeypatch.setattr(AppConsumer, "join", join)

    count = await database_sync_to_async(cache.get)(sockets.count_key(alice.id))
    socket = await open_or_refused(alice)

    assert count == 0 and socket is not None
    await socket.disconnect()


async def test_the_count_of_a_dead_server_process_expires(
    settings, private_cache, monkeypatch, alice
):
    # A process that died holding the user's sockets never released them: nobody refreshes
    # its count any more, so it lapses and the user gets back in.
    monkeypatch.setattr(sockets, "TTL_SECONDS", 1)
    settings.WS_MAX_SOCKETS_PER_USER = 2
    for _ in range(2):
        assert await database_sync_to_async(sockets.claim)(alice.id)

    locked_out = await open_or_refused(alice)
    await asyncio.sleep(1.2)
    back = await open_or_refused(alice)

    assert locked_out is None and back is not None
    await back.disconnect()


async def test_open_sockets_stay_counted_past_the_expiry(
    settings, private_cache, monkeypatch, alice
):
    # The process holding them refreshes the count (one heartbeat per process).
    monkeypatch.setattr(sockets, "TTL_SECONDS", 1)
    monkeypatch.setattr(sockets, "HEARTBEAT_SECONDS", 0.2)
    settings.WS_MAX_SOCKETS_PER_USER = 2
    held = [await open_or_refused(alice) for _ in range(2)]

    await asyncio.sleep(1.5)
    over = await open_or_refused(alice)

    assert over is None
    for socket in held:
        await socket.disconnect()
    assert await database_sync_to_async(cache.get)(sockets.count_key(alice.id)) == 0


@needs_redis
async def test_the_cap_counts_the_sockets_of_every_server_process_in_redis(settings, alice):
    # The project cache is Redis here (REDIS_URL), shared by every server process.
    settings.WS_MAX_SOCKETS_PER_USER = 2
    await database_sync_to_async(cache.delete)(sockets.count_key(alice.id))
    held = await open_or_refused(alice)
    assert await database_sync_to_async(sockets.claim)(alice.id)  # one on another process

    over = await open_or_refused(alice)
    await held.disconnect()

    assert over is None
    assert await database_sync_to_async(cache.get)(sockets.count_key(alice.id)) == 1
    await database_sync_to_async(cache.delete)(sockets.count_key(alice.id))
