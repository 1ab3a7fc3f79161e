"""Attachments: validate uploads by their content, store them, forward them, delete them.

Every file goes through :func:`prepare_upload` before anything is written: the size limits
(``settings.MAX_UPLOAD_SIZE`` per file, ``MAX_UPLOAD_FILES`` and ``MAX_UPLOAD_TOTAL_SIZE`` per
message, read at call time), then the type, judged from the bytes and proved by parsing them:
images decoded with Pillow through :mod:`whatsapp.images` (bomb guard, EXIF orientation applied,
metadata stripped, thumbnail made), audio and video demuxed and decoded with FFmpeg through
:mod:`whatsapp.audio_video`, documents parsed as what they claim to be (pypdf, the Office and
OpenDocument packages, olefile). The file's name must then name that type. Files are written
through Django's default storage, so local ``MEDIA_ROOT`` and S3 (django-storages) behave the
same.

Nothing is half-stored: :func:`attach_media` deletes what it wrote if any write fails, and
services wrap their writes in :func:`atomic_with_files` so a later rollback of the same
transaction deletes the files too.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any
from xml.etree import ElementTree

import olefile
import puremagic
import pypdf
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from chats.models import Multimedia
from whatsapp import audio_video, images
from whatsapp.compat.django import mark_prefetched, with_iterable_class
from whatsapp.db import column, table
from whatsapp.errors import DomainError, PayloadTooLarge

IMAGE, VIDEO, AUDIO, DOCUMENT = "image", "video", "audio", "document"
ALL_KINDS = frozenset({IMAGE, VIDEO, AUDIO, DOCUMENT})

_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
_ODT = "application/vnd.oasis.opendocument.text"
_ODS = "application/vnd.oasis.opendocument.spreadsheet"
_ODP = "application/vnd.oasis.opendocument.presentation"

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
    _DOCX: (DOCUMENT, ".docx"),
    _XLSX: (DOCUMENT, ".xlsx"),
    _PPTX: (DOCUMENT, ".pptx"),
    _ODT: (DOCUMENT, ".odt"),
    _ODS: (DOCUMENT, ".ods"),
    _ODP: (DOCUMENT, ".odp"),
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
# Extensions of images we do not keep as such: uploaded under these names, the bytes must still
# be one of the images above (they are re-encoded, and download as .jpg or .png).
_IMAGE_SUFFIXES = frozenset({".bmp", ".tif", ".tiff", ".heic", ".heif", ".svg"})

# Types a browser could run script in: refused outright, whatever else the bytes resemble.
_DENIED_TYPES = frozenset(
    {
        "text/html",
        "image/svg+xml",
        "application/xml",
        "text/xml",
        "application/xhtml+xml",
        "application/javascript",
        "text/javascript",
    }
)

# Spellings sniffers use for the image types above.
_ALIASES = {"image/jpg": "image/jpeg"}

# Inline in the browser only what it renders without running anything.
_INLINE_KINDS = frozenset({IMAGE, VIDEO, AUDIO})

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_SNIFF_HEAD = 64 * 1024
_MARKUP_START = re.compile(rb"^\s*<(\?xml|svg|html|!doctype|script)", re.IGNORECASE)
# A file name's extension: letters and digits after the last dot, at least one letter ("v1.2"
# has none).
_EXTENSION = re.compile(r"(\.(?=[a-z0-9]{0,7}[a-z])[a-z0-9]{1,8})$", re.IGNORECASE)

# WebM is the part of Matroska browsers play: these codecs only.
_WEBM_CODECS = frozenset({"vp8", "vp9", "av1", "opus", "vorbis"})
# Containers that hold sound only, and the type of each.
_AUDIO_CONTAINERS = {
    "ogg": "audio/ogg",
    "wav": "audio/wav",
    "flac": "audio/flac",
    "mp3": "audio/mpeg",
    "aac": "audio/aac",
}

# Office Open XML: the main part of each kind and the content type the package declares for it.
_OOXML_CONTENT_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_OOXML_MAIN_PARTS = {
    "word/document.xml": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        _DOCX,
    ),
    "xl/workbook.xml": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        _XLSX,
    ),
    "ppt/presentation.xml": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
        _PPTX,
    ),
}
_ODF_MANIFEST = "{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}"
_ODF_TYPES = frozenset({_ODT, _ODS, _ODP})
# Legacy Office files are OLE compound files; the stream that makes each program's document.
_OLE_STREAMS = {
    "WordDocument": "application/msword",
    "Workbook": "application/vnd.ms-excel",
    "Book": "application/vnd.ms-excel",
    "PowerPoint Document": "application/vnd.ms-powerpoint",
}
_OLE_MACRO_STORAGES = frozenset({"macros", "_vba_project_cur", "vba"})
# Package parts we parse (manifests, content types) are small; a bigger one is not a document.
_PART_LIMIT = 1024 * 1024


class UnsupportedFile(DomainError):
    code = "unsupported_file"


class _NotWhatItSeems(Exception):
    """The bytes start like an allowed type but do not parse as one; says why."""


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


@dataclass(frozen=True)
class _Identified:
    file_type: str
    width: int | None = None
    height: int | None = None


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


def _extension(name: str) -> str | None:
    """The extension of a file name, lower case, as Windows would read it; None without one."""
    match = _EXTENSION.search(name.rstrip(". "))
    return match.group(1).lower() if match else None


# --- identifying ---------------------------------------------------------------------------


def _identify(data: bytes) -> _Identified | None:
    """The type of ``data``; None when nothing allowed starts like it.

    Raises _NotWhatItSeems when it starts like an allowed type but does not parse as one.
    """
    head = data[:_SNIFF_HEAD]
    if head.startswith(b"PK\x03\x04"):
        return _Identified(_package_type(data))
    if head.startswith(_OLE_MAGIC):
        return _Identified(_ole_type(data))
    if head.startswith(b"%PDF-"):
        return _Identified(_pdf_type(data))
    container = _container(head)
    if container:
        return _recording(data, container)
    try:
        candidates = puremagic.magic_string(head)
    except puremagic.PureError:
        candidates = []
    for candidate in candidates:
        mime = _ALIASES.get(candidate.mime_type, candidate.mime_type)
        if mime in _DENIED_TYPES:
            return None
        if media_kind(mime) == IMAGE and mime in ALLOWED_TYPES:
            return _Identified(mime)
    if not candidates and _is_plain_text(data):
        return _Identified("text/plain")
    return None


def _container(head: bytes) -> str | None:
    """The audio or video container ``head`` starts like (its magic number), if any."""
    if head[4:8] == b"ftyp":
        return "mov"
    if head.startswith(_EBML_MAGIC):
        return "matroska"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"ID3"):
        return "mp3"
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        # A frame header without tags: layer bits 00 are AAC's ADTS, the others MPEG audio.
        return "aac" if head[1] & 0x06 == 0 else "mp3"
    return None


def _recording(data: bytes, container: str) -> _Identified:
    try:
        recording = audio_video.probe(data, container=container)
    except ValidationError as exc:
        raise _NotWhatItSeems(exc.messages[0]) from exc
    if container == "mov":
        brand = data[8:12]
        if not recording.has_video:
            return _Identified("audio/mp4")
        if brand.startswith(b"qt"):
            file_type = "video/quicktime"
        elif brand.startswith(b"3g"):
            file_type = "video/3gpp"
        else:
            file_type = "video/mp4"
    elif container == "matroska":
        codecs = recording.video_codecs | recording.audio_codecs
        if b"webm" not in data[:64] or not codecs <= _WEBM_CODECS:
            raise _NotWhatItSeems("Matroska files other than WebM are not supported.")
        file_type = "video/webm" if recording.has_video else "audio/webm"
    elif recording.has_video:
        raise _NotWhatItSeems("This kind of file holds sound only, yet it has pictures.")
    else:
        file_type = _AUDIO_CONTAINERS[container]
    return _Identified(file_type, width=recording.width, height=recording.height)


def _package_type(data: bytes) -> str:
    """Office Open XML and OpenDocument files are zip packages: their manifest says what they
    are, and the part it names must be there."""
    found = None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if archive.namelist()[:1] == ["mimetype"]:
                found = _opendocument_type(archive, names)
            elif "[Content_Types].xml" in names:
                found = _office_open_xml_type(archive, names)
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, OSError, EOFError):
        found = None
    except (RuntimeError, NotImplementedError):  # encrypted members, unknown compression
        found = None
    if found is None:
        raise _NotWhatItSeems(
            "Only Word, Excel and PowerPoint documents (.docx, .xlsx, .pptx) and OpenDocument "
            "files (.odt, .ods, .odp) are accepted as packages."
        )
    return found


def _read_part(archive: zipfile.ZipFile, name: str) -> bytes | None:
    """A package part we parse (a manifest, the content types); None when it is missing or
    bigger than such a part ever is."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > _PART_LIMIT:
        return None
    with archive.open(info) as part:
        return part.read(_PART_LIMIT + 1)[:_PART_LIMIT]


def _opendocument_type(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    declared = (_read_part(archive, "mimetype") or b"")[:100].decode("ascii", "replace").strip()
    manifest = _read_part(archive, "META-INF/manifest.xml")
    if declared not in _ODF_TYPES or "content.xml" not in names or manifest is None:
        return None
    for entry in ElementTree.fromstring(manifest).iter(f"{_ODF_MANIFEST}file-entry"):
        if entry.get(f"{_ODF_MANIFEST}full-path") == "/":
            return declared if entry.get(f"{_ODF_MANIFEST}media-type") == declared else None
    return None


def _office_open_xml_type(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    content_types = _read_part(archive, "[Content_Types].xml")
    if content_types is None:
        return None
    declared = {
        override.get("PartName"): override.get("ContentType")
        for override in ElementTree.fromstring(content_types).iter(
            f"{_OOXML_CONTENT_TYPES}Override"
        )
    }
    for part, (content_type, file_type) in _OOXML_MAIN_PARTS.items():
        # Macro-enabled documents (.docm ...) declare other content types: not accepted.
        if part in names and declared.get(f"/{part}") == content_type:
            return file_type
    return None


def _ole_type(data: bytes) -> str:
    """Legacy Office files: an OLE compound file holding the program's document stream, and no
    macros."""
    try:
        with olefile.OleFileIO(data) as ole:
            entries = ole.listdir(streams=True, storages=True)
            if any(name.lower() in _OLE_MACRO_STORAGES for path in entries for name in path):
                raise _NotWhatItSeems("Office documents with macros are not accepted.")
            for stream, file_type in _OLE_STREAMS.items():
                if ole.exists(stream):
                    return file_type
    except _NotWhatItSeems:
        raise
    except Exception as exc:  # olefile reports a malformed file in many ways
        raise _NotWhatItSeems("The file is not a valid Word, Excel or PowerPoint file.") from exc
    raise _NotWhatItSeems("Only Word, Excel and PowerPoint files are accepted of this kind.")


def _pdf_type(data: bytes) -> str:
    """A PDF whose cross-reference table, trailer and page tree pypdf can read."""
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if not reader.is_encrypted:  # an encrypted one's pages need its password
            len(reader.pages)
    except Exception as exc:  # pypdf reports a malformed file in many ways
        raise _NotWhatItSeems("The file is not a valid PDF document.") from exc
    return "application/pdf"


def _is_plain_text(data: bytes) -> bool:
    if b"\x00" in data or _MARKUP_START.match(data[:1024]):
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    controls = sum(1 for ch in text[:_SNIFF_HEAD] if ord(ch) < 32 and ch not in "\t\n\r\f")
    return controls == 0


# --- validation ----------------------------------------------------------------------------

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
    suffix = _extension(name)
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
    suffix = _extension(getattr(upload, "name", "") or "")
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
        found = _identify(data)
    except _NotWhatItSeems as exc:
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


# --- writing, and cleaning up after failures ---------------------------------------------

_guard: ContextVar[list[str] | None] = ContextVar("media_files_written", default=None)


def mark_without_media(*items: Model) -> None:
    """Record on messages (1:1 or group) stored or loaded without files that they have none.

    As a prefetch would: rendering them then reads an empty result, where ``objects.none()``
    still went through the ORM's query compiler on every push and ack (docs/performance.md).
    They share that result (an inbox page marks dozens; nothing writes to it).
    """
    mark_prefetched(items, "media", Multimedia.objects.none(), [])


def mark_media(item: Model, media: list[Multimedia]) -> None:
    """Record on a message (1:1 or group) its media, loaded already, as a prefetch would."""
    mark_prefetched([item], "media", Multimedia.objects.none(), media)


def load_media(messages: Sequence[Model]) -> None:
    """Load the media of messages (1:1 or group, all of one model) with ONE query and record
    each message's, as ``prefetch_related("media")`` does, but without the queryset Django's
    prefetch builds for every message to hold its part (docs/performance.md, item 31).

    The query is written out: the ORM took 0.6 ms of CPU to build it for a page of 50 messages
    and its rows, this 0.2 ms (item 39).
    """
    if not messages:
        return
    link = type(messages[0])._meta.get_field("media").field  # Multimedia's key to the message
    ids = [message.pk for message in messages]
    sql = (
        f"SELECT * FROM {table(Multimedia)}"
        f" WHERE {column(Multimedia, link.name)} IN ({', '.join(['%s'] * len(ids))})"
        f" ORDER BY {column(Multimedia, 'id')}"  # Multimedia's ordering
    )
    found: dict[Any, list[Multimedia]] = defaultdict(list)
    for item in Multimedia.objects.raw(sql, ids):
        found[getattr(item, link.attname)].append(item)
    record_media((message, found.get(message.pk, [])) for message in messages)


def record_media(loaded: Iterable[tuple[Model, list[Multimedia]]]) -> None:
    """Record on messages (1:1 or group) their media, loaded already, as a prefetch would: each
    (message, media) pair; the messages without any share one empty result."""
    without = []
    for message, media in loaded:
        if media:
            mark_media(message, media)
        else:
            without.append(message)
    mark_without_media(*without)


class _WithMedia(ModelIterable):
    def __iter__(self):
        messages = list(super().__iter__())
        load_media(messages)
        return iter(messages)


def with_media(queryset: QuerySet) -> QuerySet:
    """``queryset`` of messages, each fetched with its media attached by :func:`load_media`:
    ``prefetch_related("media")``'s result, one query per fetch, less CPU per message. Slices,
    ``first()`` and further filters keep it."""
    return with_iterable_class(queryset, _WithMedia)


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


# --- deleting ------------------------------------------------------------------------------


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
