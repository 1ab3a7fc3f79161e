"""Identify a file's type from its bytes, and prove it by parsing them.

Images are told by their magic numbers (puremagic); audio and video containers are demuxed
and decoded with FFmpeg through :mod:`whatsapp.audio_video`; documents are parsed as what they
claim to be: pypdf for PDF, the Office Open XML and OpenDocument packages' manifests, olefile for
legacy Office files. Anything else is plain text only if it decodes as such.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

import olefile
import puremagic
import pypdf
from django.core.exceptions import ValidationError

from attachments.kinds import ALLOWED_TYPES, DOCX, IMAGE, ODP, ODS, ODT, PPTX, XLSX, media_kind
from whatsapp import audio_video

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

# Spellings sniffers use for allowed image types.
_ALIASES = {"image/jpg": "image/jpeg"}

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_SNIFF_HEAD = 64 * 1024
_MARKUP_START = re.compile(rb"^\s*<(\?xml|svg|html|!doctype|script)", re.IGNORECASE)

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
        DOCX,
    ),
    "xl/workbook.xml": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        XLSX,
    ),
    "ppt/presentation.xml": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
        PPTX,
    ),
}
_ODF_MANIFEST = "{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}"
_ODF_TYPES = frozenset({ODT, ODS, ODP})
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


class NotWhatItSeems(Exception):
    """The bytes start like an allowed type but do not parse as one; says why."""


@dataclass(frozen=True)
class Identified:
    """A type proved by parsing, with the picture's size where the file has one."""

    file_type: str
    width: int | None = None
    height: int | None = None


def identify(data: bytes) -> Identified | None:
    """The type of ``data``; None when nothing allowed starts like it.

    Raises NotWhatItSeems when it starts like an allowed type but does not parse as one.
    """
    head = data[:_SNIFF_HEAD]
    if head.startswith(b"PK\x03\x04"):
        return Identified(_package_type(data))
    if head.startswith(_OLE_MAGIC):
        return Identified(_ole_type(data))
    if head.startswith(b"%PDF-"):
        return Identified(_pdf_type(data))
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
            return Identified(mime)
    if not candidates and _is_plain_text(data):
        return Identified("text/plain")
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


def _recording(data: bytes, container: str) -> Identified:
    try:
        recording = audio_video.probe(data, container=container)
    except ValidationError as exc:
        raise NotWhatItSeems(exc.messages[0]) from exc
    if container == "mov":
        brand = data[8:12]
        if not recording.has_video:
            return Identified("audio/mp4")
        if brand.startswith(b"qt"):
            file_type = "video/quicktime"
        elif brand.startswith(b"3g"):
            file_type = "video/3gpp"
        else:
            file_type = "video/mp4"
    elif container == "matroska":
        codecs = recording.video_codecs | recording.audio_codecs
        if b"webm" not in data[:64] or not codecs <= _WEBM_CODECS:
            raise NotWhatItSeems("Matroska files other than WebM are not supported.")
        file_type = "video/webm" if recording.has_video else "audio/webm"
    elif recording.has_video:
        raise NotWhatItSeems("This kind of file holds sound only, yet it has pictures.")
    else:
        file_type = _AUDIO_CONTAINERS[container]
    return Identified(file_type, width=recording.width, height=recording.height)


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
        raise NotWhatItSeems(
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
                raise NotWhatItSeems("Office documents with macros are not accepted.")
            for stream, file_type in _OLE_STREAMS.items():
                if ole.exists(stream):
                    return file_type
    except NotWhatItSeems:
        raise
    except Exception as exc:  # olefile reports a malformed file in many ways
        raise NotWhatItSeems("The file is not a valid Word, Excel or PowerPoint file.") from exc
    raise NotWhatItSeems("Only Word, Excel and PowerPoint files are accepted of this kind.")


def _pdf_type(data: bytes) -> str:
    """A PDF whose cross-reference table, trailer and page tree pypdf can read."""
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if not reader.is_encrypted:  # an encrypted one's pages need its password
            len(reader.pages)
    except Exception as exc:  # pypdf reports a malformed file in many ways
        raise NotWhatItSeems("The file is not a valid PDF document.") from exc
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
