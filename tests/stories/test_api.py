from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from stories import services
from stories.models import Story, StoryView
from tests.conftest import token_client
from tests.stories.conftest import befriend

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_post_text_story(alice_api, alice):
    response = alice_api.post(
        "/api/v1/stories/", {"content": "Off to the beach", "background_color": "#123abc"}
    )

    assert response.status_code == 201
    data = response.json()
    assert data["content"] == "Off to the beach"
    assert data["background_color"] == "#123abc"
    assert data["kind"] == "text"
    assert data["file_url"] is None
    assert data["user_id"] == alice.id
    assert data["view_count"] == 0
    assert data["viewed"] is False
    assert data["created_at"].endswith("Z") and data["expires_at"].endswith("Z")


def test_post_photo_story_multipart(alice_api, photo_upload):
    response = alice_api.post(
        "/api/v1/stories/", {"content": "Sunset", "file": photo_upload}, format="multipart"
    )

    assert response.status_code == 201
    data = response.json()
    assert data["kind"] == "image"
    assert data["file_type"] == "image/jpeg"
    assert data["file_url"] == f"/api/v1/stories/{data['story_id']}/file/"
    assert data["thumbnail_url"] == f"/api/v1/stories/{data['story_id']}/thumbnail/"
    assert alice_api.get(data["file_url"]).status_code == 200


def test_empty_story_is_a_400_on_content(alice_api):
    response = alice_api.post("/api/v1/stories/", {"content": ""})

    assert response.status_code == 400
    assert "content" in response.json()


def test_oversized_story_is_413(alice_api, photo_upload, settings):
    settings.MAX_UPLOAD_SIZE = 1000

    response = alice_api.post("/api/v1/stories/", {"file": photo_upload}, format="multipart")

    assert response.status_code == 413
    assert Story.objects.count() == 0


def test_fake_image_is_400(alice_api):
    fake = SimpleUploadedFile("x.png", b"text pretending", content_type="image/png")
    response = alice_api.post("/api/v1/stories/", {"file": fake}, format="multipart")

    assert response.status_code == 400
    assert "file" in response.json()


def test_list_shows_mine_and_mutual_contacts_only(
    friends, one_way, blocked_friend, mallory, text_story
):
    alice, bob = friends
    bob_story = services.post_story(bob, content="Bob here")
    services.post_story(one_way, content="Carol here")
    services.post_story(blocked_friend, content="Dave here")
    services.post_story(mallory, content="Mallory here")

    response = token_client(alice).get("/api/v1/stories/")

    assert response.status_code == 200
    ids = [item["story_id"] for item in response.json()["results"]]
    assert ids == [bob_story.id, text_story.id]


def test_list_filters_by_author(friends, text_story):
    alice, bob = friends
    services.post_story(bob, content="Bob here")

    response = token_client(bob).get(f"/api/v1/stories/?user_id={alice.id}")

    assert [item["story_id"] for item in response.json()["results"]] == [text_story.id]


def test_view_is_recorded_once(friends, text_story):
    alice, bob = friends
    client = token_client(bob)

    first = client.post(f"/api/v1/stories/{text_story.id}/view/")
    second = client.post(f"/api/v1/stories/{text_story.id}/view/")

    assert first.status_code == 201
    assert second.status_code == 200
    assert first.json()["story_view_id"] == second.json()["story_view_id"]
    assert StoryView.objects.count() == 1
    listed = client.get("/api/v1/stories/").json()["results"][0]
    assert listed["viewed"] is True
    assert listed["view_count"] is None  # not the author


def test_author_viewing_own_story_is_not_counted(alice_api, text_story):
    response = alice_api.post(f"/api/v1/stories/{text_story.id}/view/")

    assert response.status_code == 204
    assert StoryView.objects.count() == 0


def test_viewers_list_is_for_the_author_only(friends, text_story, mallory):
    alice, bob = friends
    token_client(bob).post(f"/api/v1/stories/{text_story.id}/view/")

    mine = token_client(alice).get(f"/api/v1/stories/{text_story.id}/views/")
    theirs = token_client(bob).get(f"/api/v1/stories/{text_story.id}/views/")
    stranger = token_client(mallory).get(f"/api/v1/stories/{text_story.id}/views/")

    assert mine.status_code == 200
    assert [v["user"]["name"] for v in mine.json()["results"]] == ["Bob"]
    assert theirs.status_code == 403
    assert stranger.status_code == 404


def test_delete_by_author_only(friends, text_story, mallory):
    alice, bob = friends

    assert token_client(mallory).delete(f"/api/v1/stories/{text_story.id}/").status_code == 404
    assert token_client(bob).delete(f"/api/v1/stories/{text_story.id}/").status_code == 403
    assert token_client(alice).delete(f"/api/v1/stories/{text_story.id}/").status_code == 204
    assert Story.objects.count() == 0


@pytest.mark.parametrize("path", ["", "file/", "thumbnail/", "view/"])
def test_strangers_get_404_for_everything(alice, mallory, photo_upload, path):
    story = services.post_story(alice, file=photo_upload)
    client = token_client(mallory)

    response = (
        client.post(f"/api/v1/stories/{story.id}/{path}")
        if path == "view/"
        else (client.get(f"/api/v1/stories/{story.id}/{path}"))
    )

    assert response.status_code == 404


def test_story_file_is_served_to_a_mutual_contact(friends, photo_upload):
    alice, bob = friends
    story = services.post_story(alice, file=photo_upload)

    response = token_client(bob).get(f"/api/v1/stories/{story.id}/file/")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body(response)[:3] == b"\xff\xd8\xff"


def test_expired_story_is_gone_from_every_endpoint(friends, photo_upload):
    alice, bob = friends
    story = services.post_story(alice, file=photo_upload)
    Story.objects.filter(id=story.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    client = token_client(bob)

    assert client.get("/api/v1/stories/").json()["results"] == []
    assert client.get(f"/api/v1/stories/{story.id}/").status_code == 404
    assert client.get(f"/api/v1/stories/{story.id}/file/").status_code == 404
    assert client.post(f"/api/v1/stories/{story.id}/view/").status_code == 404


def test_schema_has_the_story_endpoints(alice_api):
    paths = alice_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()[
        "paths"
    ]

    for path in ["/api/v1/stories/", "/api/v1/stories/{story_id}/views/"]:
        assert path in paths


@pytest.mark.parametrize("count", [2, 12])
def test_story_list_query_count_is_flat(alice, make_user, count, django_assert_num_queries):
    for i in range(count):
        friend = make_user(f"Friend {i}", f"+1415557{i:04d}")
        befriend(alice, friend)
        services.post_story(friend, content=f"story {i}")
    client = token_client(alice)

    with django_assert_num_queries(4):  # token+user, count, page, who blocked me
        response = client.get("/api/v1/stories/")

    assert len(response.json()["results"]) == count


def test_suspended_authors_story_is_gone_from_every_endpoint(friends, photo_upload, suspend):
    alice, bob = friends
    story = services.post_story(alice, file=photo_upload)
    suspend(alice)
    client = token_client(bob)

    assert client.get("/api/v1/stories/").json()["results"] == []
    assert client.get(f"/api/v1/stories/?user_id={alice.id}").json()["results"] == []
    assert client.get(f"/api/v1/stories/{story.id}/").status_code == 404
    assert client.get(f"/api/v1/stories/{story.id}/file/").status_code == 404
    assert client.get(f"/api/v1/stories/{story.id}/thumbnail/").status_code == 404
    assert client.post(f"/api/v1/stories/{story.id}/view/").status_code == 404
    assert not StoryView.objects.exists()
