"""Moderation fixtures: befriended users, a group, content to report, staff and moderators."""

import io

import pytest
from django.contrib.auth.models import Group as AuthGroup
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from accounts import services as account_services
from chats import services as chat_services
from groups import services as group_services
from stories import services as story_services
from whatsapp import realtime


def add_contact(user, other):
    if not user.contacts.filter(contact_user=other).exists():
        account_services.add_contact(user, contact_user=other)


def befriend(a, b):
    add_contact(a, b)
    add_contact(b, a)


def known_to(user, other):
    """``other``, as a contact of ``user``: one reports only users one knows, as one sees only
    their profiles (accounts.selectors.known_to)."""
    add_contact(user, other)
    return other


def png_upload(name="photo.png", size=(64, 48), colour=(200, 30, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def friends(alice, bob):
    """Alice and Bob have each other as contacts (so they see each other's stories)."""
    befriend(alice, bob)
    return alice, bob


@pytest.fixture
def message(friends):
    """Bob's message to Alice, with a photo."""
    alice, bob = friends
    return chat_services.send_message(
        bob, receiver=alice, content="buy cheap watches", files=[png_upload()]
    )


@pytest.fixture
def group(alice, bob, carol):
    """ "Trip": Alice (admin), Bob and Carol."""
    add_contact(alice, bob)
    add_contact(alice, carol)
    return group_services.create_group(alice, name="Trip", members=[bob, carol])


@pytest.fixture
def group_message(group, bob):
    return group_services.send_group_message(bob, group=group, content="you are all idiots")


@pytest.fixture
def story(friends):
    """Bob's photo story, which Alice (a mutual contact) can see."""
    _, bob = friends
    return story_services.post_story(bob, content="look", file=png_upload("story.png"))


@pytest.fixture
def superuser(make_user):
    user = make_user("Root", "+14155550900")
    user.is_staff = True
    user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


@pytest.fixture
def moderator(make_user):
    """Staff without superuser rights, in the "Moderator" group (made by a migration)."""
    user = make_user("Mod", "+14155550901")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(AuthGroup.objects.get(name="Moderator"))
    return user


@pytest.fixture
def moderator_client(moderator):
    client = Client()
    client.force_login(moderator)
    return client


@pytest.fixture
def superuser_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


class Pushes(list):
    """Frames published through whatsapp.realtime: (channel group, frame) pairs."""

    def of(self, type_):
        return [(group, frame) for group, frame in self if frame["type"] == type_]

    def to_user(self, user):
        return [frame for group, frame in self if group == realtime.user_group(user.id)]


@pytest.fixture
def pushes(monkeypatch):
    captured = Pushes()
    monkeypatch.setattr(
        realtime, "_send", lambda group, frame, exclude: captured.append((group, frame))
    )
    return captured
