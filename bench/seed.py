"""Bulk seeding of the bench database: users with DRF tokens, contacts, one big group, messages.

Called by ``bench.run`` after ``django.setup()`` against the bench's own PostgreSQL database.
Users and tokens go in with ``bulk_create`` (one password hash shared by all), messages with
PostgreSQL ``COPY``, so a million rows take seconds. Never used by the test suite.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection
from rest_framework.authtoken.models import Token

from accounts.models import Contact, User
from groups.models import Group, GroupMember, GroupMessage

PASSWORD = "bench-password-1"  # throwaway accounts in a throwaway database


@dataclass
class Account:
    id: int
    token: str


@dataclass
class Seed:
    pairs: list[tuple[Account, Account]] = field(default_factory=list)
    group_id: int = 0
    group_members: list[Account] = field(default_factory=list)
    idle: list[Account] = field(default_factory=list)
    readers: list[Account] = field(default_factory=list)
    reader_peers: dict[int, list[int]] = field(default_factory=dict)
    filler: list[int] = field(default_factory=list)
    reaction_members: list[Account] = field(default_factory=list)
    reaction_group_id: int = 0
    reaction_message_ids: list[int] = field(default_factory=list)

    def relay_tokens(self) -> dict:
        accounts = [a for pair in self.pairs for a in pair] + self.group_members + self.idle
        return {
            "tokens": {a.token: a.id for a in accounts},
            "groups": {str(self.group_id): [a.id for a in self.group_members]},
        }


def create_users(count: int, tag: int, *, tokens: bool = True) -> list[Account]:
    """``count`` active users (phone numbers +99<tag><serial>) with a DRF token each."""
    password = make_password(PASSWORD)
    users = [
        User(phone_number=f"+99{tag:02d}{i:08d}", name=f"Bench {tag}-{i}", password=password)
        for i in range(count)
    ]
    created = []
    for start in range(0, count, 2000):
        created += User.objects.bulk_create(users[start : start + 2000])
    if not tokens:
        return [Account(u.id, "") for u in created]
    keys = [Token(key=Token.generate_key(), user=u) for u in created]
    Token.objects.bulk_create(keys, batch_size=2000)
    return [Account(u.id, t.key) for u, t in zip(created, keys, strict=True)]


def make_contacts(pairs: list[tuple[int, int]]) -> None:
    """Mutual contacts (presence is shared between mutual contacts, as for real chat partners)."""
    rows = [Contact(user_id=a, contact_user_id=b) for a, b in pairs]
    rows += [Contact(user_id=b, contact_user_id=a) for a, b in pairs]
    Contact.objects.bulk_create(rows, batch_size=5000)


def make_group(members: list[Account], name: str = "Bench fan-out") -> int:
    group = Group.objects.create(name=name, created_by_id=members[0].id)
    GroupMember.objects.bulk_create(
        [GroupMember(group=group, user_id=a.id, is_admin=(i == 0)) for i, a in enumerate(members)],
        batch_size=2000,
    )
    return group.id


def reaction_group(members: list[Account], messages: int) -> tuple[int, list[int]]:
    """A group of ``members`` and ``messages`` messages in it (already read: no receipts wait),
    for the reactions scenario; the group's id and the messages' ids."""
    group_id = make_group(members, name="Bench reactions")
    now = datetime.now(UTC)
    rows = GroupMessage.objects.bulk_create(
        GroupMessage(
            group_id=group_id,
            sender_id=members[i % len(members)].id,
            content=f"react to me {i}",
            delivered_at=now,
            read_at=now,
        )
        for i in range(messages)
    )
    return group_id, [row.id for row in rows]


def copy_messages(rows) -> int:
    """COPY (sender_id, receiver_id, content, sent_at, delivered_at, read_at) rows into messages."""
    connection.ensure_connection()
    n = 0
    with (
        connection.connection.cursor() as cursor,
        cursor.copy(
            "COPY messages (sender_id, receiver_id, content, sent_at, delivered_at, read_at,"
            " forward_count) FROM STDIN"
        ) as copy,
    ):
        for sender, receiver, content, sent_at, delivered, read in rows:
            copy.write_row((sender, receiver, content, sent_at, delivered, read, 0))
            n += 1
    connection.connection.commit()
    return n


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def reader_history(readers: list[Account], filler: list[int], *, peers: int, per_peer: int):
    """Each reader chats with ``peers`` filler users, ``per_peer`` messages each way in turn.

    The same for every table size, so the REST scenario compares equal inboxes and histories in
    a small and a large table. The newest few incoming messages of each chat stay unread.
    """
    rng = random.Random(7)
    start = datetime.now(UTC) - timedelta(days=30)
    chosen: dict[int, list[int]] = {}
    rows = []
    for reader in readers:
        mine = rng.sample(filler, peers)
        chosen[reader.id] = mine
        for p, peer in enumerate(mine):
            for k in range(per_peer):
                at = start + timedelta(minutes=p * per_peer + k)
                incoming = k % 2 == 1
                unread = incoming and k >= per_peer - 6
                sender, receiver = (peer, reader.id) if incoming else (reader.id, peer)
                rows.append(
                    (sender, receiver, f"history {k} with {peer}", at, at, None if unread else at)
                )
    return rows, chosen


def filler_messages(filler: list[int], count: int, *, seed: int):
    """``count`` messages between random pairs of filler users, spread over the past 60 days."""
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=60)
    span = 60 * 86400
    for i in range(count):
        a, b = rng.sample(filler, 2)
        at = start + timedelta(seconds=rng.random() * span)
        yield (a, b, f"filler message {i} " + "lorem ipsum " * rng.randint(1, 6), at, at, at)


def seed_all(*, pairs: int, group_members: int, idle: int, readers: int, filler: int) -> Seed:
    seed = Seed()
    senders = create_users(pairs, 10)
    receivers = create_users(pairs, 11)
    seed.pairs = list(zip(senders, receivers, strict=True))
    make_contacts([(s.id, r.id) for s, r in seed.pairs])
    seed.group_members = create_users(group_members, 20)
    seed.group_id = make_group(seed.group_members)
    seed.idle = create_users(idle, 30)
    seed.readers = create_users(readers, 40)
    seed.filler = [a.id for a in create_users(filler, 50, tokens=False)]
    return seed
