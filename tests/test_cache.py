"""whatsapp.cache.RedisCache's counters on a real Redis (REDIS_URL)."""

import os
import uuid

import pytest

from tests.conftest import needs_redis
from whatsapp.cache import RedisCache

pytestmark = needs_redis


@pytest.fixture
def cache():
    cache = RedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}"})
    yield cache
    cache.delete_many(["a", "b"])


def ttl(cache, key: str) -> int:
    return cache.redis_client(key, write=False).ttl(cache.make_and_validate_key(key))


def test_counts_each_key_once_per_mention_in_order(cache):
    assert cache.count_many(["a", "b", "a"], timeout=10) == [1, 1, 2]
    assert cache.count_many(["b"], timeout=10) == [2]
    assert cache.count_many([], timeout=10) == []


def test_a_window_counter_keeps_the_expiry_it_was_created_with(cache):
    assert cache.count_many(["a"], timeout=10, refresh=False) == [1]
    assert 0 < ttl(cache, "a") <= 10
    cache.redis_client("a", write=False).expire(cache.make_and_validate_key("a"), 100)

    assert cache.count_many(["a"], timeout=10, refresh=False) == [2]
    assert ttl(cache, "a") > 10


def test_a_refreshed_counter_expires_timeout_seconds_after_its_last_count(cache):
    cache.count_many(["a"], timeout=100)
    cache.count_many(["a"], timeout=10)

    assert 0 < ttl(cache, "a") <= 10
