"""Delete attachments: their rows, and their stored files once no row shares them.

Files go only after the transaction commits, so a rollback never loses bytes a row still names.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from chats.models import Multimedia


def delete_files_now(names: Iterable[str]) -> None:
    for name in names:
        if name:
            try:
                default_storage.delete(name)
            except Exception:  # best effort: a leftover file is not an error
                continue


def delete_files_on_commit(names: Iterable[str]) -> None:
    """Delete stored files once the current transaction commits (never if it rolls back)."""
    names = [name for name in names if name]
    if names:
        transaction.on_commit(lambda: delete_files_now(names))


def unreferenced_names(names: Iterable[str]) -> list[str]:
    """Those of ``names`` that no Multimedia row uses any more (forwards share stored files)."""
    names = {name for name in names if name}
    if not names:
        return []
    used = set(Multimedia.objects.filter(file__in=names).values_list("file", flat=True))
    used |= set(Multimedia.objects.filter(thumbnail__in=names).values_list("thumbnail", flat=True))
    return sorted(names - used)


def delete_media(rows: Iterable[Multimedia]) -> int:
    """Delete these Multimedia rows, and their stored files once no other row shares them."""
    rows = list(rows)
    if not rows:
        return 0
    names = [name for row in rows for name in (row.file.name, row.thumbnail.name)]
    Multimedia.objects.filter(id__in=[row.id for row in rows]).delete()
    delete_files_on_commit(unreferenced_names(names))
    return len(rows)


def remove_with_media(items: QuerySet, *, media_of: str) -> int:
    """Mark removed what of ``items`` (messages, announcements) is not yet; delete its media.

    ``media_of`` names Multimedia's link to them (``message``, ``group_message``,
    ``community_announcement``). Returns how many were newly removed.
    """
    with transaction.atomic():
        ids = list(items.filter(removed_at__isnull=True).values_list("id", flat=True))
        items.model.objects.filter(id__in=ids).update(removed_at=timezone.now())
        delete_media(Multimedia.objects.filter(**{f"{media_of}_id__in": ids}))
    return len(ids)
