"""Fixtures for attachments: real image bytes, uploads, and messages to attach them to."""

import functools
import io
import struct
import wave
import zipfile

import av
import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from chats.models import Message
from communities.models import Community, CommunityAnnouncement, CommunityGroup
from groups.models import Group, GroupMember, GroupMessage


def image_bytes(fmt: str = "PNG", size=(800, 600), mode="RGB", **save_options) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "red" if mode != "1" else 1).save(buffer, fmt, **save_options)
    return buffer.getvalue()


def jpeg_with_orientation(size=(400, 200), orientation=6) -> bytes:
    """A JPEG whose EXIF says "rotate 90°" and which carries a GPS-bearing camera tag."""
    image = Image.new("RGB", size, "blue")
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "SpyCam"  # Make
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def png_upload(name="photo.png", size=(800, 600)):
    return upload(name, image_bytes("PNG", size), "image/png")


@functools.cache
def pdf_bytes() -> bytes:
    """A real one-page PDF (written by pypdf)."""
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=200, height=100)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def package_bytes(parts: dict[str, str | bytes]) -> bytes:
    """A zip package holding ``parts`` in this order (the first one stored, as ODF wants)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i, (name, data) in enumerate(parts.items()):
            compression = zipfile.ZIP_STORED if i == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=compression)
    return buffer.getvalue()


_OOXML_MAIN = {
    "docx": ("word/document.xml", "wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml", "spreadsheetml.sheet.main+xml"),
    "pptx": ("ppt/presentation.xml", "presentationml.presentation.main+xml"),
}


def ooxml_bytes(kind: str = "docx", *, content_type: str | None = None) -> bytes:
    """A minimal Office Open XML package; ``content_type`` overrides its main part's declared
    type (a macro-enabled document declares another)."""
    part, suffix = _OOXML_MAIN[kind]
    declared = content_type or f"application/vnd.openxmlformats-officedocument.{suffix}"
    types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{declared}"/></Types>'
    )
    return package_bytes({"[Content_Types].xml": types, part: "<document/>"})


def docx_bytes() -> bytes:
    return ooxml_bytes("docx")


def odf_bytes(mimetype: str = "application/vnd.oasis.opendocument.text") -> bytes:
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    return package_bytes(
        {"mimetype": mimetype, "content.xml": "<document/>", "META-INF/manifest.xml": manifest}
    )


def ole_bytes(stream: str = "WordDocument", *, macros: bool = False) -> bytes:
    """A legacy Office file: an OLE compound file (version 3, 512-byte sectors) holding one
    4 KiB stream named ``stream`` and, with ``macros``, a ``Macros`` storage beside it."""
    end, free, fat_sector, no_stream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    data = b"document body " * 293  # past the 4096-byte mini-stream cutoff
    data_sectors = -(-len(data) // 512)
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
    header += struct.pack("<HHHHH6xIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, 0, 1, 1, 0, 4096, end, 0)
    header += struct.pack("<II", end, 0) + struct.pack("<109I", 0, *[free] * 108)
    chain = [fat_sector, end] + [i + 1 for i in range(2, 1 + data_sectors)] + [end]
    fat = struct.pack("<128I", *chain, *[free] * (128 - len(chain)))

    def entry(name, kind, *, left=no_stream, right=no_stream, child=no_stream, start=end, size=0):
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        return (
            encoded.ljust(64, b"\x00")
            + struct.pack("<HBBIII", len(encoded), kind, 1, left, right, child)
            + bytes(36)
            + struct.pack("<IQ", start, size)
        )

    entries = [
        entry("Root Entry", 5, child=1),
        entry(stream, 2, left=2 if macros else no_stream, start=2, size=len(data)),
    ]
    if macros:
        entries.append(entry("Macros", 1))
    unused = bytes(64) + struct.pack("<HBBIII", 0, 0, 0, no_stream, no_stream, no_stream)
    directory = b"".join(entries).ljust(512, b"\x00")
    directory = directory[: len(entries) * 128] + (unused + bytes(52)) * (4 - len(entries))
    return header + fat + directory + data.ljust(data_sectors * 512, b"\x00")


# --- recordings, made by FFmpeg (PyAV) for each test run: nothing binary is committed --------


def _video_frame(i: int, size: tuple[int, int]) -> av.VideoFrame:
    frame = av.VideoFrame(*size, "yuv420p")
    for plane in frame.planes:
        plane.update(bytes([(16 + 40 * i) % 256]) * plane.buffer_size)
    frame.pts = i
    return frame


def _audio_frame(fmt: str, samples: int, pts: int, rate: int) -> av.AudioFrame:
    frame = av.AudioFrame(format=fmt, layout="mono", samples=samples)
    for plane in frame.planes:
        plane.update(bytes(plane.buffer_size))
    frame.sample_rate, frame.pts = rate, pts
    return frame


@functools.cache
def recording_bytes(
    container: str, video: str | None = None, audio: str | None = None, size=(32, 24)
) -> bytes:
    """A few frames of ``video`` and/or ``audio`` (FFmpeg encoder names) in ``container``
    (an FFmpeg muxer name: mp4, ipod, mov, 3gp, webm, matroska, ogg, mp3, flac, adts)."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as out:
        if video:
            picture = out.add_stream(video, rate=10)
            picture.width, picture.height = size
            picture.pix_fmt = "yuv420p"
        if audio:
            sound = out.add_stream(audio, rate=48000)
            sound.layout = "mono"
        if video:
            for i in range(3):
                out.mux(picture.encode(_video_frame(i, size)))
            out.mux(picture.encode())
        if audio:
            samples = sound.codec_context.frame_size or 1024
            for i in range(3):
                out.mux(sound.encode(_audio_frame(sound.format.name, samples, i * samples, 48000)))
            out.mux(sound.encode())
    return buffer.getvalue()


def wav_bytes() -> bytes:
    """A tenth of a second of silence, written by the standard library."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes(1600))
    return buffer.getvalue()


def mp4_bytes(handler: bytes = b"vide") -> bytes:
    """An H.264 + AAC video (``vide``) or an AAC voice note in MP4 (``soun``)."""
    if handler == b"soun":
        return recording_bytes("ipod", audio="aac")
    return recording_bytes("mp4", video="libx264", audio="aac")


def ogg_opus_bytes() -> bytes:
    return recording_bytes("ogg", audio="libopus")


@pytest.fixture
def message(alice, bob):
    return Message.objects.create(sender=alice, receiver=bob, content="look")


@pytest.fixture
def group_with_members(alice, bob):
    group = Group.objects.create(name="Hikers", created_by=alice)
    GroupMember.objects.create(group=group, user=alice, is_admin=True)
    GroupMember.objects.create(group=group, user=bob)
    return group


@pytest.fixture
def group_message(group_with_members, alice):
    return GroupMessage.objects.create(group=group_with_members, sender=alice, content="look")


@pytest.fixture
def community(alice, group_with_members):
    community = Community.objects.create(name="Valley", created_by=alice)
    community.admins.add(alice)
    CommunityGroup.objects.create(community=community, group=group_with_members)
    return community


@pytest.fixture
def announcement(community, alice):
    return CommunityAnnouncement.objects.create(community=community, sender=alice, content="news")
