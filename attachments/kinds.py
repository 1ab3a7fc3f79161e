"""What a stored file is: its kind, whether it shows inline, the names it may carry.

``ALLOWED_TYPES`` is the list of canonical MIME types an upload may be stored as; everything
else about a type (its kind, its extensions, its download's name) is read from it.
"""

from __future__ import annotations

import re
from pathlib import PurePath

IMAGE, VIDEO, AUDIO, DOCUMENT = "image", "video", "audio", "document"
ALL_KINDS = frozenset({IMAGE, VIDEO, AUDIO, DOCUMENT})

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"

# Canonical MIME type -> (kind, extension of the stored file and of its download's name).
ALLOWED_TYPES: dict[str, tuple[str, str]] = {
    "image/jpeg": (IMAGE, ".jpg"),
    "image/png": (IMAGE, ".png"),
    "image/gif": (IMAGE, ".gif"),
    "image/webp": (IMAGE, ".webp"),
    "video/mp4": (VIDEO, ".mp4"),
    "video/webm": (VIDEO, ".webm"),
    "video/quicktime": (VIDEO, ".mov"),
    "video/3gpp": (VIDEO, ".3gp"),
    "audio/mpeg": (AUDIO, ".mp3"),
    "audio/ogg": (AUDIO, ".ogg"),
    "audio/mp4": (AUDIO, ".m4a"),
    "audio/wav": (AUDIO, ".wav"),
    "audio/webm": (AUDIO, ".weba"),
    "audio/aac": (AUDIO, ".aac"),
    "audio/flac": (AUDIO, ".flac"),
    "application/pdf": (DOCUMENT, ".pdf"),
    "text/plain": (DOCUMENT, ".txt"),
    "application/msword": (DOCUMENT, ".doc"),
    "application/vnd.ms-excel": (DOCUMENT, ".xls"),
    "application/vnd.ms-powerpoint": (DOCUMENT, ".ppt"),
    DOCX: (DOCUMENT, ".docx"),
    XLSX: (DOCUMENT, ".xlsx"),
    PPTX: (DOCUMENT, ".pptx"),
    ODT: (DOCUMENT, ".odt"),
    ODS: (DOCUMENT, ".ods"),
    ODP: (DOCUMENT, ".odp"),
}

# Other extensions a file of the type may carry, in its upload's name and in its download's.
_MORE_SUFFIXES: dict[str, tuple[str, ...]] = {
    "image/jpeg": (".jpeg", ".jpe"),
    "video/mp4": (".m4v",),
    "audio/ogg": (".opus", ".oga"),
    "audio/mp4": (".mp4",),
    "audio/webm": (".webm",),
    "text/plain": (".text", ".log", ".md"),
}

# Inline in the browser only what it renders without running anything.
_INLINE_KINDS = frozenset({IMAGE, VIDEO, AUDIO})

# A file name's extension: letters and digits after the last dot, at least one letter ("v1.2"
# has none).
_EXTENSION = re.compile(r"(\.(?=[a-z0-9]{0,7}[a-z])[a-z0-9]{1,8})$", re.IGNORECASE)


def media_kind(file_type: str) -> str:
    """image, video, audio or document: how a client shows a file of this type."""
    return ALLOWED_TYPES.get(file_type, (DOCUMENT, ""))[0]


def is_inline(file_type: str) -> bool:
    """Whether the download may be shown in the browser rather than saved as an attachment."""
    return file_type in ALLOWED_TYPES and media_kind(file_type) in _INLINE_KINDS


def type_suffixes(file_type: str) -> tuple[str, ...]:
    """The extensions a file of this type is named with, the stored one first; none if unknown."""
    if file_type not in ALLOWED_TYPES:
        return ()
    return (ALLOWED_TYPES[file_type][1], *_MORE_SUFFIXES.get(file_type, ()))


def download_name(name: str, file_type: str) -> str:
    """``name`` with an extension of ``file_type``: the last one is replaced when it is not.

    ``invoice.html`` stored as plain text downloads as ``invoice.txt``, ``photo.png`` re-encoded
    as JPEG as ``photo.jpg``; a type we no longer accept is served as opaque bytes (``.bin``).
    """
    suffixes = type_suffixes(file_type) or (".bin",)
    # Windows drops trailing dots and spaces: "x.js." would be saved as x.js.
    name = PurePath(name or "file").name.rstrip(". ")
    match = _EXTENSION.search(name)
    if match and match.group(1).lower() in suffixes:
        return name
    stem = name[: match.start()] if match else name
    return (stem or "file") + suffixes[0]


def name_extension(name: str) -> str | None:
    """The extension of a file name, lower case, as Windows would read it; None without one."""
    match = _EXTENSION.search(name.rstrip(". "))
    return match.group(1).lower() if match else None
