"""Hostile uploads through every endpoint that takes files: a clear error, nothing stored.

The checks themselves are tested in tests/media and tests/accounts; here every public way in
(REST for messages, group messages, announcements, stories and profile pictures, and the
conversation page's form) is fed the same hostile files.
"""

import functools
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from chats.models import Message, Multimedia
from communities import services as community_services
from communities.models import CommunityAnnouncement
from groups import services as group_services
from groups.models import GroupMessage
from stories.models import Story
from tests.conftest import stored_files, token_client
from tests.media.conftest import image_bytes
from tests.reliability.conftest import befriend

pytestmark = pytest.mark.django_db


def png(size=(64, 64)) -> bytes:
    return image_bytes("PNG", size)


@functools.cache
def bomb() -> bytes:
    """144 megapixels of 1-bit PNG: under 200 kB on disk, gigabytes once decoded."""
    buffer = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(buffer, "PNG")
    return buffer.getvalue()


SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(document.cookie)</script><circle r='5'/></svg>"
)
HTML_PAGE = b"<!doctype html><html><body><script>alert(1)</script></body></html>"

HOSTILE = {
    "decompression bomb": ("bomb.png", bomb, "image/png"),
    "svg with script": ("logo.svg", lambda: SVG_WITH_SCRIPT, "image/svg+xml"),
    "svg named png": ("logo.png", lambda: SVG_WITH_SCRIPT, "image/png"),
    "html named jpeg": ("photo.jpg", lambda: HTML_PAGE, "image/jpeg"),
    "executable named pdf": (
        "invoice.pdf",
        lambda: b"MZ\x90\x00" + b"\x00" * 200,
        "application/pdf",
    ),
    "elf named mp4": ("clip.mp4", lambda: b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "video/mp4"),
    "truncated png": ("cut.png", lambda: png((400, 400))[:300], "image/png"),
    "truncated jpeg": ("cut.jpg", lambda: image_bytes("JPEG", (400, 400))[:200], "image/jpeg"),
    "gif polyglot": ("x.gif", lambda: b"GIF89a/*\x00\x00*/=alert(1)//;", "image/gif"),
    "zero bytes": ("empty.png", lambda: b"", "image/png"),
    "zero-byte document": ("empty.pdf", lambda: b"", "application/pdf"),
}


def hostile_file(kind: str) -> SimpleUploadedFile:
    name, make, content_type = HOSTILE[kind]
    return SimpleUploadedFile(name, make(), content_type=content_type)


def nothing_stored() -> bool:
    return (
        Message.objects.count() == 0
        and GroupMessage.objects.count() == 0
        and CommunityAnnouncement.objects.count() == 0
        and Story.objects.count() == 0
        and Multimedia.objects.count() == 0
        and stored_files() == []
    )


@pytest.fixture
def targets(alice, bob):
    befriend(alice, bob)
    group = group_services.create_group(alice, name="G", members=[bob])
    community = community_services.create_community(alice, name="C")
    community_services.add_community_group(alice, community=community, group=group)
    return {"bob": bob, "group": group, "community": community}


def upload_via(way: str, alice, targets, file) -> tuple[int, str]:
    """Send ``file`` through one way in; the status and the response text."""
    api = token_client(alice)
    if way == "message":
        body = {"receiver_id": targets["bob"].id, "content": "", "files": [file]}
        response = api.post("/api/v1/messages/", body, format="multipart")
    elif way == "group message":
        response = api.post(
            f"/api/v1/groups/{targets['group'].id}/messages/", {"files": [file]}, format="multipart"
        )
    elif way == "announcement":
        response = api.post(
            f"/api/v1/communities/{targets['community'].id}/announcements/",
            {"files": [file]},
            format="multipart",
        )
    elif way == "story":
        response = api.post("/api/v1/stories/", {"file": file}, format="multipart")
    elif way == "profile picture":
        response = api.patch("/api/v1/users/me/", {"profile_picture": file}, format="multipart")
    else:  # the conversation page's form (no JavaScript)
        page = Client()
        page.force_login(alice)
        response = page.post(f"/chats/{targets['bob'].id}/", {"content": "", "files": [file]})
    return response.status_code, response.content.decode("utf-8", errors="replace")


WAYS = ["message", "group message", "announcement", "story", "profile picture", "page form"]


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_uploads_are_refused_clearly_and_store_nothing(alice, targets, way, kind):
    status, text = upload_via(way, alice, targets, hostile_file(kind))
    alice.refresh_from_db()

    assert status == 400, text[:500]
    # A clear error: it names what is wrong, not a stack trace or a generic failure.
    lowered = text.lower()
    assert any(
        word in lowered
        for word in ("image", "file", "type", "supported", "empty", "large", "decode", "picture")
    ), text[:500]
    assert nothing_stored()
    assert not alice.profile_picture


@pytest.mark.parametrize("way", ["message", "story", "profile picture"])
def test_an_oversized_upload_is_a_413_and_stores_nothing(alice, targets, settings, way):
    settings.MAX_UPLOAD_SIZE = 10_000
    big = SimpleUploadedFile("big.png", png((600, 600)) + b"\x00" * 20_000, "image/png")

    status, _ = upload_via(way, alice, targets, big)

    assert status == 413
    assert nothing_stored()


def test_the_same_files_pass_when_they_are_genuine(alice, targets):
    """The refusals above come from the files, not from a broken endpoint."""
    for way in WAYS:
        status, text = upload_via(
            way, alice, targets, SimpleUploadedFile("ok.png", png(), "image/png")
        )
        assert status in (200, 201, 302), (way, text[:300])
    assert Multimedia.objects.count() == 4 and Story.objects.count() == 1
    assert Message.objects.count() == 2  # the REST send and the page form


def test_stored_files_are_never_served_inline_as_markup(alice, targets):
    """Downloads carry their sniffed type (not the declared one), nosniff and a sandbox."""
    api = token_client(alice)
    text = SimpleUploadedFile("page.html", b"just words, declared as HTML", "text/html")
    sent = api.post(
        "/api/v1/messages/",
        {"receiver_id": targets["bob"].id, "content": "", "files": [text]},
        format="multipart",
    ).json()

    download = api.get(sent["media"][0]["download_url"])

    assert download["Content-Type"].startswith("text/plain")
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download["Content-Security-Policy"]
