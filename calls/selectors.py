"""Reads of calls: only the two parties of a call ever see it."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import User
from accounts.selectors import known_relation
from calls.models import Call
from whatsapp.errors import NotFound


@known_relation("called")
def called(viewer_id: int) -> Exists:
    """Who called the viewer is known to them (accounts.selectors.known_to)."""
    return Exists(Call.objects.filter(caller_id=OuterRef("pk"), receiver_id=viewer_id))


def call_log_for(user: User) -> QuerySet[Call]:
    """Every call ``user`` made or received, newest first, with both parties loaded."""
    return (
        Call.objects.filter(Q(caller=user) | Q(receiver=user))
        .select_related("caller", "receiver")
        .order_by("-created_at", "-id")
    )


def visible_call(user: User, call_id: int) -> Call:
    """The call ``call_id`` if ``user`` is its caller or receiver; NotFound otherwise."""
    call = call_log_for(user).filter(id=call_id).first()
    if call is None:
        raise NotFound("No such call.")
    return call
