"""Fixtures for stories: users related to Alice in each way the privacy rule distinguishes."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts import services as account_services
from stories import services


def befriend(a, b):
    """Each has the other as a contact (WhatsApp's "my contacts" needs both directions)."""
    account_services.add_contact(a, contact_user=b)
    account_services.add_contact(b, contact_user=a)


@pytest.fixture
def friends(alice, bob):
    """Alice and Bob have each other as contacts."""
    befriend(alice, bob)
    return alice, bob


@pytest.fixture
def one_way(alice, carol):
    """Alice has Carol as a contact, Carol does not have Alice."""
    account_services.add_contact(alice, contact_user=carol)
    return carol


@pytest.fixture
def blocked_friend(alice, make_user):
    """Dave and Alice are mutual contacts, but Dave blocked Alice."""
    dave = make_user("Dave", "+14155552100")
    befriend(alice, dave)
    account_services.block_user(dave, blocked=alice)
    return dave


@pytest.fixture
def suspend(make_user):
    """``suspend(user)``: staff suspends the account, as moderation does."""
    staff = make_user("Staff", "+14155559001")
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])

    def deactivate(user):
        return account_services.deactivate_user(staff, user=user)

    return deactivate


@pytest.fixture
def photo_upload():
    buffer = io.BytesIO()
    Image.new("RGB", (1080, 1920), "green").save(buffer, "JPEG")
    return SimpleUploadedFile("sunset.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def text_story(alice):
    return services.post_story(
        alice, content="Hello from the mountains", background_color="#ff0000"
    )
