"""State changes of stories (Status): post, view, delete, purge the expired."""

import re
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from attachments.deletion import delete_files_on_commit
from attachments.kinds import IMAGE, VIDEO
from attachments.storage import atomic_with_files, write_with_cleanup
from attachments.uploads import PreparedFile, prepare_upload
from stories import selectors
from stories.models import Story, StoryView
from stories.serializers import StorySerializer
from whatsapp.errors import DomainError, Forbidden
from whatsapp.realtime import publish
from whatsapp.timestamps import timestamp

STORY_LIFETIME = timedelta(hours=24)
MAX_STORY_TEXT = 700
DEFAULT_BACKGROUND = "#075e54"
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
PURGE_BATCH = 500


def story_payload(story: Story) -> dict:
    """The story as pushed in frames (the REST shape, without per-viewer fields)."""
    return StorySerializer(story).data


def post_story(
    user: User,
    *,
    content: str = "",
    file=None,
    background_color: str | None = None,
) -> Story:
    """Post a text story (on a background colour) or a photo/video story with a caption.

    It expires 24 hours after it is created and is pushed as ``story.new`` to everyone who
    may see it (see :func:`stories.selectors.audience_ids`).
    """
    content = (content or "").strip()
    if len(content) > MAX_STORY_TEXT:
        raise DomainError(
            f"A status is at most {MAX_STORY_TEXT} characters.", field="content", code="too_long"
        )
    if not content and not file:
        raise DomainError("Write something or add a photo or video.", field="content")
    colour = (background_color or DEFAULT_BACKGROUND).strip()
    if not _COLOUR.match(colour):
        raise DomainError("Use a colour like #075e54.", field="background_color")
    prepared = prepare_upload(file, kinds={IMAGE, VIDEO}, field="file") if file else None
    now = timezone.now()

    def make(item: PreparedFile | None) -> Story:
        return Story(
            user=user,
            content=content,
            background_color=colour.lower(),
            created_at=now,
            expires_at=now + STORY_LIFETIME,
            file_type=item.file_type if item else "",
            width=item.width if item else None,
            height=item.height if item else None,
            size=item.size if item else 0,
        )

    with atomic_with_files():
        if prepared:
            [story] = write_with_cleanup([prepared], make)
        else:
            story = make(None)
            story.save()
        publish(selectors.audience_ids(user), {"type": "story.new", "story": story_payload(story)})
    return story


def view_story(user: User, *, story: Story) -> StoryView | None:
    """Record that ``user`` viewed ``story``, once; the author's own views are not counted.

    The author is told live (``story.view``) so "Seen by N" updates.
    """
    story = selectors.visible_story(user, story.id)
    if story.user_id == user.id:
        return None
    with transaction.atomic():
        view, created = StoryView.objects.get_or_create(story=story, user=user)
        if created:
            count = StoryView.objects.filter(story=story).exclude(user_id=story.user_id).count()
            publish(
                [story.user_id],
                {
                    "type": "story.view",
                    "story_id": story.id,
                    "user_id": user.id,
                    "viewed_at": timestamp(view.viewed_at),
                    "view_count": count,
                },
            )
    return view


def delete_story(user: User, *, story: Story) -> None:
    """Delete one of ``user``'s own stories with its files; viewers drop it live."""
    if story.user_id != user.id:
        raise Forbidden("Only the author can delete a status.")
    audience = selectors.audience_ids(user)
    with transaction.atomic():
        _delete_with_files(Story.objects.filter(id=story.id))
        publish(audience, {"type": "story.deleted", "story_id": story.id, "user_id": user.id})


def remove_stories(stories: QuerySet[Story]) -> int:
    """Staff moderation: delete these stories and their files at once."""
    with transaction.atomic():
        return _delete_with_files(stories)


def purge_expired_stories(*, now: datetime | None = None) -> int:
    """Delete every story that expired (its views and files with it); return how many."""
    now = now or timezone.now()
    total = 0
    while True:
        ids = list(
            Story.objects.filter(expires_at__lte=now).values_list("id", flat=True)[:PURGE_BATCH]
        )
        if not ids:
            return total
        with transaction.atomic():
            total += _delete_with_files(Story.objects.filter(id__in=ids))


def _delete_with_files(stories: QuerySet[Story]) -> int:
    """Delete the rows now and their stored files once the transaction commits."""
    rows = list(stories.values_list("id", "file", "thumbnail"))
    if not rows:
        return 0
    _, per_model = Story.objects.filter(id__in=[row[0] for row in rows]).delete()
    delete_files_on_commit(name for row in rows for name in row[1:] if name)
    return per_model.get(Story._meta.label, 0)
