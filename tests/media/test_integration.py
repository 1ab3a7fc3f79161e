"""Attachments through the messaging endpoints: multipart in, media out, forwards share bytes."""

import pytest

from chats.models import Message, Multimedia
from chats.services import send_message
from communities import services as community_services
from groups import services as group_services
from groups.models import GroupMessage
from tests.conftest import PASSWORD, stored_files, token_client
from tests.media.conftest import mp4_bytes, ogg_opus_bytes, pdf_bytes, png_upload, upload
from tests.stories.conftest import befriend

pytestmark = pytest.mark.django_db


def test_message_with_files_over_multipart(alice_api, bob_api, alice, bob):
    response = alice_api.post(
        "/api/v1/messages/",
        {
            "receiver_id": bob.id,
            "content": "",
            "files": [png_upload(), upload("a.pdf", pdf_bytes())],
        },
        format="multipart",
    )

    assert response.status_code == 201, response.content
    media = response.json()["media"]
    assert [m["kind"] for m in media] == ["image", "document"]
    assert media[0]["thumbnail_url"].endswith("/thumbnail/")
    assert bob_api.get(media[1]["download_url"]).status_code == 200


def test_a_bad_file_stores_no_message_and_no_bytes(alice_api, bob):
    response = alice_api.post(
        "/api/v1/messages/",
        {"receiver_id": bob.id, "content": "hi", "files": [upload("x.png", b"nope", "image/png")]},
        format="multipart",
    )

    assert response.status_code == 400
    assert "files" in response.json()
    assert Message.objects.count() == 0
    assert stored_files() == []


def test_an_oversized_file_is_413_over_rest(alice_api, bob, settings):
    settings.MAX_UPLOAD_SIZE = 2048

    response = alice_api.post(
        "/api/v1/messages/",
        {"receiver_id": bob.id, "files": [upload("a.pdf", pdf_bytes() + b"%" * 4096)]},
        format="multipart",
    )

    assert response.status_code == 413
    assert Message.objects.count() == 0


def test_forwarding_over_rest_forwards_media_without_copying(alice_api, alice, bob, carol):
    sent = alice_api.post(
        "/api/v1/messages/",
        {"receiver_id": bob.id, "files": [png_upload()]},
        format="multipart",
    ).json()
    files_before = stored_files()

    response = token_client(bob).post(
        f"/api/v1/messages/{sent['message_id']}/forward/",
        {"receiver_ids": [carol.id]},
        format="json",
    )

    assert response.status_code in (200, 201), response.content
    body = response.json()
    copy = (body["results"] if isinstance(body, dict) and "results" in body else body)[0]
    [media] = copy["media"]
    assert media["forwarded_from_multimedia_id"] == sent["media"][0]["multimedia_id"]
    assert stored_files() == files_before
    assert token_client(carol).get(media["download_url"]).status_code == 200
    original = Multimedia.objects.get(id=sent["media"][0]["multimedia_id"])
    assert Multimedia.objects.get(id=media["multimedia_id"]).file.name == original.file.name


def test_group_message_with_files(alice_api, alice, bob, carol):
    befriend(alice, bob)
    group = group_services.create_group(alice, name="Trip", members=[bob])

    response = alice_api.post(
        f"/api/v1/groups/{group.id}/messages/",
        {"content": "map", "files": [upload("map.pdf", pdf_bytes())]},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    [media] = response.json()["media"]
    assert GroupMessage.objects.get().media.count() == 1
    assert token_client(bob).get(media["download_url"]).status_code == 200
    assert token_client(carol).get(media["download_url"]).status_code == 404


def test_announcement_with_files(alice_api, alice, bob, carol):
    befriend(alice, bob)
    group = group_services.create_group(alice, name="Street", members=[bob])
    community = community_services.create_community(alice, name="Town")
    community_services.add_community_group(alice, community=community, group=group)

    response = alice_api.post(
        f"/api/v1/communities/{community.id}/announcements/",
        {"content": "", "files": [png_upload()]},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    [media] = response.json()["media"]
    assert token_client(bob).get(media["download_url"]).status_code == 200
    assert token_client(carol).get(media["download_url"]).status_code == 404


def test_browser_form_post_attaches_files(client, alice, bob):
    client.login(phone_number=alice.phone_number, password=PASSWORD)

    response = client.post(
        f"/chats/{bob.id}/", {"content": "", "client_id": "", "files": [png_upload()]}
    )

    assert response.status_code == 302
    page = client.get(f"/chats/{bob.id}/").content.decode()
    item = Multimedia.objects.get()
    assert f'src="/api/v1/media/{item.id}/thumbnail/"' in page
    assert "data-lightbox" in page


def test_server_side_rendering_of_each_kind(client, alice, bob):
    send_message(
        alice,
        receiver=bob,
        content="",
        files=[
            upload("clip.mp4", mp4_bytes()),
            upload("voice.ogg", ogg_opus_bytes()),
            upload("doc.pdf", pdf_bytes()),
        ],
    )
    client.login(phone_number=bob.phone_number, password=PASSWORD)

    page = client.get(f"/chats/{alice.id}/").content.decode()

    assert '<video class="bubble-media media-video"' in page
    assert '<audio class="media-audio"' in page
    # The server's Content-Disposition names the download (by its stored type), not the page.
    assert 'class="bubble-file media-document"' in page and " download>" in page
    assert '<span class="media-document-name">doc.pdf</span>' in page
