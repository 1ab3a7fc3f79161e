"""Check uploads before anything is written: size limits, type proved by parsing, name.

The limits are ``settings.MAX_UPLOAD_SIZE`` per file, ``MAX_UPLOAD_FILES`` and
``MAX_UPLOAD_TOTAL_SIZE`` per message, read at call time (413 beyond). The type is judged from
the bytes (:mod:`attachments.sniffing`); images are then decoded and re-encoded with Pillow through
:mod:`whatsapp.images` (bomb guard, EXIF orientation applied, metadata stripped, thumbnail
made). The file's name must name the sort of file it holds.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

from attachments.exceptions import UnsupportedFile
from attachments.kinds import (
    ALL_KINDS,
    ALLOWED_TYPES,
    AUDIO,
    IMAGE,
    VIDEO,
    media_kind,
    name_extension,
    type_suffixes,
)
from attachments.sniffing import NotWhatItSeems, identify
from whatsapp import images
from whatsapp.errors import PayloadTooLarge

# Extensions of images we do not keep as such: uploaded under these names, the bytes must still
# be one of the allowed images (they are re-encoded, and download as .jpg or .png).
_IMAGE_SUFFIXES = frozenset({".bmp", ".tif", ".tiff", ".heic", ".heif", ".svg"})


@dataclass
class PreparedFile:
    """An upload that passed every check, ready to be written."""

    content: bytes
    file_type: str
    original_name: str
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None
    thumbnail_type: str | None = None

    @property
    def kind(self) -> str:
        return media_kind(self.file_type)

    @property
    def extension(self) -> str:
        return ALLOWED_TYPES[self.file_type][1]

    @property
    def size(self) -> int:
        return len(self.content)


# What each sort of file is called in an error about its name.
_SORTS = {
    IMAGE: "an image",
    "recording": "audio or video",
    "application/pdf": "a PDF document",
    "text/plain": "plain text",
    "office": "an office document",
}


def _sort(file_type: str) -> str:
    """The sort of file a name's extension must agree with: images go with images, recordings
    (audio and video) with recordings, office documents with office documents."""
    kind = media_kind(file_type)
    if kind == IMAGE:
        return IMAGE
    if kind in (AUDIO, VIDEO):
        return "recording"
    if file_type in ("application/pdf", "text/plain"):
        return file_type
    return "office"


def _suffix_sorts() -> dict[str, str]:
    sorts = {suffix: IMAGE for suffix in _IMAGE_SUFFIXES}
    for file_type in ALLOWED_TYPES:
        for suffix in type_suffixes(file_type):
            sorts[suffix] = _sort(file_type)
    return sorts


_SUFFIX_SORTS = _suffix_sorts()


def _check_name(name: str, file_type: str, field: str) -> None:
    """The name's extension, if it has one, must be one of the content's sort: ``x.js`` or
    ``invoice.pdf.bat`` holding plain text, ``invoice.pdf`` holding a spreadsheet are refused."""
    suffix = name_extension(name)
    if suffix is None:
        return
    if _SUFFIX_SORTS.get(suffix) != _sort(file_type):
        raise UnsupportedFile(
            f"{name}: the name ends in {suffix} but the file holds {_SORTS[_sort(file_type)]}.",
            code="name_mismatch",
            field=field,
        )


def _claims_image(upload: Any) -> bool:
    """Whether the name or the declared type says image: then the bytes must decode as one."""
    suffix = name_extension(getattr(upload, "name", "") or "")
    declared = (getattr(upload, "content_type", "") or "").lower()
    return _SUFFIX_SORTS.get(suffix or "") == IMAGE or declared.startswith("image/")


def _size_of(upload: Any) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        position = upload.tell()
        size = upload.seek(0, io.SEEK_END)
        upload.seek(position)
    return size


def _read(upload: Any, limit: int, field: str) -> bytes:
    """Read the whole upload, refusing it (413) as soon as it is larger than ``limit``."""
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _too_large(upload, limit, field)
    if hasattr(upload, "seek"):
        upload.seek(0)
    chunks, total = [], 0
    for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
        total += len(chunk)
        if total > limit:
            raise _too_large(upload, limit, field)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(upload: Any, limit: int, field: str) -> PayloadTooLarge:
    name = getattr(upload, "name", "") or "The file"
    return PayloadTooLarge(
        f"{PurePath(name).name} is too large: at most {filesizeformat(limit)} per file.",
        field=field,
    )


def prepare_upload(
    upload: Any, *, kinds: Iterable[str] = ALL_KINDS, field: str = "files"
) -> PreparedFile:
    """Check one upload (size, type proved by parsing, name) without writing anything."""
    limit = int(settings.MAX_UPLOAD_SIZE)
    data = _read(upload, limit, field)
    original_name = PurePath(getattr(upload, "name", "") or "file").name[:255]
    if not data:
        raise UnsupportedFile(f"{original_name} is empty.", field=field)
    try:
        found = identify(data)
    except NotWhatItSeems as exc:
        found, refusal = None, f"{original_name}: {exc}"
    else:
        refusal = f"The type of {original_name} is not supported."
    if _claims_image(upload) and (found is None or media_kind(found.file_type) != IMAGE):
        raise UnsupportedFile(f"{original_name} is not a valid image.", field=field)
    if found is None:
        raise UnsupportedFile(refusal, field=field)
    kind = media_kind(found.file_type)
    if kind not in set(kinds):
        raise UnsupportedFile(
            f"{original_name}: files of this kind ({kind}) are not allowed here.", field=field
        )
    _check_name(original_name, found.file_type, field)
    if kind != IMAGE:
        return PreparedFile(
            content=data,
            file_type=found.file_type,
            original_name=original_name,
            width=found.width,
            height=found.height,
        )
    try:
        processed = images.process_image(io.BytesIO(data), max_size=limit)
    except ValidationError as exc:
        raise UnsupportedFile(f"{original_name}: {exc.messages[0]}", field=field) from exc
    # The stored type is that of the re-encoded bytes (JPEG, or PNG where there is alpha).
    return PreparedFile(
        content=processed.file.read(),
        file_type=processed.mime_type,
        original_name=original_name,
        width=processed.width,
        height=processed.height,
        thumbnail=processed.thumbnail.read(),
        thumbnail_type=processed.mime_type,
    )


def prepare_uploads(
    uploads: Sequence[Any], *, kinds: Iterable[str] = ALL_KINDS
) -> list[PreparedFile]:
    """Check every upload before any is written, and all of them together against the
    per-message limits (count, then total size) before any is read (413 beyond)."""
    most = int(settings.MAX_UPLOAD_FILES)
    if len(uploads) > most:
        raise PayloadTooLarge(
            f"At most {most} files can be attached at once.", code="too_many_files", field="files"
        )
    total_limit = int(settings.MAX_UPLOAD_TOTAL_SIZE)
    if sum(_size_of(upload) for upload in uploads) > total_limit:
        raise PayloadTooLarge(
            f"The files are too large together: at most {filesizeformat(total_limit)} per message.",
            field="files",
        )
    return [prepare_upload(upload, kinds=kinds) for upload in uploads]
