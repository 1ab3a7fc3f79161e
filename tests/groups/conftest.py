"""Groups built through the services: alice (admin) with bob and carol, and helpers."""

import pytest

from accounts import services as account_services
from groups import services
from tests.conftest import token_client


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Users are created per test; the production hasher would dominate the run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def pushes(monkeypatch):
    """Every frame that left through whatsapp.realtime after commit: (group, frame, exclude)."""
    sent: list[tuple[str, dict, str | None]] = []
    monkeypatch.setattr(
        "whatsapp.realtime._send",
        lambda group, frame, exclude: sent.append((group, frame, exclude)),
    )
    return sent


def frames_of(pushes, kind: str) -> list[tuple[str, dict]]:
    return [(group, frame) for group, frame, _ in pushes if frame["type"] == kind]


def befriend(user, *others):
    """Make ``others`` contacts of ``user`` (one direction, as adding a contact is)."""
    for other in others:
        account_services.add_contact(user, contact_user=other)


@pytest.fixture
def alice_contacts(alice, bob, carol):
    befriend(alice, bob, carol)
    return [bob, carol]


@pytest.fixture
def group(alice, bob, carol, alice_contacts):
    """ "Trip": alice is the admin; bob and carol are members."""
    return services.create_group(alice, name="Trip", members=[bob, carol])


@pytest.fixture
def clients(alice, bob, ex_member, mallory):
    """Token clients of the permission matrices, by role: the admin (alice), a member (bob),
    the test module's ``ex_member`` and a stranger (mallory)."""
    return {
        "admin": token_client(alice),
        "member": token_client(bob),
        "ex_member": token_client(ex_member),
        "stranger": token_client(mallory),
    }


@pytest.fixture
def make_member(make_user):
    """Fresh users with numbers clear of the shared fixtures' (+1415555xxxx)."""
    counter = iter(range(1000, 10_000))

    def make(name: str | None = None):
        number = next(counter)
        return make_user(name or f"Member {number}", f"+1415556{number:04d}")

    return make


@pytest.fixture
def make_group(alice, make_member):
    """A group of alice plus ``size - 1`` fresh members (all alice's contacts)."""

    def make(size: int, name: str = "Big"):
        members = [make_member() for _ in range(size - 1)]
        befriend(alice, *members)
        return services.create_group(alice, name=name, members=members), members

    return make


@pytest.fixture
def staff(make_user):
    user = make_user("Moderator", "+14155550900")
    user.is_staff = True
    user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user
