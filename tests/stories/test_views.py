import json

import pytest
from django.test import Client
from django.urls import reverse

from stories import services
from stories.models import Story
from tests.conftest import PASSWORD
from tests.stories.conftest import befriend

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    assert client.login(phone_number=user.phone_number, password=PASSWORD)
    return client


def test_status_url_keeps_its_name():
    assert reverse("stories:status") == "/status/"


def test_anonymous_is_sent_to_login(client):
    response = client.get("/status/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_status_tab_lists_unseen_then_viewed_contacts(friends, carol, make_user):
    alice, bob = friends
    befriend(alice, carol)
    services.post_story(bob, content="Bob's day")
    carol_story = services.post_story(carol, content="Carol's day")
    services.view_story(alice, story=carol_story)

    response = logged_in(alice).get("/status/")

    assert response.status_code == 200
    page = response.content.decode()
    recent = page.split('aria-label="Recent updates"')[1].split("</ul>")[0]
    viewed = page.split('aria-label="Viewed updates"')[1].split("</ul>")[0]
    assert 'aria-label="Bob, 1 new"' in recent
    assert 'aria-label="Carol"' in viewed
    assert 'aria-current="page"' in page.split("Status</span>")[0].rsplit("<a", 1)[1]


def test_status_page_embeds_only_visible_stories_as_json(friends, mallory):
    alice, bob = friends
    services.post_story(bob, content="visible")
    services.post_story(mallory, content="secret")

    response = logged_in(alice).get("/status/")

    data = json.loads(
        response.content.decode()
        .split('id="status-data" type="application/json">')[1]
        .split("</script>")[0]
    )
    assert [s["content"] for s in data] == ["visible"]


def test_posting_a_text_status_from_the_form(alice):
    response = logged_in(alice).post(
        "/status/", {"content": "Coffee time", "background_color": "#aa00aa"}
    )

    assert response.status_code == 302
    story = Story.objects.get()
    assert (story.content, story.background_color) == ("Coffee time", "#aa00aa")


def test_posting_a_photo_status_from_the_form(alice, photo_upload):
    response = logged_in(alice).post("/status/", {"content": "Look", "file": photo_upload})

    assert response.status_code == 302
    assert Story.objects.get().file_type == "image/jpeg"


def test_form_errors_are_shown_and_nothing_posted(alice):
    response = logged_in(alice).post("/status/", {"content": ""})

    assert response.status_code == 400
    assert "Write something" in response.content.decode()
    assert Story.objects.count() == 0


def test_page_has_no_inline_scripts(alice):
    page = logged_in(alice).get("/status/").content.decode()

    for chunk in page.split("<script")[1:]:
        head = chunk.split(">", 1)[0]
        assert "src=" in head or 'type="application/json"' in head
    assert "onclick" not in page


def test_status_page_hides_a_suspended_authors_stories(friends, carol, suspend):
    alice, bob = friends
    befriend(alice, carol)
    services.post_story(bob, content="from a suspended account")
    services.post_story(carol, content="still here")
    suspend(bob)

    page = logged_in(alice).get("/status/").content.decode()

    data = json.loads(
        page.split('id="status-data" type="application/json">')[1].split("</script>")[0]
    )
    assert [s["content"] for s in data] == ["still here"]
    assert 'aria-label="Bob' not in page
