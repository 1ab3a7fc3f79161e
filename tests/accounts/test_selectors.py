"""Who knows whom (accounts.selectors.known_to), and the per-user limit on lookups by number."""

import pytest

from accounts import selectors, services
from calls import services as call_services
from chats import services as chat_services
from communities import services as community_services
from groups import services as group_services
from whatsapp.errors import FieldErrors, NotFound, RateLimited

pytestmark = pytest.mark.django_db


def knows(viewer, user) -> bool:
    return selectors.users_known_to(viewer).filter(id=user.id).exists()


def test_a_stranger_is_not_known_and_their_id_is_not_found(alice, mallory):
    assert not knows(alice, mallory)
    with pytest.raises(NotFound):
        selectors.visible_user(alice, mallory.id)


def test_oneself_is_known(alice):
    assert selectors.visible_user(alice, alice.id) == alice


@pytest.mark.parametrize("direction", ["mine", "theirs"])
def test_a_contact_either_way_is_known(alice, bob, direction):
    if direction == "mine":
        services.add_contact(alice, contact_user=bob)
    else:
        services.add_contact(bob, contact_user=alice)

    assert knows(alice, bob)
    assert selectors.visible_user(alice, bob.id) == bob


def test_who_wrote_to_me_is_known_but_writing_to_someone_shows_me_nothing(alice, mallory):
    chat_services.send_message(mallory, receiver=alice, content="hi")

    assert knows(alice, mallory)
    assert not knows(mallory, alice)


def test_who_called_me_is_known_but_calling_someone_shows_me_nothing(alice, mallory):
    call_services.start_call(mallory, receiver=alice, call_type="voice")

    assert knows(alice, mallory)
    assert not knows(mallory, alice)


def test_fellow_group_members_know_each_other_until_one_leaves(alice, bob, carol):
    services.add_contact(alice, contact_user=bob)
    services.add_contact(alice, contact_user=carol)
    group = group_services.create_group(alice, name="Hikers", members=[bob, carol])

    assert knows(bob, carol) and knows(carol, bob)

    group_services.leave_group(carol, group=group)

    assert not knows(bob, carol) and not knows(carol, bob)


def test_members_of_different_groups_of_one_community_do_not_know_each_other(alice, bob, carol):
    services.add_contact(alice, contact_user=bob)
    services.add_contact(alice, contact_user=carol)
    community = community_services.create_community(alice, name="Club")
    for member in (bob, carol):
        group = group_services.create_group(alice, name=f"G {member.name}", members=[member])
        community_services.add_community_group(alice, community=community, group=group)

    assert not knows(bob, carol)


def test_someone_i_blocked_stays_known(alice, bob):
    chat_services.send_message(bob, receiver=alice, content="spam")
    services.block_user(alice, blocked=bob)
    bob.received_messages.all().delete()
    bob.sent_messages.all().delete()

    assert knows(alice, bob)
    assert not knows(bob, alice)


def test_a_deactivated_user_is_not_found_even_to_a_contact(alice, bob):
    services.add_contact(alice, contact_user=bob)
    bob.is_active = False
    bob.save(update_fields=["is_active"])

    with pytest.raises(NotFound):
        selectors.visible_user(alice, bob.id)


def test_the_rule_costs_one_query(alice, bob, make_user, django_assert_num_queries):
    others = [make_user() for _ in range(5)]
    chat_services.send_message(others[0], receiver=alice, content="hi")

    with django_assert_num_queries(1), pytest.raises(NotFound):
        selectors.visible_user(alice, bob.id)
    with django_assert_num_queries(1):
        assert selectors.known_user_ids(alice, [bob.id, *(o.id for o in others)]) == {others[0].id}


# --- lookups by phone number ---------------------------------------------------------------------


def test_lookups_by_number_are_limited_per_user(alice, bob, settings):
    settings.PHONE_LOOKUP_RATE = "3/h"

    for number in ("+14155550102", "+14155550177", "(415) 555-0102"):
        selectors.user_by_phone_number(alice, number)
    with pytest.raises(RateLimited) as refused:
        selectors.user_by_phone_number(alice, "+14155550102")

    assert 1 <= refused.value.retry_after <= 3600
    assert selectors.user_by_phone_number(bob, "+14155550101") == alice


def test_a_malformed_number_is_not_counted(alice, settings):
    settings.PHONE_LOOKUP_RATE = "1/h"

    with pytest.raises(FieldErrors):
        selectors.user_by_phone_number(alice, "not a number")

    assert selectors.user_by_phone_number(alice, "+14155550177") is None


def test_adding_a_contact_by_number_counts_as_a_lookup(alice, bob, carol, settings):
    settings.PHONE_LOOKUP_RATE = "1/h"
    services.add_contact_by_phone_number(alice, phone_number="+14155550102")

    with pytest.raises(RateLimited):
        services.add_contact_by_phone_number(alice, phone_number="+14155550103")
