import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from attachments.storage import atomic_with_files, attach_media, forward_media
from chats.models import Message, Multimedia
from groups.models import GroupMember
from tests.conftest import token_client
from tests.media.conftest import mp4_bytes, pdf_bytes, png_upload, upload

pytestmark = pytest.mark.django_db


def attach(files, **owner):
    with atomic_with_files():
        return attach_media(files, **owner)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def photo(message):
    return attach([png_upload("beach.png")], message=message)[0]


@pytest.fixture
def document(message):
    return attach([upload("Report <Q1>.pdf", pdf_bytes())], message=message)[0]


def test_metadata_lists_type_size_dimensions_and_urls(alice_api, photo):
    response = alice_api.get(f"/api/v1/media/{photo.id}/")

    assert response.status_code == 200
    data = response.json()
    assert data["multimedia_id"] == photo.id
    assert data["file_type"] == "image/jpeg"
    assert data["kind"] == "image"
    assert (data["width"], data["height"]) == (800, 600)
    assert data["size"] == photo.size
    assert data["original_name"] == "beach.png"
    assert data["download_url"] == f"/api/v1/media/{photo.id}/download/"
    assert data["thumbnail_url"] == f"/api/v1/media/{photo.id}/thumbnail/"
    assert data["uploaded_at"].endswith("Z")


def test_image_download_is_inline_with_its_type_and_nosniff(bob_api, photo):
    response = bob_api.get(f"/api/v1/media/{photo.id}/download/", HTTP_ACCEPT="image/avif,*/*")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline")
    # Stored re-encoded as JPEG, so saved as a .jpg.
    assert 'filename="beach.jpg"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body(response)[:3] == b"\xff\xd8\xff"


def test_document_download_is_an_attachment(alice_api, document):
    response = alice_api.get(f"/api/v1/media/{document.id}/download/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert "Report" in response["Content-Disposition"]
    assert body(response) == pdf_bytes()


def test_text_documents_are_attachments_never_rendered(alice_api, message):
    [item] = attach([upload("notes.html.txt", b"<b>bold</b> text\n")], message=message)

    response = alice_api.get(f"/api/v1/media/{item.id}/download/")

    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Security-Policy"] == "sandbox"


def stored_before(message, *, name: str, file_type: str, data: bytes) -> Multimedia:
    """A row stored before uploads were checked as they are now (or by staff, or a migration)."""
    path = default_storage.save("media/legacy.bin", ContentFile(data))
    return Multimedia.objects.create(
        message=message, file=path, file_type=file_type, original_name=name, size=len(data)
    )


TEXT = "text/plain; charset=utf-8"


@pytest.mark.parametrize(
    ("name", "file_type", "content_type", "filename"),
    [
        ("invoice.html", "text/plain", TEXT, "invoice.txt"),
        ("x.js", "text/plain", TEXT, "x.txt"),
        ("invoice.pdf.bat", "text/plain", TEXT, "invoice.pdf.txt"),
        ("clip.mp4", "audio/amr", "application/octet-stream", "clip.bin"),  # no longer accepted
    ],
)
def test_a_download_is_named_with_an_extension_of_its_stored_type(
    bob_api, message, name, file_type, content_type, filename
):
    item = stored_before(message, name=name, file_type=file_type, data=b"Invoice\n<html>\n")

    response = bob_api.get(f"/api/v1/media/{item.id}/download/")

    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"


def test_thumbnail_is_served_for_images_only(alice_api, photo, document):
    thumb = alice_api.get(f"/api/v1/media/{photo.id}/thumbnail/")
    none = alice_api.get(f"/api/v1/media/{document.id}/thumbnail/")

    assert thumb.status_code == 200
    assert thumb["Content-Type"] == "image/jpeg"
    assert none.status_code == 404


def test_anonymous_gets_401(api_client, photo):
    assert api_client.get(f"/api/v1/media/{photo.id}/download/").status_code == 401


@pytest.mark.parametrize("path", ["", "download/", "thumbnail/"])
def test_stranger_gets_404_like_a_missing_file(carol_api, photo, path):
    hidden = carol_api.get(f"/api/v1/media/{photo.id}/{path}")
    missing = carol_api.get(f"/api/v1/media/{photo.id + 1000}/{path}")

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_removed_message_hides_its_media_from_both_sides(alice_api, bob_api, photo, message):
    message.removed_at = timezone.now()
    message.save(update_fields=["removed_at"])

    assert alice_api.get(f"/api/v1/media/{photo.id}/download/").status_code == 404
    assert bob_api.get(f"/api/v1/media/{photo.id}/download/").status_code == 404


def test_group_media_is_for_current_members_only(group_message, alice, bob, carol):
    [item] = attach([upload("a.pdf", pdf_bytes())], group_message=group_message)
    url = f"/api/v1/media/{item.id}/download/"

    assert token_client(alice).get(url).status_code == 200
    assert token_client(bob).get(url).status_code == 200
    assert token_client(carol).get(url).status_code == 404

    GroupMember.objects.filter(group=group_message.group, user=bob).delete()
    assert token_client(bob).get(url).status_code == 404


def test_announcement_media_is_for_community_admins_and_members(
    announcement, community, alice, bob, carol, make_user
):
    [item] = attach([upload("a.pdf", pdf_bytes())], announcement=announcement)
    admin_only = make_user("Admin only")
    community.admins.add(admin_only)
    url = f"/api/v1/media/{item.id}/download/"

    assert token_client(alice).get(url).status_code == 200
    assert token_client(bob).get(url).status_code == 200  # member through a group
    assert token_client(admin_only).get(url).status_code == 200
    assert token_client(carol).get(url).status_code == 404


def test_forwarded_copy_is_visible_to_its_new_receiver_only(photo, message, alice, bob, carol):
    forward = Message.objects.create(sender=bob, receiver=carol, forwarded_from=message)

    with transaction.atomic():
        [copy] = forward_media(message, message=forward)

    assert token_client(carol).get(f"/api/v1/media/{copy.id}/download/").status_code == 200
    assert token_client(carol).get(f"/api/v1/media/{photo.id}/download/").status_code == 404
    assert token_client(alice).get(f"/api/v1/media/{copy.id}/download/").status_code == 404


def test_schema_documents_the_media_endpoints(alice_api):
    response = alice_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    paths = response.json()["paths"]
    assert "/api/v1/media/{multimedia_id}/download/" in paths
    assert "/api/v1/media/{multimedia_id}/thumbnail/" in paths


def test_byte_ranges_are_served_for_players(alice_api, message):
    data = bytes(range(256)) * 8
    with atomic_with_files():
        [item] = attach_media([upload("clip.mp4", mp4_bytes() + data)], message=message)
    url = f"/api/v1/media/{item.id}/download/"
    whole = body(alice_api.get(url))

    part = alice_api.get(url, HTTP_RANGE="bytes=10-19")
    tail = alice_api.get(url, HTTP_RANGE="bytes=-5")
    open_ended = alice_api.get(url, HTTP_RANGE=f"bytes={len(whole) - 3}-")
    outside = alice_api.get(url, HTTP_RANGE=f"bytes={len(whole) + 10}-")

    assert alice_api.get(url)["Accept-Ranges"] == "bytes"
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 10-19/{len(whole)}"
    assert part["Content-Type"] == "video/mp4"
    assert body(part) == whole[10:20]
    assert body(tail) == whole[-5:]
    assert body(open_ended) == whole[-3:]
    assert outside.status_code == 416
    assert outside["Content-Range"] == f"bytes */{len(whole)}"
