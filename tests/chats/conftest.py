"""Fixtures of the chat tests: befriended users, captured pushes, and socket clients."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from rest_framework.authtoken.models import Token

from accounts import services as account_services
from whatsapp import realtime
from whatsapp.asgi import application


@pytest.fixture(autouse=True)
def _fresh_presence(settings):
    """Presence counts live in the cache: a private one per test, so nobody starts online.

    (With ``REDIS_URL`` set the project cache is Redis, shared with live servers: not ours
    to clear.)
    """
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "chats-tests",
        }
    }
    cache.clear()
    yield
    cache.clear()


def befriend(a, b):
    account_services.add_contact(a, contact_user=b)
    account_services.add_contact(b, contact_user=a)


@pytest.fixture
def friends(alice, bob):
    """Alice and Bob have each other as contacts."""
    befriend(alice, bob)
    return alice, bob


class Pushes(list):
    """Frames published through whatsapp.realtime: (group, frame, exclude_channel) tuples."""

    def frames(self, type_=None, user=None):
        return [
            frame
            for group, frame, _ in self
            if (type_ is None or frame["type"] == type_)
            and (user is None or group == realtime.user_group(user.id))
        ]

    def groups(self, type_):
        return [group for group, frame, _ in self if frame["type"] == type_]


@pytest.fixture
def pushes(monkeypatch):
    captured = Pushes()
    monkeypatch.setattr(
        realtime, "_send", lambda group, frame, exclude: captured.append((group, frame, exclude))
    )
    return captured


@database_sync_to_async
def token_for(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


async def token_socket(user) -> WebsocketCommunicator:
    """A socket of ``user`` authenticated by token, not yet connected."""
    key = await token_for(user)
    return WebsocketCommunicator(
        application, "/ws/", headers=[(b"authorization", f"Token {key}".encode())]
    )


async def connect(user, *, expect_ready=True):
    """A token-authenticated socket of ``user`` whose connect-time work is finished.

    After ``ready`` the server still runs its connect hooks (presence, pushing what arrived
    while offline). A round trip with a frame of unknown type waits for them; the frames they
    sent wait in ``communicator.backlog``, which :func:`receive_until` and :func:`drain` read first.
    """
    communicator = await token_socket(user)
    connected, _ = await communicator.connect()
    assert connected
    communicator.backlog = []
    if expect_ready:
        ready = await communicator.receive_json_from()
        assert ready == {"type": "ready", "user_id": user.id}
        await communicator.send_json_to({"type": "test.settle"})
        while True:
            frame = await communicator.receive_json_from()
            if frame["type"] == "error" and frame["code"] == "unknown_type":
                break
            communicator.backlog.append(frame)
    return communicator


async def receive_until(communicator, type_, *, timeout=2):
    """The next frame of ``type_``, skipping others (e.g. presence)."""
    backlog = getattr(communicator, "backlog", [])
    while backlog:
        frame = backlog.pop(0)
        if frame["type"] == type_:
            return frame
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        if frame["type"] == type_:
            return frame


async def drain(communicator, *, timeout=0.2):
    """Every frame that arrives within ``timeout`` (for asserting what did not arrive)."""
    frames = list(getattr(communicator, "backlog", []))
    communicator.backlog = []
    # receive_nothing() waits without cancelling the application (a timed-out receive would).
    while not await communicator.receive_nothing(timeout=timeout):
        frames.append(await communicator.receive_json_from())
    return frames
