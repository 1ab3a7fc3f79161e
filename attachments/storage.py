"""Write prepared files to storage, and never leave one behind when its rows are not saved.

Files are written through Django's default storage, so local ``MEDIA_ROOT`` and S3
(django-storages) behave the same. :func:`write_with_cleanup` (and :func:`attach_media` on it)
deletes what it wrote if any write fails, and services wrap their writes in
:func:`atomic_with_files` so a later rollback of the same transaction deletes the files too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Model

from attachments.deletion import delete_files_now
from attachments.kinds import ALLOWED_TYPES, IMAGE
from attachments.uploads import PreparedFile, prepare_uploads
from chats.models import Multimedia

_guard: ContextVar[list[str] | None] = ContextVar("media_files_written", default=None)


@contextmanager
def atomic_with_files(using: str | None = None) -> Iterator[None]:
    """``transaction.atomic()`` that also deletes the files written inside it if it rolls back.

    Covers failures after :func:`attach_media` returned (a later step of the service, or the
    commit itself). Nested in another such guard, a block that succeeded hands its files up,
    so the outer rollback deletes them too.
    """
    written: list[str] = []
    token = _guard.set(written)
    try:
        with transaction.atomic(using=using):
            yield
    except BaseException:
        delete_files_now(written)
        raise
    finally:
        _guard.reset(token)
    parent = _guard.get()
    if parent is not None:
        parent.extend(written)


def _remember_written(names: Iterable[str]) -> None:
    guard = _guard.get()
    if guard is not None:
        guard.extend(names)


def store_prepared(prepared: PreparedFile, instance: Model, *, written: list[str]) -> None:
    """Write the file (and thumbnail) into ``instance.file`` / ``instance.thumbnail``.

    Stored names are random: the uploader's file name never reaches the storage path.
    Each name is appended to ``written`` as soon as it exists, for the caller's cleanup.
    """
    stem = uuid.uuid4().hex
    instance.file.save(stem + prepared.extension, ContentFile(prepared.content), save=False)
    written.append(instance.file.name)
    if prepared.thumbnail:
        extension = ALLOWED_TYPES.get(prepared.thumbnail_type or "", (IMAGE, ".jpg"))[1]
        instance.thumbnail.save(
            f"{stem}_thumb{extension}", ContentFile(prepared.thumbnail), save=False
        )
        written.append(instance.thumbnail.name)


def write_with_cleanup(prepared: Sequence[PreparedFile], make_instance) -> list[Model]:
    """Store each prepared file on a fresh instance and save it; delete every file on failure."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Media must be written inside the caller's transaction.atomic().")
    written: list[str] = []
    instances = []
    try:
        for item in prepared:
            instance = make_instance(item)
            store_prepared(item, instance, written=written)
            instance.save()
            instances.append(instance)
    except BaseException:
        delete_files_now(written)
        raise
    _remember_written(written)
    return instances


def attach_media(
    files: Sequence[Any],
    *,
    message: Model | None = None,
    group_message: Model | None = None,
    announcement: Model | None = None,
) -> list[Multimedia]:
    """Validate every file, then store each as a Multimedia row of exactly one owner.

    Call inside the service's ``atomic_with_files()`` (or at least ``transaction.atomic()``):
    a failing file leaves nothing behind, neither rows nor stored bytes.
    """
    owners = [o for o in (message, group_message, announcement) if o is not None]
    if len(owners) != 1:
        raise ValueError("attach_media needs exactly one of message, group_message, announcement")
    files = list(files or ())
    if not files:
        return []
    prepared = prepare_uploads(files)

    def make(item: PreparedFile) -> Multimedia:
        return Multimedia(
            message=message,
            group_message=group_message,
            community_announcement=announcement,
            file_type=item.file_type,
            original_name=item.original_name,
            size=item.size,
            width=item.width,
            height=item.height,
        )

    return write_with_cleanup(prepared, make)


def forward_media(
    source_owner: Model, *, message: Model | None = None, group_message: Model | None = None
) -> list[Multimedia]:
    """Copy the rows (not the bytes) of ``source_owner``'s media onto the forwarded message."""
    if (message is None) == (group_message is None):
        raise ValueError("forward_media needs exactly one of message, group_message")
    sources = list(source_owner.media.all())
    rows = [
        Multimedia(
            message=message,
            group_message=group_message,
            file=source.file.name,
            thumbnail=source.thumbnail.name or None,
            file_type=source.file_type,
            original_name=source.original_name,
            size=source.size,
            width=source.width,
            height=source.height,
            forwarded_from=source,
        )
        for source in sources
    ]
    # Saved one by one: bulk_create gives no ids on every backend, and a message carries few.
    for row in rows:
        row.save()
    return rows
