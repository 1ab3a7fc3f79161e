"""Fixtures of the reliability and security tests."""

import pytest

from accounts import services as account_services


def befriend(a, b):
    account_services.add_contact(a, contact_user=b)
    account_services.add_contact(b, contact_user=a)


@pytest.fixture
def friends(alice, bob):
    befriend(alice, bob)
    return alice, bob
