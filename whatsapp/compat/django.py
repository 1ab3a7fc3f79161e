"""Django internals (pinned in pyproject.toml; checked by tests/test_compat.py).

``Model._meta`` and ``Model._state`` are documented API and are used freely elsewhere.
"""

import threading
from collections.abc import Iterable

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.db.models import Model, QuerySet
from django.utils.functional import cached_property


def with_iterable_class(queryset: QuerySet, iterable_class: type) -> QuerySet:
    """A copy of ``queryset`` that yields its rows through ``iterable_class`` (a
    ``ModelIterable`` subclass): sets ``QuerySet._iterable_class``, which ``values()`` and
    friends set, and which clones (slices, ``first()``, filters) carry over."""
    clone = queryset.all()
    clone._iterable_class = iterable_class
    return clone


def mark_prefetched(items: Iterable[Model], name: str, empty: QuerySet, objs: list) -> None:
    """Record ``objs`` on each of ``items`` as ``prefetch_related(name)`` would.

    ``empty`` (``Related.objects.none()``) becomes the shared result: its ``_result_cache`` and
    ``_prefetch_done`` are set, and it goes in each item's ``_prefetched_objects_cache``, where
    the related manager's ``all()`` looks first.
    """
    empty._result_cache, empty._prefetch_done = objs, True
    for item in items:
        cache = item.__dict__.get("_prefetched_objects_cache")
        if cache is None:
            item._prefetched_objects_cache = {name: empty}
        else:
            cache[name] = empty


class SharedClientRedisCache(DjangoRedisCache):
    """Django's Redis cache whose cache objects in one process share one client (and so its
    thread-safe connection pool) per configuration: see whatsapp.cache for why.

    Overrides ``RedisCache._cache``, the ``cached_property`` holding its ``RedisCacheClient``,
    which it builds from ``_class(_servers, **_options)``.
    """

    @cached_property
    def _cache(self):
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        client = _clients.get(key)
        if client is None:
            with _lock:
                client = _clients.get(key)
                if client is None:
                    client = _clients[key] = self._class(self._servers, **self._options)
        return client

    def redis_client(self, key: str, *, write: bool):
        """The redis-py client serving ``key`` (``RedisCacheClient.get_client``)."""
        return self._cache.get_client(key, write=write)


_clients: dict[tuple, object] = {}
_lock = threading.Lock()
