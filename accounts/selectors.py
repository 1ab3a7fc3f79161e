"""Reads of accounts data, with the visibility rules applied."""

from django.db.models import Q, QuerySet

from accounts.models import Block, Contact, User


def is_blocked_between(a_id: int, b_id: int) -> bool:
    """True if either user blocked the other."""
    return Block.objects.filter(
        Q(blocker_id=a_id, blocked_id=b_id) | Q(blocker_id=b_id, blocked_id=a_id)
    ).exists()


def has_blocked(blocker_id: int, blocked_id: int) -> bool:
    return Block.objects.filter(blocker_id=blocker_id, blocked_id=blocked_id).exists()


def blocked_user_ids(user_id: int) -> set[int]:
    """Ids of users on either side of a block with ``user_id``."""
    pairs = Block.objects.filter(Q(blocker_id=user_id) | Q(blocked_id=user_id)).values_list(
        "blocker_id", "blocked_id"
    )
    return {other for pair in pairs for other in pair if other != user_id}


def contacts_of(user: User) -> QuerySet[Contact]:
    return Contact.objects.filter(user=user).select_related("contact_user").order_by(
        "contact_user__name", "id"
    )
