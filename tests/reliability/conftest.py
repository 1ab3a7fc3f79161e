"""Fixtures of the reliability and security tests."""

import pytest
from django.core.cache import cache

from accounts import services as account_services


@pytest.fixture
def private_cache(settings):
    """A cache of this test's own: rate counters and presence start from nothing.

    (With ``REDIS_URL`` the project cache is the shared Redis: not ours to clear.)
    """
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "reliability-tests",
        }
    }
    cache.clear()
    yield cache
    cache.clear()


def befriend(a, b):
    account_services.add_contact(a, contact_user=b)
    account_services.add_contact(b, contact_user=a)


@pytest.fixture
def friends(alice, bob):
    befriend(alice, bob)
    return alice, bob
