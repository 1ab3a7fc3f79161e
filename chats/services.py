"""State changes of 1:1 chats: send, forward, receipts and presence. Written once, called by the
consumer, the REST API and the HTML views alike.

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
from contextlib import nullcontext
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Value, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from accounts.selectors import is_blocked_between, message_targets
from chats import selectors
from chats.media import atomic_with_files, attach_media, forward_media, mark_without_media
from chats.models import Message
from chats.serializers import message_json
from chats.texts import is_forwarded_many_times
from whatsapp import cache as counters
from whatsapp import ratelimit, realtime
from whatsapp.db import column, insert_many, table
from whatsapp.errors import Blocked, Conflict, DomainError, NotFound
from whatsapp.timestamps import timestamp

CLIENT_ID_MAX_LENGTH = Message._meta.get_field("client_id").max_length
# WhatsApp forwards to at most five chats at once, and a message forwarded many times to one.
MAX_FORWARD_RECEIVERS = 5
# Receipts name at most this many messages at once.
MAX_RECEIPT_IDS = 1000
# What a receipt reads and pushes of a message (``message.status``).
RECEIPT_FIELDS = ("id", "sender", "receiver", "delivered_at", "read_at")
# A user's socket count expires this long after the last heartbeat of the server processes
# holding their sockets (each refreshes it every PRESENCE_HEARTBEAT_SECONDS): a crashed server
# process cannot leave its users "online" for longer than that.
PRESENCE_TTL_SECONDS = 180
PRESENCE_HEARTBEAT_SECONDS = 60

T = TypeVar("T")


def _check_can_message(sender: User, receiver: User) -> None:
    if not receiver.is_active:
        raise NotFound("No such user.", field="receiver_id")
    if receiver.id == sender.id:
        return
    if getattr(receiver, "blocked_with", None) == sender.id:
        blocked = receiver.blocked  # answered by selectors.message_receiver's query
    else:
        blocked = is_blocked_between(sender.id, receiver.id)
    if blocked:
        raise Blocked("You cannot message this user.")


def check_content(content: str, *, has_media: bool) -> None:
    limit = settings.MESSAGE_MAX_LENGTH
    if len(content) > limit:
        raise DomainError(
            f"Messages are limited to {limit} characters.", code="too_long", field="content"
        )
    if not has_media and not content.strip():
        raise DomainError("Type a message or attach a file.", code="blank", field="content")
    if "\x00" in content:  # JSON allows "\u0000"; PostgreSQL's text columns refuse it
        raise DomainError(
            "Messages cannot contain NUL characters.", code="invalid", field="content"
        )


def clean_client_id(client_id: Any) -> str | None:
    if client_id is None:
        return None
    if not isinstance(client_id, str) or not client_id or len(client_id) > CLIENT_ID_MAX_LENGTH:
        raise DomainError(
            f"client_id must be a string of 1 to {CLIENT_ID_MAX_LENGTH} characters.",
            code="invalid",
            field="client_id",
        )
    return client_id


def _replay(
    existing: Message, *, receiver: User, content: str, origin_channel: str | None
) -> Message:
    """The stored message for a retried send; a client_id reused for another message is refused.

    The message is pushed again: a sender retries when it got no ack, which may mean the server
    stopped between storing the message and pushing it. Clients keep one copy per message_id.
    The receiver is rung again only while the message is undelivered and no block stands
    between the two: an old ``client_id`` sent again must not push an old message into a chat
    that has since blocked its sender. Otherwise the sender's own sockets alone get it.
    """
    if existing.receiver_id != receiver.id or existing.content != content:
        raise Conflict(
            "This client_id was already used for a different message.",
            code="client_id_conflict",
            field="client_id",
        )
    prefetch_related_objects([existing], "media")
    existing.replayed = True
    if existing.removed_at is None:
        ring = existing.delivered_at is None and not is_blocked_between(
            existing.sender_id, existing.receiver_id
        )
        _publish_new([existing], origin_channel=origin_channel, to_receiver=ring)
    return existing


def _publish_new(
    messages: Iterable[Message], *, origin_channel: str | None, to_receiver: bool = True
) -> None:
    for message in messages:
        realtime.publish(
            [message.sender_id, message.receiver_id] if to_receiver else [message.sender_id],
            {"type": "message.new", "message": message_json(message)},
            exclude_channel=origin_channel,
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


def send_message(
    sender: User,
    *,
    receiver: User,
    content: str,
    client_id: str | None = None,
    files: Sequence[Any] = (),
    origin_channel: str | None = None,
) -> Message:
    """Store a 1:1 message and push it; with a known ``client_id``, return the stored one.

    A retried send (same sender and ``client_id``) stores nothing, pushes the stored message
    again and returns it, marked ``replayed``; even a block made since does not turn the retry
    into an error. ``files`` are attached through :func:`chats.media.attach_media`; with files the
    content may be blank. A message to oneself ("Message yourself") is delivered and read at once.
    """

    content = content or ""
    files = list(files or ())
    client_id = clean_client_id(client_id)
    try:
        check_content(content, has_media=bool(files))
        _check_can_message(sender, receiver)
    except DomainError:
        # A retry of a message stored before (say, before a block) is answered with that message.
        existing = _stored_with_client_id(sender, client_id)
        if existing is None:
            raise
        return _replay(existing, receiver=receiver, content=content, origin_channel=origin_channel)
    # No lookup of the client_id first: the unique (sender, client_id) constraint refuses a
    # retry's second row, which is then answered with the stored message (one query less on
    # every send, one more on a retry).
    # Without files the INSERT is the whole write: in autocommit it is a transaction of its own
    # (no BEGIN and COMMIT round trips); in a caller's transaction a savepoint still lets a
    # retry's duplicate fail alone.
    if files or transaction.get_connection().in_atomic_block:
        guard = atomic_with_files()
    else:
        guard = nullcontext()
    try:
        with guard:
            message = _new_message(sender, receiver.id, content, client_id)
            message.save(force_insert=True)
            if files:
                attach_media(files, message=message)
                prefetch_related_objects([message], "media")
            else:
                mark_without_media(message)
            _publish_new([message], origin_channel=origin_channel)
    except IntegrityError:
        existing = _stored_with_client_id(sender, client_id)
        if existing is None:
            raise
        return _replay(existing, receiver=receiver, content=content, origin_channel=origin_channel)
    message.replayed = False
    return message


def _new_message(sender: User, receiver_id: int, content: str, client_id: str | None) -> Message:
    """An unsaved message; one to oneself ("Message yourself") is delivered and read at once."""
    now = timezone.now() if receiver_id == sender.id else None
    return Message(
        sender=sender,
        receiver_id=receiver_id,
        content=content,
        client_id=client_id,
        delivered_at=now,
        read_at=now,
    )


# A socket's send: (sender, receiver_id, content, client_id, origin_channel).
SocketSend = tuple[User, int, str, str | None, str | None]


def send_many(sends: Sequence[SocketSend]) -> list[Message | DomainError | DatabaseError]:
    """Text messages from many sockets at once (``message.send`` frames, batched by the
    consumer): counted against each sender's rate, checked, stored with ONE ``INSERT`` and
    pushed. Per send the stored message (``replayed`` False) or the error, as a send alone
    would give it.

    Only plainly new messages take the shared path: a send that fails a check or reuses a
    ``client_id`` goes through :func:`send_message` on its own, which answers it (the error, or
    the stored message for a retry) exactly as it answers every other caller.
    """
    waits = ratelimit.count_sends([sender.id for sender, *_ in sends])
    active, blocked = message_targets(
        {(sender.id, receiver_id) for sender, receiver_id, *_ in sends}
    )
    results: list[Message | DomainError | DatabaseError | None] = [None] * len(sends)
    fresh: dict[tuple[int, str | None] | int, tuple[int, Message]] = {}
    alone: list[int] = []
    for i, (sender, receiver_id, content, client_id, _) in enumerate(sends):
        if waits[i] is not None:
            results[i] = ratelimit.refusal(waits[i])
        elif receiver_id not in active:
            results[i] = DomainError("No such user.", code="not_found", field="receiver_id")
        elif frozenset((sender.id, receiver_id)) in blocked:
            alone.append(i)
        else:
            try:
                check_content(content, has_media=False)
                client_id = clean_client_id(client_id)
            except DomainError:
                alone.append(i)
                continue
            key = i if client_id is None else (sender.id, client_id)
            if key in fresh:  # the same send twice in one batch: the second is its retry
                alone.append(i)
            else:
                fresh[key] = (i, _new_message(sender, receiver_id, content, client_id))
    if fresh:
        try:
            _store_new(fresh.values(), sends, results)
        except IntegrityError:
            # Retries among them (a client_id stored before): answered alone, the rest stored
            # together; if that fails too, everything alone.
            reused = set(
                Message.objects.filter(
                    sender_id__in={key[0] for key in fresh if isinstance(key, tuple)},
                    client_id__in={key[1] for key in fresh if isinstance(key, tuple)},
                ).values_list("sender_id", "client_id")
            )
            alone.extend(i for key, (i, _) in fresh.items() if key in reused)
            rest = [item for key, item in fresh.items() if key not in reused]
            try:
                _store_new(rest, sends, results)
            except DatabaseError:
                alone.extend(i for i, _ in rest)
        except DatabaseError:  # a value the database refused: one send's failure is its own
            alone.extend(i for i, _ in fresh.values())
    for i in sorted(alone):
        sender, receiver_id, content, client_id, origin_channel = sends[i]
        try:
            results[i] = send_message(
                sender,
                receiver=User.objects.get(id=receiver_id),
                content=content,
                client_id=client_id,
                origin_channel=origin_channel,
            )
        except (DomainError, DatabaseError) as exc:
            results[i] = exc
    return results


def _store_new(
    fresh: Iterable[tuple[int, Message]], sends: Sequence[SocketSend], results: list
) -> None:
    """Store the new messages of :func:`send_many` in one transaction and push each."""

    fresh = list(fresh)
    if not fresh:
        return
    # One INSERT is the whole write: in autocommit it is a transaction of its own (no BEGIN and
    # COMMIT round trips); in a caller's transaction a savepoint lets it fail alone.
    in_transaction = transaction.get_connection().in_atomic_block
    with transaction.atomic() if in_transaction else nullcontext():
        insert_many([message for _, message in fresh])
        mark_without_media(*(message for _, message in fresh))
        for i, message in fresh:
            message.replayed = False
            _publish_new([message], origin_channel=sends[i][4])
            results[i] = message


def _stored_with_client_id(sender: User, client_id: str | None) -> Message | None:
    if client_id is None:
        return None
    return Message.objects.filter(sender_id=sender.id, client_id=client_id).first()


def forward_targets(message: Any, targets: Iterable[T], *, field: str, noun: str) -> list[T]:
    """The distinct ``targets`` (by id) of forwarding ``message`` (a 1:1 or group message).

    A removed message is not forwarded, nor to nobody, nor to more than five chats at a time
    (one for a message already forwarded many times). ``noun`` names a target ("chat").
    """
    if message.removed_at is not None:
        raise DomainError("A removed message cannot be forwarded.", code="removed")
    unique = list({target.id: target for target in targets}.values())
    if not unique:
        raise DomainError(f"Choose at least one {noun}.", code="invalid", field=field)
    limit = 1 if is_forwarded_many_times(message.forward_count) else MAX_FORWARD_RECEIVERS
    if len(unique) > limit:
        raise DomainError(
            f"This message can be forwarded to at most {limit} chat(s) at a time.",
            code="forward_limit",
            field=field,
        )
    return unique


def forward_message(sender: User, *, message: Message, receivers: Sequence[User]) -> list[Message]:
    """Forward a message ``sender`` can see to each receiver, media included, all or nothing.

    The copies point at ``message`` (forwarded_from) and count the forwards behind them; a
    message behind five or more shows "Forwarded many times" and, as on WhatsApp, is forwarded
    to one chat at a time.
    """

    if message.sender_id != sender.id and message.receiver_id != sender.id:
        raise NotFound("No such message.")
    unique = forward_targets(message, receivers, field="receiver_ids", noun="chat")
    for receiver in unique:
        _check_can_message(sender, receiver)
    prefetch_related_objects([message], "media")
    copies = []
    with atomic_with_files():
        for receiver in unique:
            now = timezone.now() if receiver.id == sender.id else None
            copy = Message.objects.create(
                sender=sender,
                receiver=receiver,
                content=message.content,
                forwarded_from=message,
                forward_count=message.forward_count + 1,
                delivered_at=now,
                read_at=now,
            )
            forward_media(message, message=copy)
            copies.append(copy)
        prefetch_related_objects(copies, "media")
        _publish_new(copies, origin_channel=None)
    return copies


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
