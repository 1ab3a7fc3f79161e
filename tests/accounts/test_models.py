import pytest
from django.db import IntegrityError, transaction

from accounts.models import Block, Contact, User


def test_create_user_normalises_the_phone_number(db):
    user = User.objects.create_user("(415) 555-0111", "pw-123456789", name="Dora")

    assert user.phone_number == "+14155550111"
    assert user.check_password("pw-123456789")


def test_user_is_stored_in_the_seed_table_and_columns(alice):
    assert User._meta.db_table == "users"
    assert User._meta.get_field("id").column == "user_id"
    assert alice.user_id == alice.id


def test_user_str_and_display_name(make_user):
    named = make_user("Eve", "+14155550120")
    unnamed = User.objects.create_user("+14155550121", "pw-123456789")

    assert str(named) == "Eve (+14155550120)"
    assert unnamed.display_name == "+14155550121"


def test_user_without_picture_has_no_picture_urls(alice):
    assert alice.profile_picture_url is None
    assert alice.profile_thumbnail_url is None


def test_contact_pair_is_unique(alice, bob):
    Contact.objects.create(user=alice, contact_user=bob)

    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(user=alice, contact_user=bob)


def test_contact_pair_is_directional(alice, bob):
    Contact.objects.create(user=alice, contact_user=bob)

    Contact.objects.create(user=bob, contact_user=alice)

    assert Contact.objects.count() == 2


def test_contact_cannot_be_oneself(alice):
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(user=alice, contact_user=alice)


def test_block_pair_is_unique(alice, bob):
    Block.objects.create(blocker=alice, blocked=bob)

    with pytest.raises(IntegrityError), transaction.atomic():
        Block.objects.create(blocker=alice, blocked=bob)


def test_block_cannot_target_oneself(alice):
    with pytest.raises(IntegrityError), transaction.atomic():
        Block.objects.create(blocker=alice, blocked=alice)


def test_phone_number_is_unique(alice):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(alice.phone_number, "pw-123456789")


def test_deleting_a_user_removes_their_contacts_and_blocks(alice, bob, carol):
    Contact.objects.create(user=alice, contact_user=bob)
    Contact.objects.create(user=carol, contact_user=alice)
    Block.objects.create(blocker=bob, blocked=alice)

    alice.delete()

    assert not Contact.objects.exists()
    assert not Block.objects.exists()
