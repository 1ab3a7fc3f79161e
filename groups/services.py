"""State changes of groups: membership, messages, per-member receipts and typing.

Written once, called by the consumer (groups.frames), the REST API and the HTML views alike.

Fan-out. Every open socket of a member is subscribed to the channel-layer group
``chatgroup.<group_id>`` (groups.frames joins them on connect; adding, removing and leaving
(un)subscribe the member's open sockets live). A group message therefore reaches every member
with ONE channel-layer call, whatever the group's size. The socket that sent it gets
``group_message.ack`` from the consumer instead of ``group_message.new``; the sender's other
sockets get ``group_message.new`` like everyone else.

Receipts. Sending stores one ``GroupMessageReceipt`` per other member with a single
``INSERT ... SELECT``; delivered / read marks update many receipts in one ``UPDATE``, and the
group-wide ``delivered_at`` / ``read_at`` of the seed (set once every other member has) are
recomputed with set-based ``UPDATE ... WHERE NOT EXISTS (pending receipt)``. The database work
per message is a constant number of queries, not one per member. The sender gets
``group_message.status`` when a group-wide value changes.

Membership. Admins add people from their own contacts (never someone who blocked them or whom
they blocked), remove members and promote or demote admins; anyone may leave. Leaving or being
removed deletes the membership row: the group and its messages are then NotFound for that
user, their sockets are unsubscribed, and their receipts still pending are dropped so the
group-wide ticks can complete without them. When the last admin leaves, the longest-standing
member becomes admin, as on WhatsApp. A group whose last member left stays in the database
(staff can still moderate it in the admin) but is visible to nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Contact, User
from accounts.selectors import blocked_user_ids
from attachments.deletion import delete_media, remove_with_media
from chats.models import Multimedia
from groups.models import Group, GroupMember, GroupMessage, GroupMessageReceipt
from groups.selectors import group_message_for, membership_of, visible_group_message
from messaging import sending
from messaging.rules import MAX_RECEIPT_IDS
from messaging.serializers import group_message_json
from whatsapp import realtime
from whatsapp.db import column, table
from whatsapp.errors import Blocked, DomainError, Forbidden, NotFound
from whatsapp.timestamps import timestamp

GROUP_NAME_MAX_LENGTH = Group._meta.get_field("name").max_length


def group_channel(group_id: int) -> str:
    """The channel-layer group every open socket of every member of the group is in."""
    return f"chatgroup.{group_id}"


def max_group_members() -> int:
    return int(settings.GROUP_MAX_MEMBERS)


# --- checks ---------------------------------------------------------------------------------


def _admin_membership(user: User, group_id: int) -> GroupMember:
    membership = membership_of(user, group_id)
    if not membership.is_admin:
        raise Forbidden("Only group admins can do this.", code="not_group_admin")
    return membership


def clean_name(name: Any, *, noun: str, field: str, max_length: int) -> str:
    """A group or community (``noun``) name, stripped: required, at most ``max_length`` long."""
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        raise DomainError(f"Enter a {noun} name.", code="blank", field=field)
    if len(name) > max_length:
        raise DomainError(
            f"{noun.capitalize()} names are limited to {max_length} characters.",
            code="too_long",
            field=field,
        )
    return name


def _clean_name(name: Any) -> str:
    return clean_name(name, noun="group", field="group_name", max_length=GROUP_NAME_MAX_LENGTH)


def _unique_users(users: Iterable[User], *, excluding: User | None = None) -> list[User]:
    unique = {user.id: user for user in users}
    if excluding is not None:
        unique.pop(excluding.id, None)
    return list(unique.values())


def _check_addable(adder: User, users: Sequence[User], *, field: str) -> None:
    """Only active users from ``adder``'s contacts, with no block either way, can be added."""
    if not users:
        return
    if any(not user.is_active for user in users):
        raise NotFound("No such user.", field=field)
    ids = {user.id for user in users}
    contacts = set(
        Contact.objects.filter(user_id=adder.id, contact_user_id__in=ids).values_list(
            "contact_user_id", flat=True
        )
    )
    if ids - contacts:
        raise DomainError(
            "You can only add people from your contacts.", code="not_a_contact", field=field
        )
    if ids & blocked_user_ids(adder.id):
        raise Blocked("This user can't be added to your groups.")


# Rules of apps above groups that may refuse adding people (moderation's group bans), each
# ``check(group_id, user_ids)`` raising a DomainError; registered from their AppConfig.ready().
_ADD_CHECKS: list[Callable[[int, list[int]], None]] = []


def add_member_check(check: Callable[[int, list[int]], None]) -> Callable[[int, list[int]], None]:
    """Register a rule that may refuse adding ``user_ids`` to a group (a decorator)."""
    _ADD_CHECKS.append(check)
    return check


def _check_capacity(total: int) -> None:
    limit = max_group_members()
    if total > limit:
        raise DomainError(
            f"A group can have at most {limit} members.", code="group_full", field="user_id"
        )


def _subscribe(user_ids: Iterable[int], group_id: int) -> None:
    for user_id in user_ids:
        realtime.add_user_to_group(user_id, group_channel(group_id))


# --- groups and members ---------------------------------------------------------------------


def create_group(creator: User, *, name: str, members: Sequence[User] = ()) -> Group:
    """Create a group with ``creator`` as its admin and ``members`` (from their contacts)."""
    name = _clean_name(name)
    members = _unique_users(members, excluding=creator)
    _check_addable(creator, members, field="member_ids")
    _check_capacity(1 + len(members))
    with transaction.atomic():
        group = Group.objects.create(name=name, created_by=creator)
        GroupMember.objects.bulk_create(
            [GroupMember(group=group, user=creator, is_admin=True)]
            + [GroupMember(group=group, user=user) for user in members]
        )
        _subscribe([creator.id] + [user.id for user in members], group.id)
    return group


def rename_group(user: User, *, group: Group, name: str) -> Group:
    """Change the group's name (admins only)."""
    name = _clean_name(name)
    with transaction.atomic():
        _admin_membership(user, group.id)
        Group.objects.filter(id=group.id).update(name=name)
        group.name = name
    return group


def delete_group(user: User, *, group: Group) -> None:
    """Delete the group with its messages, receipts and media (admins only)."""

    channel = group_channel(group.id)
    with transaction.atomic():
        _admin_membership(user, group.id)
        # Stored files go once the commit is through (and only those no forward still uses).
        delete_media(Multimedia.objects.filter(group_message__group_id=group.id))
        group.delete()
        # One call unsubscribes every open socket of every member.
        realtime.publish_to_group(channel, {"type": "_unsubscribe", "group": channel})


def add_group_members(user: User, *, group: Group, users: Sequence[User]) -> list[GroupMember]:
    """Add people from ``user``'s contacts to the group (admins only, up to the member limit)."""
    users = _unique_users(users)
    if not users:
        raise DomainError("Choose someone to add.", code="invalid", field="user_id")
    with transaction.atomic():
        # Lock the group row so concurrent adds cannot together pass the member limit.
        if not Group.objects.select_for_update().filter(id=group.id).exists():
            raise NotFound("No such group.")
        _admin_membership(user, group.id)
        ids = [member.id for member in users]
        if GroupMember.objects.filter(group_id=group.id, user_id__in=ids).exists():
            raise DomainError(
                "Already a member of this group.", code="already_member", field="user_id"
            )
        _check_addable(user, users, field="user_id")
        for check in _ADD_CHECKS:
            check(group.id, ids)
        _check_capacity(GroupMember.objects.filter(group_id=group.id).count() + len(users))
        memberships = GroupMember.objects.bulk_create(
            [GroupMember(group=group, user=member) for member in users]
        )
        _subscribe(ids, group.id)
    return memberships


def add_group_member(user: User, *, group: Group, member: User) -> GroupMember:
    """Add one person from ``user``'s contacts to the group (admins only)."""
    membership = add_group_members(user, group=group, users=[member])[0]
    if membership.pk is None:  # backends that return no ids from bulk_create
        membership = GroupMember.objects.get(group_id=group.id, user_id=member.id)
    return membership


def set_group_admin(user: User, *, group: Group, member: User, is_admin: bool) -> GroupMember:
    """Promote ``member`` to admin or demote them (admins only; a group keeps one admin)."""
    with transaction.atomic():
        _admin_membership(user, group.id)
        membership = (
            GroupMember.objects.select_related("user")
            .filter(group_id=group.id, user_id=member.id)
            .first()
        )
        if membership is None:
            raise NotFound("Not a member of this group.", field="user_id")
        if membership.is_admin == is_admin:
            return membership
        if (
            not is_admin
            and not GroupMember.objects.filter(group_id=group.id, is_admin=True)
            .exclude(id=membership.id)
            .exists()
        ):
            raise DomainError(
                "A group needs at least one admin.", code="last_admin", field="is_admin"
            )
        membership.is_admin = is_admin
        membership.save(update_fields=["is_admin"])
    return membership


def remove_group_member(user: User, *, group: Group, member: User) -> None:
    """Remove ``member`` from the group (admins only); removing oneself is leaving."""
    if member.id == user.id:
        leave_group(user, group=group)
        return
    with transaction.atomic():
        _admin_membership(user, group.id)
        membership = GroupMember.objects.filter(group_id=group.id, user_id=member.id).first()
        if membership is None:
            raise NotFound("Not a member of this group.", field="user_id")
        _drop_member(membership)


def leave_group(user: User, *, group: Group) -> None:
    """Leave the group; the last admin leaving hands admin to the longest-standing member."""
    with transaction.atomic():
        membership = membership_of(user, group.id)
        _drop_member(membership)
        if (
            membership.is_admin
            and not GroupMember.objects.filter(group_id=group.id, is_admin=True).exists()
        ):
            successor = (
                GroupMember.objects.filter(group_id=group.id).order_by("added_at", "id").first()
            )
            if successor is not None:
                GroupMember.objects.filter(id=successor.id).update(is_admin=True)


def _drop_member(membership: GroupMember) -> None:
    """Delete a membership, unsubscribe the user's sockets and settle what waited on them."""
    group_id, user_id = membership.group_id, membership.user_id
    membership.delete()
    realtime.remove_user_from_group(user_id, group_channel(group_id))
    pending = GroupMessageReceipt.objects.filter(
        user_id=user_id, group_message__group_id=group_id, read_at__isnull=True
    )
    message_ids = list(pending.values_list("group_message_id", flat=True))
    pending.delete()
    now = timezone.now()
    for start in range(0, len(message_ids), MAX_RECEIPT_IDS):
        _complete_group_wide(message_ids[start : start + MAX_RECEIPT_IDS], now)


# --- messages -------------------------------------------------------------------------------


class InGroup(sending.ChatKind):
    """Groups in the send pipeline: the sender must be a member (now).

    Sending stores one receipt per other member beside the message. A new message goes to the
    group's channel (every member's sockets, one call); a retry rings the group again only
    while some member has not received it, and a sender no longer in the group gets NotFound
    even for a message they stored before.
    """

    model = GroupMessage
    chat_field = "group_id"
    media_owner = "group_message"
    reply_field = "reply_to_group_message_id"
    id_key = "group_message_id"
    writes_more = True
    replays_refused = False

    def refusals(self, sends: Sequence[sending.Send]) -> list[DomainError | None]:
        members = set(
            GroupMember.objects.filter(
                group_id__in={send.chat_id for send in sends},
                user_id__in={send.sender.id for send in sends},
            ).values_list("group_id", "user_id")
        )
        return [
            None if (send.chat_id, send.sender.id) in members else NotFound("No such group.")
            for send in sends
        ]

    def new_row(self, send: sending.Send, **fields: Any) -> GroupMessage:
        return GroupMessage(
            group_id=send.chat_id,
            sender=send.sender,
            content=send.content or "",
            client_id=send.client_id,
            **fields,
        )

    def may_quote(self, send: sending.Send, quoted: GroupMessage) -> bool:
        """A message of the same group sent since the sender (last) joined it."""
        return (
            quoted.group_id == send.chat_id
            and GroupMember.objects.filter(
                group_id=send.chat_id, user_id=send.sender.id, added_at__lte=quoted.sent_at
            ).exists()
        )

    def visible(self, user: User, message_id: int) -> GroupMessage:
        return group_message_for(user, message_id)

    def publish_updated(self, message: GroupMessage) -> None:
        realtime.publish_to_group(
            group_channel(message.group_id),
            {"type": "group_message.updated", "group_message": group_message_json(message)},
        )

    def after_insert(self, rows: Sequence[GroupMessage]) -> None:
        """One receipt per other member of each message's group, in a single statement
        whatever the groups' sizes."""
        receipt_message = column(GroupMessageReceipt, "group_message")
        receipt_user = column(GroupMessageReceipt, "user")
        message_id, message_group = column(GroupMessage, "id"), column(GroupMessage, "group")
        member_user, member_group = column(GroupMember, "user"), column(GroupMember, "group")
        marks = ", ".join(["%s"] * len(rows))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table(GroupMessageReceipt)} ({receipt_message}, {receipt_user})"
                f" SELECT m.{message_id}, gm.{member_user}"
                f" FROM {table(GroupMessage)} m JOIN {table(GroupMember)} gm"
                f" ON gm.{member_group} = m.{message_group}"
                f" AND gm.{member_user} <> m.{column(GroupMessage, 'sender')}"
                f" WHERE m.{message_id} IN ({marks})",
                [row.id for row in rows],
            )

    def publish(
        self, rows: Sequence[GroupMessage], *, origin_channel: str | None, ring: bool
    ) -> None:
        for message in rows:
            frame = {"type": "group_message.new", "group_message": group_message_json(message)}
            if ring:
                realtime.publish_to_group(
                    group_channel(message.group_id), frame, exclude_channel=origin_channel
                )
            else:
                realtime.publish([message.sender_id], frame, exclude_channel=origin_channel)


IN_GROUP = InGroup()


def send_group_message(
    sender: User,
    *,
    group: Group,
    content: str,
    client_id: str | None = None,
    files: Sequence[Any] = (),
    origin_channel: str | None = None,
    reply_to_id: int | None = None,
) -> GroupMessage:
    """Store a message in a group ``sender`` is a member of and push it to every member
    (:mod:`messaging.sending`); with a known ``client_id``, return the stored one, marked
    ``replayed``. With ``files`` the content may be blank."""
    send = sending.Send(sender, group.id, content, client_id, origin_channel, files, reply_to_id)
    return sending.send_one(IN_GROUP, send)


def send_group_messages(
    sends: Sequence[sending.Send],
) -> list[GroupMessage | DomainError | DatabaseError]:
    """Text messages from many sockets at once (``group_message.send`` frames, batched by the
    consumer), stored with one ``INSERT``; per send the message or the error, as alone."""
    return sending.send_many(IN_GROUP, [sending.Send(*send) for send in sends])


def forward_group_message(
    sender: User, *, message: GroupMessage, groups: Sequence[Group]
) -> list[GroupMessage]:
    """Forward a group message ``sender`` can see into groups they are a member of."""
    message = visible_group_message(sender, message.group_id, message.id)
    return sending.forward(IN_GROUP, sender, message, groups, field="group_ids", noun="group")


def remove_group_messages(staff: User, *, message_ids: Iterable[int]) -> int:
    """Remove messages for everyone (staff moderation), deleting their media.

    A removed message keeps its place in the history but shows no content or media. Returns
    how many messages were newly removed.
    """

    if not staff.is_staff:
        raise Forbidden("Only staff can remove messages.")
    return remove_with_media(
        GroupMessage.objects.filter(id__in=list(message_ids)), media_of="group_message"
    )


# --- receipts -------------------------------------------------------------------------------


def clean_ids(message_ids: Iterable[Any]) -> list[int]:
    ids = list(message_ids)
    if any(not isinstance(i, int) or isinstance(i, bool) for i in ids):
        raise DomainError(
            "group_message_ids must be a list of integers.",
            code="invalid",
            field="group_message_ids",
        )
    ids = sorted(set(ids))
    if len(ids) > MAX_RECEIPT_IDS:
        raise DomainError(
            f"At most {MAX_RECEIPT_IDS} message ids at once.",
            code="invalid",
            field="group_message_ids",
        )
    return ids


def _complete_group_wide(message_ids: Sequence[int], now) -> list[GroupMessage]:
    """Set the group-wide delivered_at / read_at of those messages every other member has.

    Constant work whatever the group size: two set-based UPDATEs and one SELECT. Messages
    whose value changed now (exactly ``now``) are pushed to their senders as
    ``group_message.status``. A message nobody else is left to receive keeps null.
    """
    if not message_ids:
        return []
    scope = GroupMessage.objects.filter(id__in=message_ids)
    receipts = GroupMessageReceipt.objects.filter(group_message_id=OuterRef("pk"))
    scope.filter(
        Exists(receipts),
        ~Exists(receipts.filter(delivered_at__isnull=True)),
        delivered_at__isnull=True,
    ).update(delivered_at=now)
    scope.filter(
        Exists(receipts), ~Exists(receipts.filter(read_at__isnull=True)), read_at__isnull=True
    ).update(read_at=now)
    changed = list(
        scope.filter(Q(delivered_at=now) | Q(read_at=now)).only(
            "id", "group_id", "sender_id", "delivered_at", "read_at"
        )
    )
    for message in changed:
        realtime.publish(
            [message.sender_id],
            {
                "type": "group_message.status",
                "group_message_id": message.id,
                "group_id": message.group_id,
                "delivered_at": timestamp(message.delivered_at),
                "read_at": timestamp(message.read_at),
            },
        )
    return changed


def _lock_messages(message_ids: Sequence[int]) -> None:
    """Lock the messages whose receipts a transaction is about to write, in id order.

    Receipt writers for one message then run one after the other, so the group-wide recompute
    of the last one sees every other member's committed receipt. Without it two members reading
    at once (on PostgreSQL, READ COMMITTED) each see the other's receipt still unread, and the
    message never turns read.
    """
    list(
        GroupMessage.objects.select_for_update()
        .filter(id__in=message_ids)
        .order_by("id")
        .values_list("id", flat=True)
    )


def _mark(user: User, message_ids: Sequence[int], *, read: bool) -> int:
    if not message_ids:
        return 0
    now = timezone.now()
    with transaction.atomic():
        _lock_messages(message_ids)
        # Only the user's own receipts: ids of messages they may not see (or sent) match none.
        mine = GroupMessageReceipt.objects.filter(user_id=user.id, group_message_id__in=message_ids)
        if read:
            count = mine.filter(read_at__isnull=True).update(
                read_at=now, delivered_at=Coalesce("delivered_at", Value(now))
            )
        else:
            count = mine.filter(delivered_at__isnull=True).update(delivered_at=now)
        if count:
            _complete_group_wide(message_ids, now)
    return count


def mark_group_messages_delivered_batch(batch: Sequence[tuple[int, Sequence[int]]]) -> int:
    """Record many users' delivered receipts at once: ``(user_id, message_ids)`` pairs.

    What a fan-out costs: every member's client acknowledges every group message. One UPDATE
    for the whole batch and one group-wide recompute (instead of both per member) keep a
    1,024-member group from queueing a thousand transactions behind each message. Ids a user
    has no receipt for (their own messages, or ones they may not see) are ignored.
    """
    pairs = sorted({(user_id, message_id) for user_id, ids in batch for message_id in ids})
    if not pairs:
        return 0
    receipts = GroupMessageReceipt._meta.db_table
    now = timezone.now()
    count = 0
    with transaction.atomic():
        _lock_messages(sorted({message_id for _, message_id in pairs}))
        for start in range(0, len(pairs), MAX_RECEIPT_IDS):
            chunk = pairs[start : start + MAX_RECEIPT_IDS]
            values = ", ".join(["(%s, %s)"] * len(chunk))
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {receipts} SET delivered_at = %s "  # table name only
                    f"WHERE delivered_at IS NULL AND (user_id, group_message_id) IN "
                    f"(VALUES {values})",
                    [now, *[v for pair in chunk for v in pair]],
                )
                count += cursor.rowcount
        if count:
            message_ids = sorted({message_id for _, message_id in pairs})
            for start in range(0, len(message_ids), MAX_RECEIPT_IDS):
                _complete_group_wide(message_ids[start : start + MAX_RECEIPT_IDS], now)
    return count


def mark_group_messages_read(user: User, *, message_ids: Iterable[Any]) -> int:
    """Record that ``user`` read these group messages (delivered too); returns how many."""
    return _mark(user, clean_ids(message_ids), read=True)


def mark_group_read(user: User, *, group: Group) -> int:
    """Mark every message of the group read for ``user``; returns how many became read."""
    membership_of(user, group.id)
    ids = list(
        GroupMessageReceipt.objects.filter(
            user_id=user.id, read_at__isnull=True, group_message__group_id=group.id
        )
        .order_by("group_message_id")
        .values_list("group_message_id", flat=True)
    )
    return sum(
        _mark(user, ids[start : start + MAX_RECEIPT_IDS], read=True)
        for start in range(0, len(ids), MAX_RECEIPT_IDS)
    )


def deliver_returned(user: User, messages: Iterable[GroupMessage]) -> int:
    """Mark delivered the group messages just handed to ``user``'s client (history, sync)."""
    ids = [m.id for m in messages if m.sender_id != user.id and m.delivered_at is None]
    return sum(
        _mark(user, ids[start : start + MAX_RECEIPT_IDS], read=False)
        for start in range(0, len(ids), MAX_RECEIPT_IDS)
    )


# --- typing ---------------------------------------------------------------------------------


def relay_group_typing(user: User, *, group_id: int) -> None:
    """Tell the group's members ``user`` is typing (one channel-layer call); NotFound if not one.

    The typist's own sockets get the frame too; clients ignore their own ``user_id``.
    """
    membership_of(user, group_id)
    realtime.publish_to_group(
        group_channel(group_id), {"type": "typing", "user_id": user.id, "group_id": group_id}
    )
