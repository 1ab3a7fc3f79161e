from pathlib import Path

import pytest
from django.conf import settings

from stories import services

pytestmark = pytest.mark.django_db


def test_changelist_shows_view_counts_and_searches_content(superuser_client, friends, text_story):
    alice, bob = friends
    services.view_story(bob, story=text_story)

    response = superuser_client.get("/admin/stories/story/?q=mountains")

    assert response.status_code == 200
    assert b"Hello from the mountains" in response.content


def test_remove_action_deletes_stories_and_files(
    superuser_client, alice, photo_upload, django_capture_on_commit_callbacks
):
    story = services.post_story(alice, file=photo_upload)

    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(
            "/admin/stories/story/",
            {"action": "remove_stories", "_selected_action": [story.id]},
        )

    assert response.status_code == 302
    story.refresh_from_db()
    assert story.removed_at is not None  # a tombstone (moderation), invisible to everyone
    root = Path(settings.MEDIA_ROOT)
    assert not [p for p in root.rglob("*") if p.is_file()]


def test_story_view_admin_loads(superuser_client, friends, text_story):
    services.view_story(friends[1], story=text_story)

    assert superuser_client.get("/admin/stories/storyview/").status_code == 200
