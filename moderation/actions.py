"""Moderation from other apps' admin pages (Messages, Group messages, Stories, Users).

Their actions run through :mod:`moderation.services` too, so every removal and suspension is
permission-checked, pushed live and written to the audit log, whichever page staff used. These
list actions ask no reason; the audit log records where they came from.
"""

from django.contrib import messages

from moderation import services
from whatsapp.errors import DomainError


def remove_selected(modeladmin, request, queryset, *, noun: str) -> None:
    """Remove (tombstone) each selected message or story not removed yet."""
    reason = f"Removed with the “Remove selected {noun}” action in the admin."
    done = 0
    for item in queryset.filter(removed_at__isnull=True):
        try:
            services.remove_content(request.user, target=item, reason=reason)
        except DomainError as exc:
            modeladmin.message_user(request, f"#{item.id}: {exc.detail}", messages.WARNING)
        else:
            done += 1
    modeladmin.message_user(request, f"Removed {done} {noun} and their media.", messages.SUCCESS)


def suspend_from_admin(actor, *, user):
    """``accounts.services.deactivate_user``'s shape, audited as a suspension."""
    return services.suspend_user(
        actor, user=user, reason="Deactivated with the Users admin action."
    )


def delete_from_admin(actor, *, user):
    return services.delete_account(actor, user=user, reason="Deleted in the Users admin.")


def reinstate_from_admin(actor, *, user):
    return services.reinstate_user(
        actor, user=user, reason="Reactivated with the Users admin action."
    )
