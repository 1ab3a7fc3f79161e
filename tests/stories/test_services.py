from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from attachments.exceptions import UnsupportedFile
from stories import selectors, services
from stories.models import Story, StoryView
from tests.conftest import stored_files
from tests.media.conftest import mp4_bytes, ogg_opus_bytes, pdf_bytes, upload
from whatsapp.errors import DomainError, Forbidden, NotFound, PayloadTooLarge

pytestmark = pytest.mark.django_db


def test_text_story_expires_24_hours_after_creation(alice):
    story = services.post_story(alice, content="  Hiking today  ", background_color="#FF0000")

    assert story.content == "Hiking today"
    assert story.background_color == "#ff0000"
    assert story.expires_at - story.created_at == timedelta(hours=24)
    assert not story.file


def test_photo_story_is_verified_stored_and_thumbnailed(alice, photo_upload):
    story = services.post_story(alice, content="Sunset", file=photo_upload)

    assert story.file_type == "image/jpeg"
    assert (story.width, story.height) == (900, 1600)
    assert default_storage.exists(story.file.name)
    assert default_storage.exists(story.thumbnail.name)
    assert story.file.name.startswith("stories/")


def test_story_needs_text_or_a_file(alice):
    with pytest.raises(DomainError) as excinfo:
        services.post_story(alice, content="   ")

    assert excinfo.value.field == "content"


@pytest.mark.parametrize("colour", ["red", "#12345", "#gggggg", "url(x)"])
def test_background_colour_must_be_hex(alice, colour):
    with pytest.raises(DomainError) as excinfo:
        services.post_story(alice, content="x", background_color=colour)

    assert excinfo.value.field == "background_color"


def test_documents_cannot_be_stories(alice):
    with pytest.raises(UnsupportedFile):
        services.post_story(alice, file=upload("a.pdf", pdf_bytes()))

    assert Story.objects.count() == 0
    assert stored_files() == []


def test_oversized_story_file_is_413_and_nothing_stored(alice, photo_upload, settings):
    settings.MAX_UPLOAD_SIZE = 100

    with pytest.raises(PayloadTooLarge):
        services.post_story(alice, file=photo_upload)

    assert Story.objects.count() == 0


def test_a_failed_save_leaves_no_file(alice, photo_upload, monkeypatch):
    def broken_save(self, *args, **kwargs):
        raise OSError("database went away")

    monkeypatch.setattr(Story, "save", broken_save)

    with pytest.raises(OSError):
        services.post_story(alice, content="x", file=photo_upload)

    assert stored_files() == []


def test_new_story_is_pushed_to_its_audience_only(
    alice,
    friends,
    one_way,
    blocked_friend,
    mallory,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    sent = []
    monkeypatch.setattr(
        "whatsapp.realtime._send", lambda group, frame, exclude: sent.append((group, frame))
    )
    _, bob = friends

    with django_capture_on_commit_callbacks(execute=True):
        story = services.post_story(alice, content="Hi all")

    assert {group for group, _ in sent} == {f"user.{alice.id}", f"user.{bob.id}"}
    frame = sent[0][1]
    assert frame["type"] == "story.new"
    assert frame["story"]["story_id"] == story.id
    assert frame["story"]["content"] == "Hi all"
    assert frame["story"]["user"]["name"] == "Alice"


def test_a_view_is_recorded_once_and_the_author_is_told(
    friends, text_story, django_capture_on_commit_callbacks, monkeypatch
):
    alice, bob = friends
    sent = []
    monkeypatch.setattr(
        "whatsapp.realtime._send", lambda group, frame, exclude: sent.append((group, frame))
    )

    with django_capture_on_commit_callbacks(execute=True):
        first = services.view_story(bob, story=text_story)
        again = services.view_story(bob, story=text_story)

    assert first.id == again.id
    assert StoryView.objects.filter(story=text_story).count() == 1
    assert sent == [
        (
            f"user.{alice.id}",
            {
                "type": "story.view",
                "story_id": text_story.id,
                "user_id": bob.id,
                "viewed_at": sent[0][1]["viewed_at"],
                "view_count": 1,
            },
        )
    ]


def test_authors_own_views_are_not_counted(alice, text_story):
    assert services.view_story(alice, story=text_story) is None
    assert StoryView.objects.count() == 0


def test_strangers_cannot_record_views(text_story, mallory):
    with pytest.raises(NotFound):
        services.view_story(mallory, story=text_story)


def test_only_the_author_deletes_and_files_go_with_the_story(
    friends, photo_upload, django_capture_on_commit_callbacks
):
    alice, bob = friends
    story = services.post_story(alice, file=photo_upload)

    with pytest.raises(Forbidden):
        services.delete_story(bob, story=story)
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_story(alice, story=story)

    assert Story.objects.count() == 0
    assert stored_files() == []


def test_purge_deletes_expired_stories_with_views_and_files(
    friends, photo_upload, django_capture_on_commit_callbacks
):
    alice, bob = friends
    old = services.post_story(alice, file=photo_upload)
    services.view_story(bob, story=old)
    fresh = services.post_story(alice, content="still here")
    Story.objects.filter(id=old.id).update(expires_at=timezone.now() - timedelta(seconds=1))

    with django_capture_on_commit_callbacks(execute=True):
        purged = services.purge_expired_stories()

    assert purged == 1
    assert list(Story.objects.all()) == [fresh]
    assert StoryView.objects.count() == 0
    assert stored_files() == []


def test_purge_command_reports_and_supports_dry_run(alice, capsys):
    story = services.post_story(alice, content="old")
    Story.objects.filter(id=story.id).update(expires_at=timezone.now() - timedelta(hours=1))

    call_command("purge_expired_stories", "--dry-run")
    assert Story.objects.count() == 1
    call_command("purge_expired_stories")

    out = capsys.readouterr().out
    assert "1 expired stor" in out
    assert Story.objects.count() == 0


def test_expired_stories_vanish_from_selectors_before_any_purge(friends, text_story):
    alice, bob = friends
    Story.objects.filter(id=text_story.id).update(expires_at=timezone.now())

    assert list(selectors.visible_stories(bob)) == []
    assert list(selectors.visible_stories(alice)) == []
    with pytest.raises(NotFound):
        selectors.visible_story(bob, text_story.id)


def test_video_story_is_kept_as_is_without_a_thumbnail(alice):
    story = services.post_story(alice, content="Clip", file=upload("clip.mov", mp4_bytes()))

    assert story.file_type == "video/mp4"
    assert not story.thumbnail
    assert story.size == len(mp4_bytes())


def test_audio_cannot_be_a_story(alice):
    with pytest.raises(UnsupportedFile):
        services.post_story(alice, file=upload("voice.ogg", ogg_opus_bytes()))


def test_viewing_a_suspended_authors_story_is_refused_and_pushes_nothing(
    friends, text_story, suspend, django_capture_on_commit_callbacks, monkeypatch
):
    alice, bob = friends
    suspend(alice)
    sent = []
    monkeypatch.setattr(
        "whatsapp.realtime._send", lambda group, frame, exclude: sent.append((group, frame))
    )

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(NotFound):
        services.view_story(bob, story=text_story)

    assert not StoryView.objects.exists()
    assert sent == []
