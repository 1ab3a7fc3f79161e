"""The call state machine: every change to a call row happens here.

    ringing --answer (receiver)--> answered --end (either party)--> ended
    ringing --decline (receiver) or end (receiver)--> declined
    ringing --end (caller), or ringing longer than CALL_RING_TIMEOUT_SECONDS--> missed

declined, missed and ended are final. Every transition pushes a frame to both parties:
``call.incoming`` (to the receiver) on start, ``call.answered`` on answer, ``call.ended`` on
every way a call stops. ``call.signal`` frames (WebRTC offers, answers and ICE candidates) are
relayed between the two parties of an answered call only, and never stored.

Starting a call counts against the caller's ``CALL_RATE``. A call still ringing from someone
the receiver does not have as a contact rings, but does not make the receiver busy: a stranger
cannot keep them unreachable by calling again and again (docs/calls.md).
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import Contact, User
from accounts.selectors import is_blocked_between
from calls.models import Call
from calls.serializers import call_payload
from whatsapp.errors import Blocked, Conflict, DomainError, Forbidden, NotFound
from whatsapp.ratelimit import Rate, check_rate
from whatsapp.realtime import publish

Status = Call.Status


def ring_timeout() -> timedelta:
    """How long a call may ring before it counts as missed (read at call time)."""
    return timedelta(seconds=settings.CALL_RING_TIMEOUT_SECONDS)


def _publish_call(kind: str, call: Call, user_ids: Iterable[int] | None = None) -> None:
    targets = [call.caller_id, call.receiver_id] if user_ids is None else user_ids
    publish(targets, {"type": kind, "call": call_payload(call)})


def call_rate() -> Rate:
    """How many calls one user may start per window (read at call time)."""
    return Rate.parse(settings.CALL_RATE)


def _is_busy(user_id: int, now: datetime) -> bool:
    """True if the user is in an answered call or a call still within its ringing time.

    A call ringing the user from someone not in their contacts doesn't count: it rings, but
    other callers still get through.
    """
    known_caller = Contact.objects.filter(user_id=user_id, contact_user_id=OuterRef("caller_id"))
    ringing = Q(status=Status.RINGING, created_at__gt=now - ring_timeout()) & (
        Q(caller_id=user_id) | Q(Exists(known_caller))
    )
    return (
        Call.objects.filter(Q(caller_id=user_id) | Q(receiver_id=user_id))
        .filter(Q(status=Status.ANSWERED) | ringing)
        .exists()
    )


def _lock_for_party(user: User, call: Call) -> Call:
    """Re-read ``call`` under a row lock; NotFound unless ``user`` is one of its parties."""
    fresh = (
        Call.objects.select_for_update(of=("self",))
        .select_related("caller", "receiver")
        .get(pk=call.pk)
    )
    if user.id not in (fresh.caller_id, fresh.receiver_id):
        raise NotFound("No such call.")
    return fresh


def start_call(caller: User, *, receiver: User, call_type: str) -> Call:
    """Ring ``receiver``'s open tabs; refused beyond CALL_RATE, across a block, or if busy."""
    if call_type not in Call.CallType.values:
        raise DomainError("Choose a voice or video call.", field="call_type")
    if receiver.id == caller.id:
        raise DomainError("You cannot call yourself.", field="receiver_id")
    if not receiver.is_active:
        raise NotFound("No such user.")
    # Refused attempts count too: retrying a busy or blocked user is what a flood looks like.
    check_rate("call", caller.id, call_rate(), what="calls")
    expire_stale_calls()
    with transaction.atomic():
        # Lock both users in id order, so two concurrent calls can't both find them free.
        list(
            User.objects.select_for_update()
            .filter(id__in=[caller.id, receiver.id])
            .order_by("id")
            .values_list("id", flat=True)
        )
        if is_blocked_between(caller.id, receiver.id):
            raise Blocked("You cannot call this user.")
        now = timezone.now()
        if _is_busy(caller.id, now):
            raise Conflict("You are already in a call.", code="busy")
        if _is_busy(receiver.id, now):
            raise Conflict(f"{receiver.display_name} is on another call.", code="busy")
        call = Call.objects.create(caller=caller, receiver=receiver, call_type=call_type)
        _publish_call("call.incoming", call, [receiver.id])
    return call


def answer_call(user: User, *, call: Call) -> Call:
    """Accept a ringing call; only its receiver may, and only while it rings."""
    expire_stale_calls()
    with transaction.atomic():
        call = _lock_for_party(user, call)
        if user.id != call.receiver_id:
            raise Forbidden("Only the person called can answer.")
        if call.status != Status.RINGING:
            raise Conflict("This call is no longer ringing.", code="not_ringing")
        call.status = Status.ANSWERED
        call.call_started_at = timezone.now()
        call.save(update_fields=["status", "call_started_at"])
        # The caller starts the WebRTC offer on this; the receiver's other tabs stop ringing.
        _publish_call("call.answered", call)
    return call


def decline_call(user: User, *, call: Call) -> Call:
    """Refuse a ringing call; only its receiver may (the caller ends it instead)."""
    expire_stale_calls()
    with transaction.atomic():
        call = _lock_for_party(user, call)
        if user.id != call.receiver_id:
            raise Forbidden("Only the person called can decline.")
        if call.status != Status.RINGING:
            raise Conflict("This call is no longer ringing.", code="not_ringing")
        _finish(call, Status.DECLINED, timezone.now())
    return call


def end_call(user: User, *, call: Call) -> Call:
    """Hang up: an answered call ends; a ringing one is missed (caller) or declined (receiver)."""
    expire_stale_calls()
    with transaction.atomic():
        call = _lock_for_party(user, call)
        if call.status == Status.ANSWERED:
            new_status = Status.ENDED
        elif call.status == Status.RINGING:
            new_status = Status.MISSED if user.id == call.caller_id else Status.DECLINED
        else:
            raise Conflict("This call has already ended.", code="not_active")
        _finish(call, new_status, timezone.now())
    return call


def _finish(call: Call, status: str, ended_at: datetime) -> None:
    call.status = status
    call.call_ended_at = ended_at
    call.save(update_fields=["status", "call_ended_at"])
    _publish_call("call.ended", call)


def expire_stale_calls(*, now: datetime | None = None) -> list[Call]:
    """Mark calls ringing longer than the ring timeout as missed; return them.

    Runs before every start, answer, decline, end and log read (and from the ``expire_calls``
    command), so no scheduler is needed. ``call_ended_at`` is when the ringing timed out.
    """
    now = now or timezone.now()
    timeout = ring_timeout()
    stale = list(
        Call.objects.filter(status=Status.RINGING, created_at__lte=now - timeout).select_related(
            "caller", "receiver"
        )
    )
    expired = []
    for call in stale:
        with transaction.atomic():
            ended_at = call.created_at + timeout
            # Conditional update: a concurrent answer or expiry of the same call wins cleanly.
            changed = Call.objects.filter(pk=call.pk, status=Status.RINGING).update(
                status=Status.MISSED, call_ended_at=ended_at
            )
            if changed:
                call.status = Status.MISSED
                call.call_ended_at = ended_at
                _publish_call("call.ended", call)
                expired.append(call)
    return expired


def relay_signal(sender: User, *, call: Call, signal: dict[str, Any]) -> Call:
    """Pass a WebRTC signal to the other party of an answered call (nothing is stored)."""
    if sender.id not in (call.caller_id, call.receiver_id):
        raise NotFound("No such call.")
    if call.status != Status.ANSWERED:
        raise Conflict("This call is not in progress.", code="not_active")
    publish(
        [call.other_party_id(sender.id)],
        {"type": "call.signal", "call_id": call.id, "signal": signal, "from_user_id": sender.id},
    )
    return call


def end_calls_left_by(user: User, *, call_ids: Iterable[int]) -> list[Call]:
    """End the user's live calls among ``call_ids`` (their socket carrying them closed)."""
    ended = []
    for call in Call.objects.filter(
        id__in=list(call_ids), status__in=[Status.RINGING, Status.ANSWERED]
    ):
        try:
            ended.append(end_call(user, call=call))
        except DomainError:  # ended meanwhile by the other party, or not theirs
            continue
    return ended
