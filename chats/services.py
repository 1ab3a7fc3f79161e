"""State changes of 1:1 chats: send, forward, receipts and presence. Written once, called by the
consumer, the REST API and the HTML views alike; sends and forwards go through the pipeline
every kind of chat shares (:mod:`messaging.sending`), with :data:`ONE_TO_ONE` as its rules.

Every change is stored first and pushed after the commit (:func:`whatsapp.realtime.publish`):

- a new message goes out as ``message.new`` to the receiver's sockets and to the sender's
  sockets other than ``origin_channel`` (the socket that sent it gets ``message.ack`` from
  the consumer instead);
- a receipt goes out as ``message.status`` to the sender's sockets (their ticks) and, for a
  read receipt, to the receiver's too (their other tabs clear the unread badges); a delivered
  receipt changes nothing the receiver shows, and skipping it saves a push per message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from accounts.selectors import is_blocked_between, message_targets
from chats import selectors
from chats.models import Message
from messaging import sending
from messaging.rules import MAX_RECEIPT_IDS
from messaging.sending import Send
from messaging.serializers import message_json
from whatsapp import cache as counters
from whatsapp import realtime
from whatsapp.db import column, table
from whatsapp.errors import Blocked, DomainError, NotFound
from whatsapp.timestamps import timestamp

# What a receipt reads and pushes of a message (``message.status``).
RECEIPT_FIELDS = ("id", "sender", "receiver", "delivered_at", "read_at")
# A user's socket count expires this long after the last heartbeat of the server processes
# holding their sockets (each refreshes it every PRESENCE_HEARTBEAT_SECONDS): a crashed server
# process cannot leave its users "online" for longer than that.
PRESENCE_TTL_SECONDS = 180
PRESENCE_HEARTBEAT_SECONDS = 60


class OneToOne(sending.ChatKind):
    """1:1 chats in the send pipeline: the receiver must be active, with no block either way.

    A new message goes to both people's sockets; a retry rings the receiver again only while
    the message is undelivered and no block stands between the two. A message to oneself
    ("Message yourself") is delivered and read at once.
    """

    model = Message
    chat_field = "receiver_id"
    media_owner = "message"
    reply_field = "reply_to_message_id"
    id_key = "message_id"

    def refusals(self, sends: Sequence[Send]) -> list[DomainError | None]:
        active, blocked = message_targets({(send.sender.id, send.chat_id) for send in sends})
        return [
            NotFound("No such user.", field="receiver_id")
            if send.chat_id not in active
            else Blocked("You cannot message this user.")
            if frozenset((send.sender.id, send.chat_id)) in blocked
            else None
            for send in sends
        ]

    def new_row(self, send: Send, **fields: Any) -> Message:
        now = timezone.now() if send.chat_id == send.sender.id else None
        return Message(
            sender=send.sender,
            receiver_id=send.chat_id,
            content=send.content or "",
            client_id=send.client_id,
            delivered_at=now,
            read_at=now,
            **fields,
        )

    def may_quote(self, send: Send, quoted: Message) -> bool:
        return {quoted.sender_id, quoted.receiver_id} == {send.sender.id, send.chat_id}

    def visible(self, user: User, message_id: int) -> Message:
        return selectors.visible_message(user, message_id)

    def publish_updated(self, message: Message) -> None:
        realtime.publish(
            [message.sender_id, message.receiver_id],
            {"type": "message.updated", "message": message_json(message)},
        )

    def publish(self, rows: Sequence[Message], *, origin_channel: str | None, ring: bool) -> None:
        for message in rows:
            realtime.publish(
                [message.sender_id, message.receiver_id] if ring else [message.sender_id],
                {"type": "message.new", "message": message_json(message)},
                exclude_channel=origin_channel,
            )

    def rings_again(self, existing: Message) -> bool:
        return existing.delivered_at is None and not is_blocked_between(
            existing.sender_id, existing.receiver_id
        )


ONE_TO_ONE = OneToOne()


def send_message(
    sender: User,
    *,
    receiver: User,
    content: str,
    client_id: str | None = None,
    files: Sequence[Any] = (),
    origin_channel: str | None = None,
    reply_to_id: int | None = None,
) -> Message:
    """Store a 1:1 message and push it (:mod:`messaging.sending`); with a known ``client_id``,
    return the stored one, marked ``replayed``. With ``files`` the content may be blank."""
    send = Send(sender, receiver.id, content, client_id, origin_channel, files, reply_to_id)
    return sending.send_one(ONE_TO_ONE, send)


def send_many(sends: Sequence[Send]) -> list[Message | DomainError | DatabaseError]:
    """Text messages from many sockets at once (``message.send`` frames, batched by the
    consumer), stored with one ``INSERT``; per send the message or the error, as alone."""
    return sending.send_many(ONE_TO_ONE, [Send(*send) for send in sends])


def forward_message(sender: User, *, message: Message, receivers: Sequence[User]) -> list[Message]:
    """Forward a message ``sender`` sent or received to each receiver, media included."""
    if message.sender_id != sender.id and message.receiver_id != sender.id:
        raise NotFound("No such message.")
    return sending.forward(
        ONE_TO_ONE, sender, message, receivers, field="receiver_ids", noun="chat"
    )


def _publish_status(messages: Iterable[Message], *, read: bool) -> None:
    for message in messages:
        realtime.publish(
            [message.sender_id, message.receiver_id] if read else [message.sender_id],
            {
                "type": "message.status",
                "message_id": message.id,
                "delivered_at": timestamp(message.delivered_at),
                "read_at": timestamp(message.read_at),
            },
        )


def _receipt_targets(user: User, message_ids: Iterable[int]) -> list[Message]:
    ids = set(message_ids)
    if not ids:
        return []
    if len(ids) > MAX_RECEIPT_IDS:
        raise DomainError(
            f"At most {MAX_RECEIPT_IDS} message ids at once.", code="invalid", field="message_ids"
        )
    rows = list(
        Message.objects.select_for_update()
        .filter(id__in=ids, receiver_id=user.id)
        .order_by("id")
        .only(*RECEIPT_FIELDS)
    )
    if len(rows) != len(ids):
        raise NotFound("Receipts are only for messages sent to you.", field="message_ids")
    return rows


def mark_delivered(user: User, *, message_ids: Iterable[int]) -> list[Message]:
    """Record that messages sent to ``user`` reached one of their clients (set once).

    Every id must be a message to ``user`` (else NotFound and nothing changes). Returns the
    messages that changed, by id; each sender gets ``message.status``.
    """
    result = mark_delivered_batch([(user, list(message_ids))])[0]
    if isinstance(result, DomainError):
        raise result
    return result


def mark_delivered_batch(
    requests: Sequence[tuple[User, Sequence[int]]],
) -> list[list[Message] | DomainError]:
    """:func:`mark_delivered` for many users' receipts at once (socket receipts).

    Each request gets its own result: the messages that changed, by id, or the error (too many
    ids; an id not sent to that user) with nothing of that request changed. Two statements for
    the whole batch, in autocommit and without a lock (docs/performance.md, item 30): a SELECT
    of the receivers of the ids, then ONE conditional ``UPDATE ... RETURNING``. A message's
    receiver never changes and ``delivered_at`` is set only where it is NULL, so a message that
    two receipts mark at once changes, and is pushed to its sender, once.
    """
    results: list[list[Message] | DomainError] = [[] for _ in requests]
    wanted: set[int] = set()
    for i, (_, ids) in enumerate(requests):
        if len(set(ids)) > MAX_RECEIPT_IDS:
            results[i] = DomainError(
                f"At most {MAX_RECEIPT_IDS} message ids at once.",
                code="invalid",
                field="message_ids",
            )
        else:
            wanted.update(ids)
    if not wanted:
        return results
    receivers = selectors.receivers_of(wanted)
    allowed: set[int] = set()
    for i, (user, ids) in enumerate(requests):
        if isinstance(results[i], DomainError):
            continue
        if any(receivers.get(message_id) != user.id for message_id in ids):
            results[i] = NotFound(
                "Receipts are only for messages sent to you.", field="message_ids"
            )
        else:
            allowed.update(ids)
    changed = {message.id: message for message in _set_delivered(allowed)}
    for i, (_, ids) in enumerate(requests):
        if not isinstance(results[i], DomainError):
            results[i] = [changed[m] for m in sorted(set(ids)) if m in changed]
    _publish_status([changed[m] for m in sorted(changed)], read=False)
    return results


def _set_delivered(message_ids: set[int]) -> list[Message]:
    """Set ``delivered_at`` where it is NULL among ``message_ids``; return those messages (id,
    sender, receiver and both receipt times), with ONE ``UPDATE ... RETURNING``."""
    if not message_ids:
        return []
    returned = ", ".join(column(Message, name) for name in RECEIPT_FIELDS)
    delivered_at = column(Message, "delivered_at")
    sql = (
        f"UPDATE {table(Message)} SET {delivered_at} = %s"
        f" WHERE {column(Message, 'id')} IN ({', '.join(['%s'] * len(message_ids))})"
        f" AND {delivered_at} IS NULL RETURNING {returned}"
    )
    now = Message._meta.get_field("delivered_at").get_db_prep_value(timezone.now(), connection)
    return list(Message.objects.raw(sql, [now, *sorted(message_ids)]))


def mark_read(user: User, *, message_ids: Iterable[int]) -> list[Message]:
    """Record that ``user`` read messages sent to them: read_at set once, delivered_at too."""
    with transaction.atomic():
        rows = [m for m in _receipt_targets(user, message_ids) if m.read_at is None]
        if not rows:
            return []
        now = timezone.now()
        Message.objects.filter(id__in=[m.id for m in rows], read_at__isnull=True).update(
            read_at=now, delivered_at=Coalesce("delivered_at", Value(now))
        )
        for message in rows:
            message.read_at = now
            message.delivered_at = message.delivered_at or now
        _publish_status(rows, read=True)
    return rows


def mark_chat_read(user: User, *, peer: User) -> list[Message]:
    """Mark every message from ``peer`` to ``user`` read (and delivered)."""
    ids = list(
        Message.objects.filter(receiver_id=user.id, sender_id=peer.id, read_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
    changed: list[Message] = []
    for start in range(0, len(ids), MAX_RECEIPT_IDS):
        changed += mark_read(user, message_ids=ids[start : start + MAX_RECEIPT_IDS])
    return changed


def deliver_returned(user: User, messages: Iterable[Message]) -> None:
    """Mark delivered those of ``messages`` (just handed to ``user``'s client) sent to them.

    History pages, ``sync`` replays and the connect-time push all count as delivery; the
    in-memory instances are updated so the response already shows it.
    """
    pending = {m.id: m for m in messages if m.receiver_id == user.id and m.delivered_at is None}
    if not pending:
        return
    for changed in mark_delivered(user, message_ids=list(pending)):
        pending[changed.id].delivered_at = changed.delivered_at


# --- presence -------------------------------------------------------------------------------


def _publish_presence(user: User, *, online: bool) -> None:
    watchers = selectors.presence_watcher_ids(user)
    if watchers:
        realtime.publish(
            watchers,
            {
                "type": "presence",
                "user_id": user.id,
                "online": online,
                "last_seen": timestamp(user.last_seen),
            },
        )


def user_connected(user: User) -> int:
    """Count one more open socket of ``user``; the first one tells their contacts "online".

    The count lives in the cache (Redis when ``REDIS_URL`` is set, so it spans processes) and
    expires unless :func:`refresh_presence` keeps it alive. Returns the number of open sockets.
    """
    count = counters.count(selectors.presence_key(user.id), timeout=PRESENCE_TTL_SECONDS)
    if count == 1:
        _publish_presence(user, online=True)
    return count


def user_disconnected(user: User) -> int:
    """Count one socket of ``user`` fewer; on the last one, record last_seen and say "offline"."""
    key = selectors.presence_key(user.id)
    try:
        count = cache.decr(key)
    except ValueError:  # the count expired or the cache was flushed while sockets were open
        count = 0
    if count < 0:
        count = 0
    if count == 0:
        user.last_seen = timezone.now()
        User.objects.filter(id=user.id).update(last_seen=user.last_seen)
        _publish_presence(user, online=False)
        # A socket that connected after the count reached 0 announced "online" on another
        # database thread, possibly before this "offline" went out: then say it again, last.
        if selectors.is_online(user.id):
            _publish_presence(user, online=True)
    return count


def refresh_presence(sockets: Mapping[int, int]) -> None:
    """Keep the socket counts of users alive: ``{user_id: open sockets}`` of one server process.

    Each server process calls it every heartbeat for all its sockets at once (one Redis round
    trip). A count that expired while its sockets stayed open (a long stall) counts them again.
    """
    keys = {selectors.presence_key(user_id): n for user_id, n in sockets.items()}
    alive = counters.touch_many(list(keys), timeout=PRESENCE_TTL_SECONDS)
    for (key, n), touched in zip(keys.items(), alive, strict=True):
        if not touched:
            cache.add(key, 0, timeout=PRESENCE_TTL_SECONDS)
            cache.incr(key, n)
