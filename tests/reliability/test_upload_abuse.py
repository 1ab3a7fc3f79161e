"""Hostile uploads through every endpoint that takes files: a clear error, nothing stored.

The checks themselves are tested in tests/media and tests/accounts; here every public way in
(REST for messages, group messages, announcements, stories and profile pictures, and the
conversation page's form) is fed the same hostile files.
"""

import functools
import io
import json
import random
import zipfile

import pytest
from channels.testing import HttpCommunicator
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
from whatsapp.asgi import application
from whatsapp.request_limits import LimitRequestBody

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
HTML_AFTER_TEXT = b"Invoice 42\n" + HTML_PAGE
JUNK = random.Random(6).randbytes(4096)
MP4_HEADER = b"\x00\x00\x00\x18ftypisom"


def zip_with_mimetype(mimetype: str) -> bytes:
    """A zip whose only entry, ``mimetype``, says what it is (as OpenDocument's first does)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", mimetype)
    return buffer.getvalue()


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
    # A red-team pass got these stored: text under a name a browser or an OS would run, and
    # anything at all behind a short magic number, served inline as audio or video.
    "html after a line of text": ("invoice.html", lambda: HTML_AFTER_TEXT, "text/html"),
    "script named js": ("x.js", lambda: b"alert(document.cookie)\n", "text/javascript"),
    "batch file named pdf.bat": ("invoice.pdf.bat", lambda: b"@echo off\r\n", "application/pdf"),
    "junk after an mp4 header": (
        "clip.mp4",
        lambda: b"\x00\x00\x00\x18ftypisom" + JUNK,
        "video/mp4",
    ),
    "junk after an ogg header": ("voice.ogg", lambda: b"OggS" + JUNK, "audio/ogg"),
    "junk after an amr header": ("voice.amr", lambda: b"#!AMR\n" + JUNK, "audio/amr"),
    "zip naming itself a video": ("clip.mp4", lambda: zip_with_mimetype("video/mp4"), "video/mp4"),
    "zip naming itself an epub": (
        "book.epub",
        lambda: zip_with_mimetype("application/epub+zip"),
        "application/epub+zip",
    ),
    "zip naming itself an odt": (
        "letter.odt",
        lambda: zip_with_mimetype("application/vnd.oasis.opendocument.text"),
        "application/vnd.oasis.opendocument.text",
    ),
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
    """Send ``file`` (or a list of files, where a message takes several) through one way in;
    the status and the response text."""
    api = token_client(alice)
    files = file if isinstance(file, list) else [file]
    if way == "message":
        body = {"receiver_id": targets["bob"].id, "content": "", "files": files}
        response = api.post("/api/v1/messages/", body, format="multipart")
    elif way == "group message":
        response = api.post(
            f"/api/v1/groups/{targets['group'].id}/messages/", {"files": files}, format="multipart"
        )
    elif way == "announcement":
        response = api.post(
            f"/api/v1/communities/{targets['community'].id}/announcements/",
            {"files": files},
            format="multipart",
        )
    elif way == "story":
        response = api.post("/api/v1/stories/", {"file": file}, format="multipart")
    elif way == "profile picture":
        response = api.patch("/api/v1/users/me/", {"profile_picture": file}, format="multipart")
    else:  # the conversation page's form (no JavaScript)
        page = Client()
        page.force_login(alice)
        response = page.post(f"/chats/{targets['bob'].id}/", {"content": "", "files": files})
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
    """Downloads carry their sniffed type (not the declared one), a name of that type, nosniff
    and a sandbox. (Named ``page.html`` the upload is refused: see HOSTILE.)"""
    api = token_client(alice)
    text = SimpleUploadedFile("page", b"just words, declared as HTML", "text/html")
    sent = api.post(
        "/api/v1/messages/",
        {"receiver_id": targets["bob"].id, "content": "", "files": [text]},
        format="multipart",
    ).json()

    download = api.get(sent["media"][0]["download_url"])

    assert download["Content-Type"].startswith("text/plain")
    assert download["Content-Disposition"] == 'attachment; filename="page.txt"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download["Content-Security-Policy"]


# --- the bound on one request ------------------------------------------------------------------

MESSAGE_WAYS = ["message", "group message", "announcement", "page form"]


@pytest.mark.parametrize("way", MESSAGE_WAYS)
def test_more_files_than_a_message_takes_are_a_413_and_store_nothing(alice, targets, settings, way):
    settings.MAX_UPLOAD_FILES = 2
    files = [SimpleUploadedFile(f"{i}.txt", b"notes\n", "text/plain") for i in range(3)]

    status, text = upload_via(way, alice, targets, files)

    assert status == 413
    assert "At most 2 files" in text
    assert nothing_stored()


@pytest.mark.parametrize("way", MESSAGE_WAYS)
def test_files_too_large_together_are_a_413_and_store_nothing(alice, targets, settings, way):
    settings.MAX_UPLOAD_TOTAL_SIZE = 10_000
    files = [SimpleUploadedFile(f"{i}.txt", b"x" * 6_000, "text/plain") for i in range(2)]

    status, text = upload_via(way, alice, targets, files)

    assert status == 413
    assert "too large together" in text
    assert nothing_stored()


class FakeApp:
    """An HTTP application that reads the whole body, then answers 200."""

    def __init__(self):
        self.called = False
        self.body = b""
        self.last_message = None

    async def __call__(self, scope, receive, send):
        self.called = True
        while True:
            message = await receive()
            self.last_message = message
            if message["type"] != "http.request":
                return
            self.body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def call(app, *, path="/api/v1/messages/", content_length=None, chunks=(b"",)):
    """Run ``app`` on one request; what it sent back, and how many body chunks it read."""
    headers = [(b"content-type", b"multipart/form-data; boundary=x")]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    pending = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    sent, read = [], []

    async def receive():
        read.append(pending[0])
        return pending.pop(0)

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    return sent, len(read)


async def test_a_body_declared_too_large_is_a_413_before_a_byte_is_read(settings):
    settings.MAX_REQUEST_BODY_SIZE = 1_000
    inner = FakeApp()

    sent, read = await call(LimitRequestBody(inner), content_length=1_001, chunks=[b"x" * 1_001])

    assert not inner.called and read == 0
    assert sent[0]["status"] == 413
    assert (b"connection", b"close") in sent[0]["headers"]
    assert json.loads(sent[1]["body"])["code"] == "too_large"


async def test_a_body_that_grows_past_the_bound_is_cut_off_with_a_413(settings):
    settings.MAX_REQUEST_BODY_SIZE = 1_000
    inner = FakeApp()

    sent, read = await call(LimitRequestBody(inner), chunks=[b"x" * 600, b"x" * 600, b"x" * 600])

    assert read == 2  # it stopped at the chunk that crossed the bound
    assert inner.last_message == {"type": "http.disconnect"}
    assert [message.get("status") for message in sent] == [413, None]
    assert sent[1]["body"].startswith(b'{"detail": "The request is too large')


async def test_a_page_gets_the_413_as_text(settings):
    settings.MAX_REQUEST_BODY_SIZE = 1_000

    sent, _ = await call(LimitRequestBody(FakeApp()), path="/chats/2/", content_length=5_000)

    assert sent[0]["status"] == 413
    assert (b"content-type", b"text/plain; charset=utf-8") in sent[0]["headers"]
    assert sent[1]["body"].startswith(b"The request is too large")


async def test_a_body_within_the_bound_reaches_the_app_whole(settings):
    settings.MAX_REQUEST_BODY_SIZE = 1_000
    inner = FakeApp()

    sent, _ = await call(LimitRequestBody(inner), content_length=1_000, chunks=[b"x" * 500] * 2)

    assert inner.body == b"x" * 1_000
    assert sent[0]["status"] == 200


async def test_the_server_application_bounds_request_bodies(settings):
    """The ASGI application every server runs refuses an oversized upload before reading it."""
    settings.MAX_REQUEST_BODY_SIZE = 1_000
    communicator = HttpCommunicator(
        application,
        "POST",
        "/api/v1/messages/",
        body=b"x" * 2_000,
        headers=[
            (b"content-type", b"multipart/form-data; boundary=x"),
            (b"content-length", b"2000"),
        ],
    )

    response = await communicator.get_response()

    assert response["status"] == 413
    assert json.loads(response["body"])["code"] == "too_large"
