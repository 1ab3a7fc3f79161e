"""Reads of 1:1 chats with the visibility rules applied: a message is seen only by its two users.

What a user may not see is :class:`whatsapp.errors.NotFound`, never a hint that it exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db.models import Case, Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery, When

from accounts.models import Block, Contact, User
from accounts.selectors import blocked_user_ids, blocks_between, is_blocked_between
from chats.models import Message
from groups.models import Group, GroupMember, GroupMessage, GroupMessageReceipt
from whatsapp.errors import Blocked, DomainError, NotFound

USER, GROUP = "user", "group"


def chat_peer(user: User, user_id: int) -> User:
    """The other user of a 1:1 chat (oneself included); NotFound if there is no such chat.

    Any active user; a deactivated one only while there is history with them to read.
    """
    peer = User.objects.filter(id=user_id).first()
    if peer is None or (not peer.is_active and not conversation(user, peer).exists()):
        raise NotFound("No such user.")
    return peer


def message_receiver(user: User, user_id: int, *, field: str = "receiver_id") -> User:
    """The active user named in a send's input; else a 400 on ``field`` (code not_found).

    The same query answers whether either of the two blocked the other (``blocked_with`` holds
    ``user``'s id, ``blocked`` the answer): :func:`chats.services.send_message` then needs no
    query of its own for it.
    """
    receiver = (
        User.objects.filter(id=user_id, is_active=True)
        .annotate(blocked=Exists(blocks_between(user.id, OuterRef("pk"))))
        .first()
    )
    if receiver is None:
        raise DomainError("No such user.", code="not_found", field=field)
    receiver.blocked_with = user.id
    return receiver


def active_users(user_ids: set[int]) -> dict[int, User]:
    """The active users among ``user_ids``, by id (one query)."""
    return User.objects.filter(id__in=user_ids, is_active=True).in_bulk()


def message_receivers(
    user: User, user_ids: list[int], *, field: str = "receiver_ids"
) -> list[User]:
    """The active users named in a forward, in the order given; any unknown id is a 400."""
    found = active_users(set(user_ids))
    missing = [str(i) for i in user_ids if i not in found]
    if missing:
        raise DomainError(f"No such user: {', '.join(missing)}.", code="not_found", field=field)
    return [found[i] for i in dict.fromkeys(user_ids)]


def visible_messages(user: User) -> QuerySet[Message]:
    """Every 1:1 message ``user`` sent or received, media prefetched, newest first."""
    return (
        Message.objects.filter(Q(sender_id=user.id) | Q(receiver_id=user.id))
        .prefetch_related("media")
        .order_by("-id")
    )


def visible_message(user: User, message_id: int) -> Message:
    """One message ``user`` sent or received; NotFound for every other id."""
    message = visible_messages(user).filter(id=message_id).first()
    if message is None:
        raise NotFound("No such message.")
    return message


def conversation(user: User, peer: User) -> QuerySet[Message]:
    """The 1:1 history of ``user`` with ``peer``, newest first, media prefetched."""
    return (
        Message.objects.filter(
            Q(sender_id=user.id, receiver_id=peer.id) | Q(sender_id=peer.id, receiver_id=user.id)
        )
        .prefetch_related("media")
        .order_by("-id")
    )


def messages_after(user: User, after_id: int, limit: int) -> list[Message]:
    """Up to ``limit`` messages ``user`` sent or received after ``after_id``, in order."""
    return list(
        Message.objects.filter(Q(sender_id=user.id) | Q(receiver_id=user.id), id__gt=after_id)
        .prefetch_related("media")
        .order_by("id")[:limit]
    )


def undelivered_for(user: User, after_id: int, limit: int) -> list[Message]:
    """Up to ``limit`` messages to ``user`` not yet delivered, oldest first, after ``after_id``."""
    return list(
        Message.objects.filter(receiver_id=user.id, delivered_at__isnull=True, id__gt=after_id)
        .prefetch_related("media")
        .order_by("id")[:limit]
    )


# --- the inbox -----------------------------------------------------------------------------


@dataclass
class ChatRow:
    """One inbox row: a 1:1 chat (``peer``) or a group (``group``)."""

    kind: str
    last_activity_at: datetime
    peer: User | None = None  # annotated ``has_blocked_me`` (then their status is hidden)
    group: Group | None = None
    last_message: Message | GroupMessage | None = None
    unread_count: int = 0

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.peer.id if self.peer else self.group.id}"


@dataclass(frozen=True)
class _RowKey:
    kind: str
    target_id: int
    last_id: int | None
    last_activity_at: datetime
    unread: int = 0  # 1:1 rows; a group's is counted when its rows are loaded


class Inbox:
    """``user``'s chats, newest activity first; a lazy sequence that paginates cheaply.

    Ordering needs one query per kind (the newest message per peer with the unread count, the
    newest message per group). Only the rows of a requested slice are then loaded, with a fixed
    number of queries whatever their count: peers, last messages, their media, groups.
    """

    def __init__(self, user: User):
        self.user = user
        self._keys: list[_RowKey] | None = None

    def count(self) -> int:
        return len(self.keys())

    def __len__(self) -> int:
        return self.count()

    def __iter__(self):
        return iter(self[:])

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return self._load(self.keys()[index])
        return self._load([self.keys()[index]])[0]

    def keys(self) -> list[_RowKey]:
        if self._keys is None:
            keys = self._peer_keys() + self._group_keys()
            keys.sort(key=lambda k: (k.last_activity_at, k.last_id or 0), reverse=True)
            self._keys = keys
        return self._keys

    def _peer_keys(self) -> list[_RowKey]:
        user_id = self.user.id
        rows = (
            Message.objects.filter(Q(sender_id=user_id) | Q(receiver_id=user_id))
            .annotate(
                peer_id=Case(When(sender_id=user_id, then=F("receiver_id")), default=F("sender_id"))
            )
            .order_by()
            .values("peer_id")
            .annotate(
                last_id=Max("id"),
                last_at=Max("sent_at"),
                # Messages to me still unread; the same rows, so no query of its own.
                unread=Count(
                    "id",
                    filter=Q(receiver_id=user_id, read_at__isnull=True) & ~Q(sender_id=user_id),
                ),
            )
        )
        return [_RowKey(USER, r["peer_id"], r["last_id"], r["last_at"], r["unread"]) for r in rows]

    def _group_keys(self) -> list[_RowKey]:
        # Members see what was sent since they joined (as the groups app's history does).
        newest = GroupMessage.objects.filter(
            group_id=OuterRef("group_id"), sent_at__gte=OuterRef("added_at")
        ).order_by("-id")
        rows = (
            GroupMember.objects.filter(user_id=self.user.id)
            .annotate(
                last_id=Subquery(newest.values("id")[:1]),
                last_at=Subquery(newest.values("sent_at")[:1]),
            )
            .values("group_id", "added_at", "last_id", "last_at")
        )
        return [
            _RowKey(GROUP, r["group_id"], r["last_id"], r["last_at"] or r["added_at"]) for r in rows
        ]

    def _load(self, keys: list[_RowKey]) -> list[ChatRow]:
        user_id = self.user.id
        peer_keys = [k for k in keys if k.kind == USER]
        group_keys = [k for k in keys if k.kind == GROUP]
        peer_ids = [k.target_id for k in peer_keys]
        group_ids = [k.target_id for k in group_keys]

        peers = (
            User.objects.annotate(
                has_blocked_me=Exists(
                    Block.objects.filter(blocker_id=OuterRef("pk"), blocked_id=user_id)
                )
            ).in_bulk(peer_ids)
            if peer_ids
            else {}
        )
        messages = (
            Message.objects.prefetch_related("media").in_bulk([k.last_id for k in peer_keys])
            if peer_keys
            else {}
        )
        groups = Group.objects.in_bulk(group_ids) if group_ids else {}
        last_ids = [k.last_id for k in group_keys if k.last_id]
        group_messages = (
            GroupMessage.objects.select_related("sender")
            .prefetch_related("media")
            .in_bulk(last_ids)
            if last_ids
            else {}
        )
        group_unread = {}
        if group_ids:
            group_unread = dict(
                GroupMessageReceipt.objects.filter(
                    user_id=user_id,
                    read_at__isnull=True,
                    group_message__group_id__in=group_ids,
                )
                .order_by()
                .values("group_message__group_id")
                .annotate(n=Count("id"))
                .values_list("group_message__group_id", "n")
            )

        rows = []
        for key in keys:
            if key.kind == USER:
                rows.append(
                    ChatRow(
                        kind=USER,
                        last_activity_at=key.last_activity_at,
                        peer=peers[key.target_id],
                        last_message=messages.get(key.last_id),
                        unread_count=key.unread,
                    )
                )
            else:
                rows.append(
                    ChatRow(
                        kind=GROUP,
                        last_activity_at=key.last_activity_at,
                        group=groups[key.target_id],
                        last_message=group_messages.get(key.last_id),
                        unread_count=group_unread.get(key.target_id, 0),
                    )
                )
        return rows


def chats_for(user: User) -> Inbox:
    """``user``'s inbox: one row per 1:1 peer and per group, newest activity first."""
    return Inbox(user)


# --- presence and typing -------------------------------------------------------------------


def presence_key(user_id: int) -> str:
    return f"presence:connections:{user_id}"


def is_online(user_id: int) -> bool:
    return (cache.get(presence_key(user_id)) or 0) > 0


def presence_watcher_ids(user: User) -> list[int]:
    """Who sees ``user``'s presence: mutual contacts, neither side blocking the other."""
    mine = Contact.objects.filter(user_id=user.id).values("contact_user_id")
    blocked = blocked_user_ids(user.id)
    return list(
        Contact.objects.filter(contact_user_id=user.id, user_id__in=mine)
        .exclude(user_id__in=blocked)
        .values_list("user_id", flat=True)
    )


def can_see_presence(viewer: User, user: User) -> bool:
    if viewer.id == user.id:
        return False
    mutual = (
        Contact.objects.filter(user_id=viewer.id, contact_user_id=user.id).exists()
        and Contact.objects.filter(user_id=user.id, contact_user_id=viewer.id).exists()
    )
    return mutual and not is_blocked_between(viewer.id, user.id)


@dataclass(frozen=True)
class Presence:
    user_id: int
    online: bool
    last_seen: datetime | None


def presence_of(viewer: User, user: User) -> Presence | None:
    """``user``'s online state and last seen, or None when ``viewer`` may not see it."""
    if not can_see_presence(viewer, user):
        return None
    return Presence(user_id=user.id, online=is_online(user.id), last_seen=user.last_seen)


def typing_audience(user: User, *, receiver_id: int) -> list[int]:
    """Who gets ``user``'s 1:1 ``typing`` frame: the receiver (nobody when it is oneself).

    NotFound for an unknown user, Blocked when a block stands between them. (Group typing is
    the groups app's: :func:`groups.services.relay_group_typing`.)
    """
    receiver = chat_peer(user, receiver_id)
    if receiver.id == user.id:
        return []
    if is_blocked_between(user.id, receiver.id):
        raise Blocked("You cannot message this user.")
    return [receiver.id]
