"""What every kind of chat's lists share: leaving out what a user deleted for themselves, and
marking what they starred."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import User


def _related(queryset: QuerySet, name: str):
    return queryset.model._meta.get_field(name).related_model


def not_hidden(queryset: QuerySet, user: User) -> QuerySet:
    """``queryset`` of messages (1:1 or group) without those ``user`` deleted for themselves."""
    hides = _related(queryset, "hides").objects.filter(message=OuterRef("pk"), user_id=user.id)
    return queryset.filter(~Exists(hides))


def for_viewer(queryset: QuerySet, user: User) -> QuerySet:
    """``queryset`` as ``user``'s lists show it: without what they deleted for themselves, each
    message annotated ``starred`` (whether they starred it)."""
    stars = _related(queryset, "stars").objects.filter(message=OuterRef("pk"), user_id=user.id)
    return not_hidden(queryset, user).annotate(starred=Exists(stars))
