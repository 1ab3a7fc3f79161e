"""What whatsapp/compat/ touches of each library's private attributes is still there.

An upgrade past a range pinned in pyproject.toml may move it: each failure names the module to
update.
"""

import inspect
import sys
from importlib.metadata import version

import pytest


def moved(library: str, what: str, module: str) -> str:
    return f"{library} {version(library)} moved `{what}`: update whatsapp/compat/{module}.py"


def has_method(owner, name: str, params: list[str]) -> bool:
    """``owner.name`` is a function whose parameters (after ``self``) begin with ``params``."""
    fn = inspect.getattr_static(owner, name, None)
    if not callable(fn):
        return False
    names = list(inspect.signature(fn).parameters)[1:]
    return names[: len(params)] == params


# --- asgiref ---------------------------------------------------------------------------------


def test_asgiref_sync_to_async_threadlocal():
    from asgiref.sync import SyncToAsync

    assert hasattr(SyncToAsync, "threadlocal"), moved(
        "asgiref", "SyncToAsync.threadlocal", "asgiref"
    )
    source = inspect.getsource(SyncToAsync)
    assert "threadlocal.main_event_loop" in source, moved(
        "asgiref", "SyncToAsync.threadlocal.main_event_loop", "asgiref"
    )


async def test_asgiref_serving_loop_seen_from_a_sync_to_async_thread():
    import asyncio

    from asgiref.sync import sync_to_async

    from whatsapp.compat.asgiref import serving_loop

    assert await sync_to_async(serving_loop)() is asyncio.get_running_loop(), moved(
        "asgiref", "SyncToAsync.threadlocal.main_event_loop", "asgiref"
    )


# --- Django ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_django_queryset_internals():
    from chats.models import Multimedia

    queryset = Multimedia.objects.none()
    for name in ("_iterable_class", "_result_cache", "_prefetch_done"):
        assert hasattr(queryset, name), moved("django", f"QuerySet.{name}", "django")
    source = inspect.getsource(type(queryset))
    assert "self._iterable_class(self)" in source, moved(
        "django", "QuerySet._iterable_class", "django"
    )


def test_django_related_manager_reads_prefetched_objects_cache():
    from django.db.models.fields import related_descriptors

    source = inspect.getsource(related_descriptors.create_reverse_many_to_one_manager)
    assert "_prefetched_objects_cache" in source, moved(
        "django", "Model._prefetched_objects_cache", "django"
    )


def test_django_redis_cache_client():
    from django.core.cache.backends.redis import RedisCache, RedisCacheClient

    cached = inspect.getattr_static(RedisCache, "_cache", None)
    assert cached is not None and hasattr(cached, "func"), moved(
        "django", "RedisCache._cache (a cached_property)", "django"
    )
    cache = RedisCache("redis://127.0.0.1:6379/6", {})
    for name in ("_servers", "_options", "_class"):
        assert hasattr(cache, name), moved("django", f"RedisCache.{name}", "django")
    assert cache._class is RedisCacheClient, moved("django", "RedisCache._class", "django")
    assert has_method(RedisCacheClient, "get_client", ["key", "write"]), moved(
        "django", "RedisCacheClient.get_client(key, *, write)", "django"
    )


# --- channels_redis --------------------------------------------------------------------------


def test_channels_redis_wrap_close():
    from channels_redis import utils

    wrap_close = getattr(utils, "_wrap_close", None)
    assert callable(wrap_close), moved("channels_redis", "utils._wrap_close", "channels_redis")
    assert list(inspect.signature(wrap_close).parameters) == ["proxy", "loop"], moved(
        "channels_redis", "utils._wrap_close(proxy, loop)", "channels_redis"
    )


def test_channels_redis_pubsub_layer_internals():
    from channels_redis.pubsub import RedisPubSubChannelLayer

    assert has_method(RedisPubSubChannelLayer, "_get_layer", []), moved(
        "channels_redis", "RedisPubSubChannelLayer._get_layer", "channels_redis"
    )
    layer = RedisPubSubChannelLayer(hosts=["redis://127.0.0.1:6379/6"])
    for name in ("_layers", "_args", "_kwargs"):
        assert name in vars(layer), moved(
            "channels_redis", f"RedisPubSubChannelLayer.{name}", "channels_redis"
        )


def test_channels_redis_loop_layer_internals():
    from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer

    for name, params in (
        ("_get_shard", ["channel_or_group_name"]),
        ("_get_group_channel_name", ["group"]),
        ("_subscribe_to_channel", ["channel"]),
    ):
        assert has_method(RedisPubSubLoopLayer, name, params), moved(
            "channels_redis", f"RedisPubSubLoopLayer.{name}", "channels_redis"
        )
    loop_layer = RedisPubSubLoopLayer(
        hosts=["redis://127.0.0.1:6379/6"],
        channel_layer=RedisPubSubChannelLayer(hosts=["redis://127.0.0.1:6379/6"]),
    )
    assert "_shards" in vars(loop_layer), moved(
        "channels_redis", "RedisPubSubLoopLayer._shards", "channels_redis"
    )
    assert hasattr(loop_layer._shards[0], "host"), moved(
        "channels_redis", "RedisSingleShardConnection.host", "channels_redis"
    )


def test_channels_redis_shard_internals():
    from channels_redis.pubsub import RedisPubSubChannelLayer, RedisSingleShardConnection

    for name, params in (
        ("_do_receiving", []),
        ("_receive_message", ["message"]),
        ("_ensure_redis", []),
    ):
        assert has_method(RedisSingleShardConnection, name, params), moved(
            "channels_redis", f"RedisSingleShardConnection.{name}", "channels_redis"
        )
    assert "self._receive_message(" in inspect.getsource(
        RedisSingleShardConnection._do_receiving
    ), moved("channels_redis", "RedisSingleShardConnection._do_receiving", "channels_redis")
    shard = RedisSingleShardConnection(
        {"address": "redis://127.0.0.1:6379/6"},
        RedisPubSubChannelLayer(hosts=["redis://127.0.0.1:6379/6"]),
    )
    shard._ensure_redis()  # builds the client and its pubsub; connects on first command
    for name in ("_subscribed_to", "_lock", "_redis", "_pubsub"):
        assert hasattr(shard, name), moved(
            "channels_redis", f"RedisSingleShardConnection.{name}", "channels_redis"
        )
    assert isinstance(shard._subscribed_to, set), moved(
        "channels_redis", "RedisSingleShardConnection._subscribed_to (a set)", "channels_redis"
    )


# --- uvicorn ---------------------------------------------------------------------------------


def test_uvicorn_sansio_protocol():
    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import (
            WebSocketsSansIOProtocol as Protocol,
        )
    except ImportError:
        pytest.fail(moved("uvicorn", "websockets_sansio_impl.WebSocketsSansIOProtocol", "uvicorn"))
    assert has_method(Protocol, "send", ["message"]), moved(
        "uvicorn", "WebSocketsSansIOProtocol.send(message)", "uvicorn"
    )
    assert has_method(Protocol, "receive", []), moved(
        "uvicorn", "WebSocketsSansIOProtocol.receive", "uvicorn"
    )
    # The module's source, as whatsapp.compat.uvicorn may have wrapped the class's methods.
    source = inspect.getsource(sys.modules[Protocol.__module__])
    for needle in (
        "self.queue: asyncio.Queue",
        "self.read_paused = True",
        "self.handshake_complete",
        "self.request",
        "self.response",
        "self.transport.resume_reading()",
        "message = await self.queue.get()",
        "self.read_paused and self.queue.empty()",
    ):
        assert needle in source, moved("uvicorn", f"WebSocketsSansIOProtocol: {needle}", "uvicorn")
