import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.files.storage import default_storage
from rest_framework.authtoken.models import Token

from accounts import services
from accounts.exceptions import InvalidContact, InvalidCredentials
from accounts.models import Block, Contact, User
from tests.accounts.conftest import image_bytes, upload
from tests.conftest import PASSWORD
from whatsapp.errors import FieldErrors, Forbidden, NotFound, PayloadTooLarge
from whatsapp.realtime import user_group

# --- registration and log-in ------------------------------------------------------------------


def test_register_normalises_the_phone_number(db):
    user = services.register_user(phone_number="415 555 0111", name=" Dora ", password=PASSWORD)

    assert user.phone_number == "+14155550111"
    assert user.name == "Dora"
    assert user.check_password(PASSWORD)


def test_register_refuses_a_number_already_used_in_another_format(alice):
    with pytest.raises(FieldErrors) as info:
        services.register_user(phone_number="(415) 555-0101", name="Copy", password=PASSWORD)

    assert "already exists" in info.value.errors["phone_number"][0]
    assert User.objects.count() == 1


def test_register_refuses_a_malformed_number(db):
    with pytest.raises(FieldErrors) as info:
        services.register_user(phone_number="12", name="Dora", password=PASSWORD)

    assert info.value.errors["phone_number"] == ["Enter a valid phone number."]


def test_register_reports_every_bad_field_at_once(db):
    with pytest.raises(FieldErrors) as info:
        services.register_user(phone_number="nope", name="  ", password="123")

    assert set(info.value.errors) == {"phone_number", "name", "password"}
    assert not User.objects.exists()


def test_authenticate_accepts_the_number_in_any_format(alice):
    user = services.authenticate_user(phone_number="(415) 555-0101", password=PASSWORD)

    assert user == alice


def test_authenticate_refuses_a_wrong_password(alice):
    with pytest.raises(InvalidCredentials):
        services.authenticate_user(phone_number=alice.phone_number, password="wrong-password")


def test_authenticate_refuses_an_unknown_number(db):
    with pytest.raises(InvalidCredentials):
        services.authenticate_user(phone_number="+14155550177", password=PASSWORD)


def test_authenticate_refuses_a_deactivated_user(alice):
    alice.is_active = False
    alice.save()

    with pytest.raises(InvalidCredentials):
        services.authenticate_user(phone_number=alice.phone_number, password=PASSWORD)


def test_authenticate_says_a_malformed_number_is_malformed(db):
    with pytest.raises(FieldErrors) as info:
        services.authenticate_user(phone_number="abc", password=PASSWORD)

    assert "phone_number" in info.value.errors


def test_issue_token_returns_the_same_token_each_time(alice):
    assert services.issue_token(alice).key == services.issue_token(alice).key


# --- profile ------------------------------------------------------------------------------------


def test_update_profile_changes_name_and_status(alice):
    services.update_profile(alice, name=" Alice A. ", status="At work")

    alice.refresh_from_db()
    assert (alice.name, alice.status) == ("Alice A.", "At work")


def test_update_profile_leaves_unspecified_fields_alone(alice):
    services.update_profile(alice, status="Busy")

    alice.refresh_from_db()
    assert alice.name == "Alice"


def test_update_profile_may_clear_the_status(alice):
    services.update_profile(alice, status="")

    alice.refresh_from_db()
    assert alice.status == ""


def test_update_profile_refuses_a_blank_name_and_changes_nothing(alice):
    with pytest.raises(FieldErrors) as info:
        services.update_profile(alice, name="   ", status="Changed")

    assert "name" in info.value.errors
    assert alice.status != "Changed"
    alice.refresh_from_db()
    assert (alice.name, alice.status) == ("Alice", "Hey there! I am using WhatsApp.")


def test_update_profile_refuses_a_status_over_139_characters(alice):
    with pytest.raises(FieldErrors) as info:
        services.update_profile(alice, status="x" * 140)

    assert "status" in info.value.errors


def test_update_profile_stores_a_resized_picture_and_thumbnail(alice):
    services.update_profile(alice, picture=upload(image_bytes(size=(2000, 1000))))

    alice.refresh_from_db()
    assert alice.profile_picture.name.startswith(f"profile_pictures/{alice.id}-")
    assert alice.profile_thumbnail.name.startswith(f"profile_pictures/thumbs/{alice.id}-")
    assert (alice.profile_picture.width, alice.profile_picture.height) == (640, 320)
    assert (alice.profile_thumbnail.width, alice.profile_thumbnail.height) == (96, 48)
    assert default_storage.exists(alice.profile_picture.name)


def test_replacing_the_picture_deletes_the_old_files(alice, django_capture_on_commit_callbacks):
    services.update_profile(alice, picture=upload(image_bytes()))
    old = [alice.profile_picture.name, alice.profile_thumbnail.name]

    with django_capture_on_commit_callbacks(execute=True):
        services.update_profile(alice, picture=upload(image_bytes(color=(0, 0, 255))))

    assert not any(default_storage.exists(name) for name in old)
    assert default_storage.exists(alice.profile_picture.name)


def test_remove_picture_clears_the_fields_and_files(alice, django_capture_on_commit_callbacks):
    services.update_profile(alice, picture=upload(image_bytes()))
    old = alice.profile_picture.name

    with django_capture_on_commit_callbacks(execute=True):
        services.update_profile(alice, remove_picture=True)

    alice.refresh_from_db()
    assert not alice.profile_picture and not alice.profile_thumbnail
    assert not default_storage.exists(old)


def test_a_file_that_is_not_an_image_is_a_picture_error_and_stores_nothing(alice, settings):
    with pytest.raises(FieldErrors) as info:
        services.update_profile(alice, name="New", picture=upload(b"<?php evil(); ?>"))

    assert "profile_picture" in info.value.errors
    alice.refresh_from_db()
    assert alice.name == "Alice" and not alice.profile_picture
    assert not (settings.MEDIA_ROOT / "profile_pictures").exists()


def test_an_oversized_picture_is_payload_too_large(alice, settings):
    settings.MAX_UPLOAD_SIZE = 100

    with pytest.raises(PayloadTooLarge) as info:
        services.update_profile(alice, picture=upload(image_bytes()))

    assert info.value.field == "profile_picture"


# --- contacts -----------------------------------------------------------------------------------


def test_add_contact(alice, bob):
    contact = services.add_contact(alice, contact_user=bob)

    assert (contact.user, contact.contact_user) == (alice, bob)
    assert not Contact.objects.filter(user=bob).exists()


def test_cannot_add_oneself_as_contact(alice):
    with pytest.raises(InvalidContact):
        services.add_contact(alice, contact_user=alice)


def test_cannot_add_a_contact_twice(alice, bob):
    services.add_contact(alice, contact_user=bob)

    with pytest.raises(InvalidContact) as info:
        services.add_contact(alice, contact_user=bob)

    assert "already" in info.value.detail
    assert Contact.objects.count() == 1


def test_cannot_add_a_deactivated_user(alice, bob):
    bob.is_active = False
    bob.save()

    with pytest.raises(InvalidContact):
        services.add_contact(alice, contact_user=bob)


def test_add_contact_by_phone_number_in_any_format(alice, bob):
    contact = services.add_contact_by_phone_number(alice, phone_number="415.555.0102")

    assert contact.contact_user == bob


def test_add_contact_by_unknown_phone_number_is_refused(alice):
    with pytest.raises(InvalidContact) as info:
        services.add_contact_by_phone_number(alice, phone_number="+14155550177")

    assert info.value.field == "phone_number"


def test_add_contact_by_malformed_phone_number_is_a_field_error(alice):
    with pytest.raises(FieldErrors):
        services.add_contact_by_phone_number(alice, phone_number="not a number")


def test_remove_own_contact(alice, bob):
    contact = services.add_contact(alice, contact_user=bob)

    services.remove_contact(alice, contact=contact)

    assert not Contact.objects.exists()


def test_cannot_remove_someone_elses_contact(alice, bob, mallory):
    contact = services.add_contact(alice, contact_user=bob)

    with pytest.raises(NotFound):
        services.remove_contact(mallory, contact=contact)

    assert Contact.objects.filter(id=contact.id).exists()


# --- blocks -------------------------------------------------------------------------------------


def test_block_user_is_idempotent(alice, bob):
    first = services.block_user(alice, blocked=bob)
    second = services.block_user(alice, blocked=bob)

    assert first == second
    assert Block.objects.count() == 1


def test_cannot_block_oneself(alice):
    with pytest.raises(InvalidContact):
        services.block_user(alice, blocked=alice)


def test_unblock_user_lifts_only_my_block(alice, bob):
    services.block_user(alice, blocked=bob)
    services.block_user(bob, blocked=alice)

    services.unblock_user(alice, blocked=bob)

    assert list(Block.objects.values_list("blocker", "blocked")) == [(bob.id, alice.id)]


def test_unblock_without_a_block_is_a_no_op(alice, bob):
    services.unblock_user(alice, blocked=bob)

    assert not Block.objects.exists()


# --- moderation ---------------------------------------------------------------------------------


def test_staff_deactivates_a_user_revokes_token_and_closes_sockets(
    staff, bob, django_capture_on_commit_callbacks
):
    Token.objects.create(user=bob)
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(user_group(bob.id), channel)

    with django_capture_on_commit_callbacks(execute=True):
        services.deactivate_user(staff, user=bob)

    bob.refresh_from_db()
    assert not bob.is_active
    assert not Token.objects.filter(user=bob).exists()
    event = async_to_sync(layer.receive)(channel)
    assert event["frame"]["type"] == "_close"


def test_non_staff_cannot_deactivate(alice, bob):
    with pytest.raises(Forbidden):
        services.deactivate_user(alice, user=bob)

    bob.refresh_from_db()
    assert bob.is_active


def test_staff_cannot_deactivate_themselves(staff):
    with pytest.raises(Forbidden):
        services.deactivate_user(staff, user=staff)


def test_staff_reactivates_a_user(staff, bob):
    services.deactivate_user(staff, user=bob)

    services.reactivate_user(staff, user=bob)

    bob.refresh_from_db()
    assert bob.is_active


def test_staff_removes_a_profile_picture(staff, bob):
    services.update_profile(bob, picture=upload(image_bytes()))

    services.remove_profile_picture(staff, user=bob)

    bob.refresh_from_db()
    assert not bob.profile_picture
