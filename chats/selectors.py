"""Reads of 1:1 chats with the visibility rules applied: a message is seen only by its two users.

What a user may not see is :class:`whatsapp.errors.NotFound`, never a hint that it exists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import CharField, Exists, F, Field, Model, OuterRef, Q, QuerySet, Value

from accounts.models import Contact, User
from accounts.selectors import (
    active_users,
    blocked_user_ids,
    blocks_between,
    is_blocked_between,
    known_relation,
    known_user_ids,
)
from attachments.prefetch import record_media
from chats.models import Message, MessageHide, MessageStar, Multimedia
from groups.models import Group, GroupMessage, GroupMessageHide, GroupMessageStar
from messaging.prefetch import load_details, with_details
from messaging.selectors import for_viewer, not_hidden
from whatsapp.db import Placeholders, column, table
from whatsapp.errors import Blocked, DomainError, NotFound

USER, GROUP = "user", "group"


@known_relation("wrote_to")
def wrote_to(viewer_id: int) -> Exists:
    """Who sent the viewer a 1:1 message is known to them (accounts.selectors.known_to)."""
    return Exists(Message.objects.filter(sender_id=OuterRef("pk"), receiver_id=viewer_id))


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


def message_receivers(
    user: User, user_ids: list[int], *, field: str = "receiver_ids"
) -> list[User]:
    """The active users named in a forward, in the order given; any unknown id is a 400."""
    found = active_users().in_bulk(user_ids)
    missing = [str(i) for i in user_ids if i not in found]
    if missing:
        raise DomainError(f"No such user: {', '.join(missing)}.", code="not_found", field=field)
    return [found[i] for i in dict.fromkeys(user_ids)]


def visible_messages(user: User) -> QuerySet[Message]:
    """Every 1:1 message ``user`` sent or received and did not delete for themselves, with its
    details (media, reactions, quote) and ``starred``, newest first."""
    return with_details(
        for_viewer(
            Message.objects.filter(Q(sender_id=user.id) | Q(receiver_id=user.id)), user
        ).order_by("-id")
    )


def visible_message(user: User, message_id: int) -> Message:
    """One message ``user`` sent or received; NotFound for every other id."""
    message = visible_messages(user).filter(id=message_id).first()
    if message is None:
        raise NotFound("No such message.")
    return message


def conversation(user: User, peer: User) -> QuerySet[Message]:
    """The 1:1 history of ``user`` with ``peer`` as :func:`visible_messages` shows it."""
    return visible_messages(user).filter(
        Q(sender_id=user.id, receiver_id=peer.id) | Q(sender_id=peer.id, receiver_id=user.id)
    )


def messages_after(user: User, after_id: int, limit: int) -> list[Message]:
    """Up to ``limit`` messages ``user`` sent or received after ``after_id``, in order."""
    mine = Message.objects.filter(Q(sender_id=user.id) | Q(receiver_id=user.id), id__gt=after_id)
    return list(with_details(not_hidden(mine, user)).order_by("id")[:limit])


def undelivered_for(user: User, after_id: int, limit: int) -> list[Message]:
    """Up to ``limit`` messages to ``user`` not yet delivered, oldest first, after ``after_id``."""
    return list(
        with_details(
            Message.objects.filter(receiver_id=user.id, delivered_at__isnull=True, id__gt=after_id)
        ).order_by("id")[:limit]
    )


def receivers_of(message_ids: set[int]) -> dict[int, int]:
    """Each existing message's receiver id, by message id: what a batch of delivery receipts
    checks. Written out, with placeholders psycopg need not parse: the ORM took 0.35-0.5 ms of
    CPU to build it for every batch, this 0.08-0.12 ms (docs/performance.md, item 43).
    """
    message_id = column(Message, "id")
    marks = Placeholders(connection)
    sql = (
        f"SELECT {message_id}, {column(Message, 'receiver')} FROM {table(Message)}"
        f" WHERE {message_id} IN ({marks.take(len(message_ids))})"
    )
    with marks.cursor() as cursor:
        cursor.execute(sql, sorted(message_ids))
        return dict(cursor.fetchall())


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
    last_id: int  # 0: a group with no message since I joined
    last_activity_at: datetime
    unread: int = 0  # 1:1 rows; a group's is counted when its rows are loaded


class _Columns:
    """Columns of a model in a raw SELECT, read back into instances as the ORM reads them.

    Columns not selected are deferred, as with ``only()``.
    """

    def __init__(self, model: type[Model], alias: str, *names: str):
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if not names or f.name in names]
        self.attnames = [f.attname for f in self.fields]
        self.sql = ", ".join(f'{alias}."{f.column}"' for f in self.fields)
        self._readers: dict[str, list[tuple[int, Callable[[Any], Any]]]] = {}  # by database

    def __len__(self) -> int:
        return len(self.fields)

    def loader(self) -> Callable[[Sequence[Any]], Any]:
        """A function making an instance of a row's values of these columns, in order."""
        db, model, attnames = connection.alias, self.model, self.attnames
        readers = self._readers.get(db)
        if readers is None:
            readers = [(i, read) for i, f in enumerate(self.fields) if (read := _reader(f))]
            self._readers[db] = readers

        def load(values: Sequence[Any]) -> Any:
            values = list(values)
            for i, read in readers:
                values[i] = read(values[i])
            return model.from_db(db, attnames, values)

        return load


def _reader(field: Field) -> Callable[[Any], Any] | None:
    """What the ORM does to ``field``'s value from the database; None when nothing.

    Raw cursors skip it: SQLite hands back datetimes naive or as text, booleans as integers.
    """
    column = field.get_col(field.model._meta.db_table)
    converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
    if not converters:
        return None

    def read(value: Any) -> Any:
        for convert in converters:
            value = convert(value, column, connection)
        return value

    return read


def _in(params: dict[str, Any], name: str, values: list[int]) -> str:
    """Placeholders for ``values`` in an ``IN (...)``, their values added to ``params``."""
    params.update({f"{name}{i}": value for i, value in enumerate(values)})
    return ", ".join(f"%({name}{i})s" for i in range(len(values)))


_SENT_AT = Message._meta.get_field("sent_at")
_MESSAGE = _Columns(Message, "m")
# What the inbox shows of a peer: the API's public profile, the page's avatar and forward list.
_PEER = _Columns(
    User,
    "peer",
    *["id", "phone_number", "name", "profile_picture", "profile_thumbnail", "status"],
    *["created_at", "updated_at", "last_seen", "is_active"],
)
_GROUP = _Columns(Group, "g", "id", "name")
_GROUP_MESSAGE = _Columns(GroupMessage, "m")
_SENDER = _Columns(User, "sender", "id", "phone_number", "name")
_MEDIA = _Columns(Multimedia, "media")

# Every chat of %(me)s, newest activity first: one row per 1:1 peer (its last message and how
# many of its messages to me are unread) and per group (its last message since I joined:
# members see what was sent since then, as the groups app's history does). Messages I deleted
# for myself are left out.
_CHATS_SQL = """
SELECT kind, target_id, last_id, last_at, unread FROM (
    SELECT 'user' AS kind, peer_id AS target_id, MAX(message_id) AS last_id,
           MAX(sent_at) AS last_at, COUNT(CASE WHEN unread THEN 1 END) AS unread
    FROM (
        SELECT CASE WHEN sender_id = %(me)s THEN receiver_id ELSE sender_id END AS peer_id,
               message_id, sent_at,
               receiver_id = %(me)s AND sender_id <> %(me)s AND read_at IS NULL AS unread
        FROM messages
        WHERE (sender_id = %(me)s OR receiver_id = %(me)s)
            AND NOT EXISTS (SELECT 1 FROM message_hides hidden
                            WHERE hidden.message_id = messages.message_id
                                AND hidden.user_id = %(me)s)
    ) mine
    GROUP BY peer_id
    UNION ALL
    SELECT 'group', member.group_id, COALESCE(last.group_message_id, 0),
           COALESCE(last.sent_at, member.added_at), 0
    FROM group_members member
    LEFT JOIN group_messages last ON last.group_message_id = (
        SELECT newest.group_message_id FROM group_messages newest
        WHERE newest.group_id = member.group_id AND newest.sent_at >= member.added_at
            AND NOT EXISTS (SELECT 1 FROM group_message_hides hidden
                            WHERE hidden.group_message_id = newest.group_message_id
                                AND hidden.user_id = %(me)s)
        ORDER BY newest.group_message_id DESC LIMIT 1
    )
    WHERE member.user_id = %(me)s
) chats
ORDER BY last_at DESC, last_id DESC, kind DESC, target_id DESC
"""


class _Rows:
    """A lazy sequence of rows that paginators slice: the subclass orders light keys
    (:meth:`keys`) and loads only the rows of a requested slice (:meth:`_load`)."""

    def keys(self) -> Sequence[Any]:
        raise NotImplementedError

    def _load(self, keys: list[Any]) -> list[Any]:
        raise NotImplementedError

    def count(self) -> int:
        return len(self.keys())

    def __len__(self) -> int:
        return self.count()

    def __iter__(self):
        return iter(self[:])

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return self._load(list(self.keys()[index]))
        return self._load([self.keys()[index]])[0]


class Inbox(_Rows):
    """``user``'s chats, newest activity first; a lazy sequence that paginates cheaply.

    One raw query orders every chat; only the rows of a requested slice are then loaded, with
    one query for its 1:1 rows (peer, last message and its media) and one for its groups (name,
    last message with sender and media, unread count), then the last messages' reactions (one
    query per kind) and, when one is a reply, the messages they quote. Raw SQL: building and
    compiling the ORM's queries was most of the inbox's CPU (docs/performance.md).
    """

    def __init__(self, user: User):
        self.user = user
        self._keys: list[_RowKey] | None = None

    def keys(self) -> list[_RowKey]:
        if self._keys is None:
            read_at = _reader(_SENT_AT) or (lambda value: value)
            with connection.cursor() as cursor:
                cursor.execute(_CHATS_SQL, {"me": self.user.id})
                self._keys = [
                    _RowKey(kind, target_id, last_id, read_at(last_at), unread)
                    for kind, target_id, last_id, last_at, unread in cursor.fetchall()
                ]
        return self._keys

    def _load(self, keys: list[_RowKey]) -> list[ChatRow]:
        peer_keys = [k for k in keys if k.kind == USER]
        group_keys = [k for k in keys if k.kind == GROUP]
        loaded = self._peer_rows(peer_keys) if peer_keys else {}
        if group_keys:
            loaded.update(self._group_rows(group_keys))
        return [loaded[k] for k in keys]

    def _peer_rows(self, keys: list[_RowKey]) -> dict[_RowKey, ChatRow]:
        """The peers and last messages (one row per attachment) of these 1:1 chats.

        A peer the user does not know (a chat they started by id, unanswered) is marked
        ``is_stranger``: its profile shows no number. A peer who wrote to the user is known
        (chats' relation of accounts.selectors.known_to), which this query tells; only the
        others cost one more query, for the rest of the rule.
        """
        by_last_id = {k.last_id: k for k in keys}
        params = {"me": self.user.id}
        sql = f"""
            SELECT {_MESSAGE.sql}, {_PEER.sql},
                   EXISTS (SELECT 1 FROM blocks
                           WHERE blocker_id = peer.user_id AND blocked_id = %(me)s),
                   EXISTS (SELECT 1 FROM messages wrote
                           WHERE wrote.sender_id = peer.user_id AND wrote.receiver_id = %(me)s),
                   {_MEDIA.sql}
            FROM messages m
            JOIN users peer ON peer.user_id =
                CASE WHEN m.sender_id = %(me)s THEN m.receiver_id ELSE m.sender_id END
            LEFT JOIN multimedia media ON media.message_id = m.message_id
            WHERE m.message_id IN ({_in(params, "last", list(by_last_id))})
            ORDER BY media.multimedia_id
        """  # only column names and placeholders are formatted in
        peer_at = len(_MESSAGE)
        blocked_at = peer_at + len(_PEER)
        media_at = blocked_at + 2
        load_message, load_peer, load_media = _MESSAGE.loader(), _PEER.loader(), _MEDIA.loader()
        rows, media, unsure = {}, {}, []
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for values in cursor.fetchall():
                key = by_last_id[values[0]]
                if key not in rows:
                    peer = load_peer(values[peer_at:blocked_at])
                    peer.has_blocked_me = bool(values[blocked_at])
                    if not values[blocked_at + 1]:
                        unsure.append(peer)
                    message = load_message(values[:peer_at])
                    rows[key] = ChatRow(USER, key.last_activity_at, peer, None, message, key.unread)
                    media[key] = []
                if values[media_at] is not None:
                    media[key].append(load_media(values[media_at:]))
        if unsure:
            known = known_user_ids(self.user, [peer.id for peer in unsure])
            for peer in unsure:
                peer.is_stranger = peer.id not in known
        record_media((rows[key].last_message, items) for key, items in media.items())
        load_details([row.last_message for row in rows.values()])
        return rows

    def _group_rows(self, keys: list[_RowKey]) -> dict[_RowKey, ChatRow]:
        """The groups, last messages (one row per attachment) and my unread counts (less what I
        deleted for myself, as for 1:1 chats)."""
        by_group_id = {k.target_id: k for k in keys}
        params = {"me": self.user.id}
        groups = _in(params, "group", list(by_group_id))
        sql = f"""
            SELECT {_GROUP.sql}, COALESCE(unread.n, 0), {_GROUP_MESSAGE.sql}, {_SENDER.sql},
                   {_MEDIA.sql}
            FROM "groups" g
            LEFT JOIN group_messages m ON m.group_id = g.group_id
                AND m.group_message_id IN ({_in(params, "last", [k.last_id for k in keys])})
            LEFT JOIN users sender ON sender.user_id = m.sender_id
            LEFT JOIN multimedia media ON media.group_message_id = m.group_message_id
            LEFT JOIN (
                SELECT message.group_id, COUNT(*) AS n
                FROM group_message_receipts receipt
                JOIN group_messages message
                    ON message.group_message_id = receipt.group_message_id
                WHERE receipt.user_id = %(me)s AND receipt.read_at IS NULL
                    AND message.group_id IN ({groups})
                    AND NOT EXISTS (SELECT 1 FROM group_message_hides hidden
                                    WHERE hidden.group_message_id = receipt.group_message_id
                                        AND hidden.user_id = %(me)s)
                GROUP BY message.group_id
            ) unread ON unread.group_id = g.group_id
            WHERE g.group_id IN ({groups})
            ORDER BY media.multimedia_id
        """  # only column names and placeholders are formatted in
        message_at = len(_GROUP) + 1
        sender_at = message_at + len(_GROUP_MESSAGE)
        media_at = sender_at + len(_SENDER)
        load_group, load_message = _GROUP.loader(), _GROUP_MESSAGE.loader()
        load_sender, load_media = _SENDER.loader(), _MEDIA.loader()
        rows, media = {}, {}
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for values in cursor.fetchall():
                key = by_group_id[values[0]]
                if key not in rows:
                    group = load_group(values[: len(_GROUP)])
                    message = None
                    if values[message_at] is not None:  # else no message since I joined
                        message = load_message(values[message_at:sender_at])
                        message.sender = load_sender(values[sender_at:media_at])
                        media[key] = []
                    unread = values[len(_GROUP)]
                    rows[key] = ChatRow(GROUP, key.last_activity_at, None, group, message, unread)
                if values[media_at] is not None:
                    media[key].append(load_media(values[media_at:]))
        record_media((rows[key].last_message, items) for key, items in media.items())
        load_details([row.last_message for row in rows.values() if row.last_message])
        return rows


def chats_for(user: User) -> Inbox:
    """``user``'s inbox: one row per 1:1 peer and per group, newest activity first."""
    return Inbox(user)


# --- starred messages ----------------------------------------------------------------------

MESSAGE, GROUP_MESSAGE = "message", "group_message"


@dataclass
class StarredItem:
    """One message of ``user``'s starred list (``kind`` "message" or "group_message"), with the
    chat it is in: the other user of a 1:1 chat (oneself for "Message yourself") or the group."""

    kind: str
    message: Message | GroupMessage
    starred_at: datetime
    chat_id: int
    chat_name: str


class Starred(_Rows):
    """``user``'s starred 1:1 and group messages, newest starred first; a lazy sequence that
    page-number pagination slices.

    Only messages ``user`` may see now: their own 1:1 messages and group messages of groups they
    are in, sent since they joined; never one they deleted for themselves, nor a tombstone
    (deleted for everyone or removed by staff). One query counts, one orders the stars of both
    kinds (a UNION), then a page loads its 1:1 and its group messages with their details
    (three queries per kind at most), whatever its size.
    """

    def __init__(self, user: User):
        self.user = user

    def keys(self) -> QuerySet:
        """(kind, message id, starred_at, star id) of every star, newest first: a query that
        a slice limits and ``count()`` counts."""
        user = self.user
        mine = (
            MessageStar.objects.filter(user_id=user.id)
            .filter(Q(message__sender_id=user.id) | Q(message__receiver_id=user.id))
            .filter(message__deleted_at__isnull=True, message__removed_at__isnull=True)
        )
        mine = mine.filter(
            ~Exists(MessageHide.objects.filter(message_id=OuterRef("message_id"), user_id=user.id))
        )
        in_groups = GroupMessageStar.objects.filter(
            user_id=user.id,
            message__deleted_at__isnull=True,
            message__removed_at__isnull=True,
            message__group__memberships__user_id=user.id,
            message__sent_at__gte=F("message__group__memberships__added_at"),
        ).filter(
            ~Exists(
                GroupMessageHide.objects.filter(message_id=OuterRef("message_id"), user_id=user.id)
            )
        )
        columns = ("kind", "message_id", "starred_at", "id")
        return (
            mine.annotate(kind=Value(MESSAGE, output_field=CharField()))
            .values_list(*columns)
            .union(
                in_groups.annotate(kind=Value(GROUP_MESSAGE, output_field=CharField())).values_list(
                    *columns
                ),
                all=True,
            )
            .order_by("-starred_at", "-id")
        )

    def count(self) -> int:
        return self.keys().count()

    def _load(self, keys: list[tuple]) -> list[StarredItem]:
        user = self.user
        ids = {kind: [k[1] for k in keys if k[0] == kind] for kind in (MESSAGE, GROUP_MESSAGE)}
        messages = {}
        if ids[MESSAGE]:
            found = with_details(
                for_viewer(Message.objects.filter(id__in=ids[MESSAGE]), user).select_related(
                    "sender", "receiver"
                )
            )
            messages.update({(MESSAGE, m.id): m for m in found})
        if ids[GROUP_MESSAGE]:
            found = with_details(
                for_viewer(
                    GroupMessage.objects.filter(id__in=ids[GROUP_MESSAGE]), user
                ).select_related("sender", "group")
            )
            messages.update({(GROUP_MESSAGE, m.id): m for m in found})
        items = []
        for kind, message_id, starred_at, _ in keys:
            message = messages.get((kind, message_id))
            if message is None:  # unstarred or deleted since the page was ordered
                continue
            if kind == MESSAGE:
                peer = message.receiver if message.sender_id == user.id else message.sender
                chat_id, name = peer.id, peer.display_name
            else:
                chat_id, name = message.group_id, message.group.name
            items.append(StarredItem(kind, message, starred_at, chat_id, name))
        return items


def starred_for(user: User) -> Starred:
    """``user``'s starred messages, 1:1 and group together, newest starred first."""
    return Starred(user)


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
