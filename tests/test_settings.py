"""Deployment settings read from the environment, each checked in a fresh interpreter."""

import asyncio
import json
import logging
import os
import secrets
import subprocess
import sys
import textwrap

import pytest
from django.conf import settings
from django.utils.module_loading import import_string

from tests.conftest import needs_postgresql, needs_redis

# Variables that configure a deployment: none leaks from the test run into these checks.
DEPLOYMENT_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "CHANNEL_LAYER",
    "DJANGO_SECRET_KEY",
    "DJANGO_DEBUG",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_TEST_DB_NAME",
    "DJANGO_MEDIA_ROOT",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_S3_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DJANGO_DB_PREPARE_THRESHOLD",
    "DJANGO_SWITCH_INTERVAL_MS",
)
SECRET_KEY = secrets.token_urlsafe(64)

DUMP_SETTINGS = textwrap.dedent(
    """
    import json

    import django
    from django.conf import settings

    django.setup()
    from channels.layers import get_channel_layer
    from django.core.cache import caches
    from django.core.files.storage import storages

    from channels_redis.core import RedisChannelLayer
    from channels_redis.pubsub import RedisPubSubChannelLayer
    from django.core.cache.backends.redis import RedisCache

    database = settings.DATABASES["default"]
    default_storage = storages["default"]
    storage = type(default_storage)
    layer = type(get_channel_layer())
    print(json.dumps({
        "debug": settings.DEBUG,
        "database": {key: database.get(key) for key in ("ENGINE", "NAME", "USER", "HOST", "PORT")},
        "prepare_threshold": database.get("OPTIONS", {}).get("prepare_threshold"),
        "channel_layer": f"{layer.__module__}.{layer.__qualname__}",
        "channel_layer_hosts": settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("hosts"),
        "channel_layer_is_redis": issubclass(layer, (RedisChannelLayer, RedisPubSubChannelLayer)),
        "cache": settings.CACHES["default"]["BACKEND"],
        "cache_is_redis": isinstance(caches["default"], RedisCache),
        "storage": f"{storage.__module__}.{storage.__qualname__}",
        "bucket": getattr(default_storage, "bucket_name", None),
        "endpoint_url": getattr(default_storage, "endpoint_url", None),
        "media_root": str(settings.MEDIA_ROOT),
    }))
    """
)


def run_python(args: list[str], **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in DEPLOYMENT_VARIABLES}
    environment.update(env, DJANGO_SETTINGS_MODULE="whatsapp.settings")
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_with(**env: str) -> dict:
    result = run_python(["-c", DUMP_SETTINGS], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_defaults_are_sqlite_in_memory_layer_and_local_media():
    dumped = settings_with()

    assert dumped["debug"] is True
    assert dumped["database"]["ENGINE"] == "django.db.backends.sqlite3"
    assert dumped["database"]["NAME"] == str(settings.BASE_DIR / "db.sqlite3")
    assert dumped["channel_layer"] == "channels.layers.InMemoryChannelLayer"
    assert dumped["channel_layer_is_redis"] is False
    assert dumped["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert dumped["cache_is_redis"] is False
    assert dumped["storage"] == "django.core.files.storage.filesystem.FileSystemStorage"


def test_check_deploy_is_clean_without_debug_and_with_a_real_secret_key():
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SECRET_KEY,
        DJANGO_ALLOWED_HOSTS="chat.example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_python(["manage.py", "check"], DJANGO_DEBUG="0")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_database_url_is_honoured():
    dumped = settings_with(DATABASE_URL="postgres://chat:secret@db.internal:6543/messenger")

    assert dumped["database"] == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "messenger",
        "USER": "chat",
        "HOST": "db.internal",
        "PORT": 6543,
    }


def test_postgresql_prepares_repeated_statements_unless_turned_off():
    url = "postgres://chat:secret@db.internal:6543/messenger"

    assert settings_with(DATABASE_URL=url)["prepare_threshold"] == 5
    assert (
        settings_with(DATABASE_URL=url, DJANGO_DB_PREPARE_THRESHOLD="2")["prepare_threshold"] == 2
    )
    off = settings_with(DATABASE_URL=url, DJANGO_DB_PREPARE_THRESHOLD="0")
    assert off["prepare_threshold"] is None


@pytest.mark.django_db
@needs_postgresql
def test_a_statement_run_a_sixth_time_is_prepared_on_its_connection():
    from django.db import connection

    statement = "SELECT %s::int + 1 /* prepared-statement test */"
    with connection.cursor() as cursor:
        for n in range(6):  # run five times as it is, then prepared
            cursor.execute(statement, [n])
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%prepared-statement test%"],
        )
        assert cursor.fetchone() == (1,)


def test_a_server_process_hands_the_gil_over_after_1_ms_unless_configured():
    show = "import sys, whatsapp.asgi; print(sys.getswitchinterval())"

    for env, expected in (({}, 0.001), ({"DJANGO_SWITCH_INTERVAL_MS": "5"}, 0.005)):
        result = run_python(["-c", show], **env)
        assert result.returncode == 0, result.stderr
        assert float(result.stdout.split()[-1]) == pytest.approx(expected)


def test_redis_url_selects_the_redis_channel_layer_and_cache():
    dumped = settings_with(REDIS_URL="redis://cache.internal:6380/2")

    assert dumped["channel_layer_is_redis"] is True
    assert [host["address"] for host in dumped["channel_layer_hosts"]] == [
        "redis://cache.internal:6380/2"
    ]
    assert dumped["cache_is_redis"] is True


@needs_redis
@pytest.mark.parametrize("layer_kind", ["pubsub", "list"])
async def test_redis_layer_receive_survives_an_idle_wait(layer_kind):
    """An idle socket's consumer must not die: redis-py 8 reads time out after 5 s by default."""
    dumped = settings_with(REDIS_URL=os.environ["REDIS_URL"], CHANNEL_LAYER=layer_kind)
    backend = import_string(dumped["channel_layer"])
    layer = backend(hosts=dumped["channel_layer_hosts"], prefix=f"test-idle-{secrets.token_hex(4)}")
    channel = await layer.new_channel()
    receiving = asyncio.create_task(layer.receive(channel))

    await asyncio.sleep(7)
    await layer.send(channel, {"type": "late.ping"})
    message = await asyncio.wait_for(receiving, timeout=20)

    assert message == {"type": "late.ping"}
    if hasattr(layer, "flush"):
        await layer.flush()


def test_bucket_name_selects_s3_storage():
    dumped = settings_with(
        AWS_STORAGE_BUCKET_NAME="chat-media",
        AWS_S3_ENDPOINT_URL="http://127.0.0.1:9000",
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
    )

    assert dumped["storage"] == "storages.backends.s3.S3Storage"
    assert dumped["bucket"] == "chat-media"
    assert dumped["endpoint_url"] == "http://127.0.0.1:9000"


def test_media_root_comes_from_the_environment(tmp_path):
    dumped = settings_with(DJANGO_MEDIA_ROOT=str(tmp_path / "uploads"))

    assert dumped["media_root"] == str(tmp_path / "uploads")


@pytest.mark.parametrize("value", ["0", "false"])
def test_debug_is_off_for_falsy_values(value):
    dumped = settings_with(DJANGO_DEBUG=value, DJANGO_SECRET_KEY=SECRET_KEY)

    assert dumped["debug"] is False


def test_server_log_lines_are_printed_once():
    logger = logging.getLogger("django.channels.server")
    handlers = []
    while logger is not None:
        handlers += [h for h in logger.handlers if type(h) is logging.StreamHandler]  # not pytest's
        logger = logger.parent if logger.propagate else None

    assert len(handlers) == 1
