"""The migrated database carries the seed schema under its exact names, and its key rules."""

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.models import Contact
from chats.models import Message, Multimedia
from communities.models import Community, CommunityAnnouncement
from groups.models import Group, GroupMessage

pytestmark = pytest.mark.django_db

# The seed schema (shared/seed/whatsapp-schema.md): table -> {column: referenced (table, column)
# for a foreign key, else None}. Embedded so CI needs no file outside the repository.
SEED_SCHEMA: dict[str, dict[str, tuple[str, str] | None]] = {
    "users": {
        "user_id": None,
        "phone_number": None,
        "name": None,
        "profile_picture": None,
        "status": None,
        "created_at": None,
        "updated_at": None,
    },
    "contacts": {
        "contact_id": None,
        "user_id": ("users", "user_id"),
        "contact_user_id": ("users", "user_id"),
        "added_at": None,
    },
    "messages": {
        "message_id": None,
        "sender_id": ("users", "user_id"),
        "receiver_id": ("users", "user_id"),
        "content": None,
        "sent_at": None,
        "delivered_at": None,
        "read_at": None,
        "forwarded_from_message_id": ("messages", "message_id"),
    },
    "groups": {
        "group_id": None,
        "group_name": None,
        "created_by": ("users", "user_id"),
        "created_at": None,
    },
    "group_members": {
        "group_member_id": None,
        "group_id": ("groups", "group_id"),
        "user_id": ("users", "user_id"),
        "added_at": None,
    },
    "group_messages": {
        "group_message_id": None,
        "group_id": ("groups", "group_id"),
        "sender_id": ("users", "user_id"),
        "content": None,
        "sent_at": None,
        "delivered_at": None,
        "read_at": None,
        "forwarded_from_group_message_id": ("group_messages", "group_message_id"),
    },
    "communities": {
        "community_id": None,
        "community_name": None,
        "created_by": ("users", "user_id"),
        "created_at": None,
    },
    "community_groups": {
        "community_group_id": None,
        "community_id": ("communities", "community_id"),
        "group_id": ("groups", "group_id"),
        "added_at": None,
    },
    "community_announcements": {
        "announcement_id": None,
        "community_id": ("communities", "community_id"),
        "sender_id": ("users", "user_id"),
        "content": None,
        "sent_at": None,
    },
    "multimedia": {
        "multimedia_id": None,
        "message_id": ("messages", "message_id"),
        "group_message_id": ("group_messages", "group_message_id"),
        "community_announcement_id": ("community_announcements", "announcement_id"),
        "file_path": None,
        "file_type": None,
        "uploaded_at": None,
        "forwarded_from_multimedia_id": ("multimedia", "multimedia_id"),
    },
    "stories": {
        "story_id": None,
        "user_id": ("users", "user_id"),
        "content": None,
        "file_path": None,
        "file_type": None,
        "created_at": None,
        "expires_at": None,
    },
    "story_views": {
        "story_view_id": None,
        "story_id": ("stories", "story_id"),
        "user_id": ("users", "user_id"),
        "viewed_at": None,
    },
    "calls": {
        "call_id": None,
        "caller_id": ("users", "user_id"),
        "receiver_id": ("users", "user_id"),
        "call_type": None,
        "call_started_at": None,
        "call_ended_at": None,
    },
}


def columns_of(table: str) -> list[str]:
    with connection.cursor() as cursor:
        return [
            column.name for column in connection.introspection.get_table_description(cursor, table)
        ]


def foreign_keys_of(table: str) -> dict[str, tuple[str, str]]:
    """Column -> (referenced table, referenced column)."""
    with connection.cursor() as cursor:
        relations = connection.introspection.get_relations(cursor, table)
    return {
        column: (ref_table, ref_column) for column, (ref_column, ref_table) in relations.items()
    }


def test_every_seed_table_exists():
    tables = set(connection.introspection.table_names())

    assert set(SEED_SCHEMA) - tables == set()


@pytest.mark.parametrize("table", sorted(SEED_SCHEMA))
def test_every_seed_column_exists_with_its_exact_name(table):
    assert set(SEED_SCHEMA[table]) - set(columns_of(table)) == set()


@pytest.mark.parametrize("table", sorted(SEED_SCHEMA))
def test_every_seed_foreign_key_references_the_seed_column(table):
    expected = {column: ref for column, ref in SEED_SCHEMA[table].items() if ref is not None}

    actual = foreign_keys_of(table)

    assert {column: actual.get(column) for column in expected} == expected


@pytest.mark.parametrize("table", sorted(SEED_SCHEMA))
def test_every_seed_table_has_its_seed_primary_key(table):
    primary_key = next(iter(SEED_SCHEMA[table]))

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)

    assert [primary_key] in [c["columns"] for c in constraints.values() if c["primary_key"]]


@pytest.fixture
def message(alice, bob):
    return Message.objects.create(sender=alice, receiver=bob, content="hello")


@pytest.fixture
def group_message(alice):
    group = Group.objects.create(name="Hikers", created_by=alice)
    return GroupMessage.objects.create(group=group, sender=alice, content="hi all")


@pytest.fixture
def announcement(alice):
    community = Community.objects.create(name="Neighbours", created_by=alice)
    return CommunityAnnouncement.objects.create(community=community, sender=alice, content="news")


def test_multimedia_with_one_owner_is_stored(message, group_message, announcement):
    for owner in (
        {"message": message},
        {"group_message": group_message},
        {"community_announcement": announcement},
    ):
        Multimedia.objects.create(file="media/a.png", file_type="image/png", **owner)

    assert Multimedia.objects.count() == 3


@pytest.mark.parametrize(
    "owners",
    [
        (),
        ("message", "group_message"),
        ("message", "community_announcement"),
        ("group_message", "community_announcement"),
        ("message", "group_message", "community_announcement"),
    ],
)
def test_multimedia_needs_exactly_one_owner(owners, message, group_message, announcement):
    objects = {
        "message": message,
        "group_message": group_message,
        "community_announcement": announcement,
    }

    with pytest.raises(IntegrityError), transaction.atomic():
        Multimedia.objects.create(
            file="media/a.png", file_type="image/png", **{name: objects[name] for name in owners}
        )

    assert Multimedia.objects.count() == 0


def test_the_same_contact_pair_cannot_be_stored_twice(alice, bob):
    Contact.objects.create(user=alice, contact_user=bob)

    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(user=alice, contact_user=bob)

    assert Contact.objects.filter(user=alice, contact_user=bob).count() == 1


def test_the_reverse_contact_pair_is_a_different_contact(alice, bob):
    Contact.objects.create(user=alice, contact_user=bob)

    Contact.objects.create(user=bob, contact_user=alice)

    assert Contact.objects.count() == 2
