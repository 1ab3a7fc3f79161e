"""Profiles, contacts and blocks have their shapes' keys, in order; one writer hides what a
stranger or a blocker may not show, and each serializer renders exactly what its writer
writes."""

import pytest

from accounts import services
from accounts.models import User
from accounts.serializers import (
    BlockJSON,
    BlockSerializer,
    ContactJSON,
    ContactSerializer,
    ProfileJSON,
    ProfileSerializer,
    PublicProfileJSON,
    PublicProfileSerializer,
    block_json,
    contact_json,
    profile_json,
    public_profile_json,
)
from tests.shapes import assert_has_shape, same_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_of_alice(rf, alice):
    request = rf.get("/api/v1/users/")
    request.user = alice
    return request


def _rendered(users: list[User], request) -> list[PublicProfileJSON]:
    rendered = PublicProfileSerializer(users, many=True, context={"request": request}).data
    for profile in rendered:
        assert_has_shape(profile, PublicProfileJSON)
    return rendered


def test_my_own_profile_renders_what_its_writer_writes(alice, request_of_alice):
    rendered = ProfileSerializer(alice, context={"request": request_of_alice}).data

    assert_has_shape(rendered, ProfileJSON)
    assert same_json(rendered, profile_json(alice, request_of_alice))
    assert rendered["phone_number"] == alice.phone_number


def test_a_profile_renders_what_its_writer_writes(alice, bob, request_of_alice):
    User.objects.filter(id=bob.id).update(profile_picture=f"profile_pictures/{bob.id}-1.jpg")
    bob.refresh_from_db()

    [rendered] = _rendered([bob], request_of_alice)

    written = public_profile_json(bob, request_of_alice, has_blocked_viewer=lambda user: False)
    assert same_json(rendered, written)
    assert rendered["phone_number"] == bob.phone_number
    assert rendered["profile_picture"].startswith("http://testserver/")


def test_a_user_who_blocked_the_viewer_shows_no_status(alice, bob, request_of_alice):
    User.objects.filter(id=bob.id).update(status="Busy")
    bob.refresh_from_db()
    services.block_user(bob, blocked=alice)

    [rendered] = _rendered([bob], request_of_alice)

    assert rendered["status"] is None
    assert rendered["phone_number"] == bob.phone_number


def test_a_stranger_shows_only_id_name_and_dates(alice, mallory, request_of_alice):
    mallory.is_stranger = True

    [rendered] = _rendered([mallory], request_of_alice)

    shown = {key for key, value in rendered.items() if value is not None}
    assert shown == {"user_id", "name", "created_at", "updated_at"}


def test_who_blocked_the_viewer_is_read_once_per_response(
    alice, bob, carol, mallory, request_of_alice, django_assert_num_queries
):
    with django_assert_num_queries(1):
        _rendered([bob, carol, mallory], request_of_alice)


def test_contacts_and_blocks_have_their_shapes(alice, bob, carol, request_of_alice):
    contact = services.add_contact(alice, contact_user=bob)
    block = services.block_user(alice, blocked=carol)
    context = {"request": request_of_alice}

    rendered_contact = ContactSerializer(contact, context=context).data
    rendered_block = BlockSerializer(block, context=context).data

    assert_has_shape(rendered_contact, ContactJSON)
    assert_has_shape(rendered_block, BlockJSON)
    assert same_json(
        rendered_contact,
        contact_json(contact, request_of_alice, has_blocked_viewer=lambda user: False),
    )
    assert same_json(
        rendered_block, block_json(block, request_of_alice, has_blocked_viewer=lambda user: False)
    )
    assert (rendered_contact["contact_user"]["user_id"], rendered_contact["is_blocked"]) == (
        bob.id,
        False,
    )
    assert (rendered_block["user_id"], rendered_block["user"]["name"]) == (carol.id, "Carol")
