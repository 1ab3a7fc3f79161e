"""Fixtures for attachments: real image bytes, uploads, and messages to attach them to."""

import io
import zipfile

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


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def mp4_bytes(handler: bytes = b"vide") -> bytes:
    ftyp = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
    hdlr = b"\x00\x00\x00\x21hdlr\x00\x00\x00\x00\x00\x00\x00\x00" + handler + b"\x00" * 13
    return ftyp + b"\x00\x00\x00\x08free" + hdlr


def ogg_opus_bytes() -> bytes:
    return b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x13OpusHead\x01\x01" + b"\x00" * 64


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
