"""Fixtures shared by every app's tests: users built through the accounts services."""

import gc
import os
from pathlib import Path

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

# Loading the ASGI application runs django.setup(), whose logging configuration replaces the
# root logger's handlers: loaded by the first test that opens a socket, it took with them the
# handlers through which that test's caplog sees the log. Loaded here, before any test runs.
import whatsapp.asgi  # noqa: F401
from accounts import services as account_services
from tests.servers import REDIS_SERVER, OwnRedis

PASSWORD = "correct-horse-battery-staple"

# For tests of what only CI's PostgreSQL + Redis pass has (DATABASE_URL, REDIS_URL).
needs_postgresql = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL"
)
needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs a Redis server (REDIS_URL)"
)


@pytest.fixture(scope="session", autouse=True)
def _database_threads_end_first(django_db_setup):
    """The sockets' database threads (whatsapp.db) keep a connection each: they end before the
    test database is dropped, which PostgreSQL refuses while a session is open."""
    yield
    from whatsapp import db

    if db._executor is not None:
        db._executor.shutdown(wait=True)
        db._executor = None
        gc.collect()  # each thread's connection closes with its (thread-local) wrapper


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hasher(request, settings):
    """Hashing is not under test; PBKDF2 would make each user cost a quarter second.

    Browser tests keep the real hasher: their live server must verify the stored hashes.
    """
    if request.node.get_closest_marker("browser") is None:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _generous_send_rate(settings):
    """Send-rate counters live in the cache across tests (and reused user ids would share
    them): limits are off unless a test sets them (tests/reliability/test_rate_limits.py)."""
    settings.MESSAGE_SEND_RATE = "100000/1"
    settings.WS_FRAME_RATE = "100000/1"
    settings.CALL_RATE = "100000/1"
    settings.PHONE_LOOKUP_RATE = "100000/1"
    settings.EXPORT_RATE = "100000/1"
    settings.WS_MAX_SOCKETS_PER_USER = 100_000


@pytest.fixture(autouse=True)
def _socket_server_address(monkeypatch):
    """Channels' WebsocketCommunicator leaves out the scope's ``server``, which ASGI servers
    always set: test sockets reach ``testserver:80``, as the Django test client's requests do,
    so a session socket from ``Origin: http://testserver`` comes from the server's own origin
    (whatsapp.ws_auth)."""
    init = WebsocketCommunicator.__init__

    def with_server(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.scope.setdefault("server", ("testserver", 80))

    monkeypatch.setattr(WebsocketCommunicator, "__init__", with_server)


@pytest.fixture(autouse=True)
def _in_memory_channel_layer(settings):
    """Unit tests run on the in-memory layer; live-server tests choose their own."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def make_user(db):
    counter = iter(range(1000, 10_000))

    def make(name: str | None = None, phone_number: str | None = None):
        number = phone_number or f"+1415555{next(counter):04d}"
        return account_services.register_user(
            phone_number=number, name=name or f"User {number[-4:]}", password=PASSWORD
        )

    return make


@pytest.fixture
def alice(make_user):
    return make_user("Alice", "+14155550101")


@pytest.fixture
def bob(make_user):
    return make_user("Bob", "+14155550102")


@pytest.fixture
def carol(make_user):
    return make_user("Carol", "+14155550103")


@pytest.fixture
def mallory(make_user):
    """A stranger: no contact, no shared group with anyone."""
    return make_user("Mallory", "+14155550199")


def token_client(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def alice_api(alice):
    return token_client(alice)


@pytest.fixture
def bob_api(bob):
    return token_client(bob)


@pytest.fixture
def carol_api(carol):
    return token_client(carol)


@pytest.fixture
def mallory_api(mallory):
    return token_client(mallory)


def stored_files() -> list[Path]:
    """Every file under MEDIA_ROOT, sorted: what an upload left behind."""
    media_root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in media_root.rglob("*") if p.is_file()) if media_root.exists() else []


@pytest.fixture
def superuser_client(make_user) -> Client:
    """A browser session of a superuser, for the admin pages."""
    user = make_user("Moderator", "+14155559000")
    user.is_staff = user.is_superuser = True
    user.save()
    client = Client()
    assert client.login(phone_number=user.phone_number, password=PASSWORD)
    return client


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of the test's own, which it may kill and restart (tests.servers)."""
    if not os.path.exists(REDIS_SERVER):
        pytest.skip("needs the redis-server binary")
    redis = OwnRedis(tmp_path)
    redis.start()
    yield redis
    redis.kill()


@pytest.fixture
def private_cache(settings):
    """A cache of this test's own: rate counters and presence start from nothing.

    (With ``REDIS_URL`` the project cache is the shared Redis: not ours to clear.)
    """
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "private-test-cache",
        }
    }
    cache.clear()
    yield cache
    cache.clear()
