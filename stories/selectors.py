"""Reads of stories, with WhatsApp's "my contacts" privacy applied.

A story is visible to its author and to each user the author has as a contact who also has
the author as a contact, unless either blocked the other. Expired or removed stories, and
those of a suspended author (``is_active`` False), are invisible everywhere at once: every query
starts from :func:`active_stories`.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import Block, Contact, User
from stories.models import Story, StoryView
from whatsapp.errors import Forbidden, NotFound


def active_stories() -> QuerySet[Story]:
    """Stories not expired, not removed by staff, and not by a suspended author."""
    return Story.objects.filter(
        expires_at__gt=timezone.now(), removed_at__isnull=True, user__is_active=True
    )


def audience_q(viewer: User, *, author_field: str = "user_id") -> Q:
    """Match the rows whose ``author_field`` user shows their stories to ``viewer``."""
    author = OuterRef(author_field)
    author_has_viewer = Contact.objects.filter(user_id=author, contact_user_id=viewer.id)
    viewer_has_author = Contact.objects.filter(user_id=viewer.id, contact_user_id=author)
    blocked = Block.objects.filter(
        Q(blocker_id=author, blocked_id=viewer.id) | Q(blocker_id=viewer.id, blocked_id=author)
    )
    return Q(**{author_field: viewer.id}) | (
        Q(Exists(author_has_viewer)) & Q(Exists(viewer_has_author)) & ~Q(Exists(blocked))
    )


def visible_stories(viewer: User) -> QuerySet[Story]:
    """Active stories ``viewer`` may see (their own included), annotated ``viewed`` by them."""
    return (
        active_stories()
        .filter(audience_q(viewer))
        .select_related("user")
        .annotate(
            viewed=Exists(StoryView.objects.filter(story_id=OuterRef("pk"), user_id=viewer.id))
        )
        .order_by("-created_at", "-id")
    )


def visible_story(viewer: User, story_id: int) -> Story:
    """One active story ``viewer`` may see; NotFound otherwise (never says which)."""
    story = visible_stories(viewer).filter(id=story_id).first()
    if story is None:
        raise NotFound()
    return story


def own_story(owner: User, story_id: int) -> Story:
    """One of ``owner``'s active stories: NotFound if invisible, Forbidden if someone else's."""
    story = visible_story(owner, story_id)
    if story.user_id != owner.id:
        raise Forbidden("Only the author can do this.")
    return story


def audience_ids(author: User) -> set[int]:
    """Ids of everyone who may see ``author``'s stories, the author included."""
    mutual = Contact.objects.filter(user=author).filter(
        Exists(Contact.objects.filter(user_id=OuterRef("contact_user_id"), contact_user=author))
    )
    blocked = Block.objects.filter(
        Q(blocker=author, blocked_id=OuterRef("contact_user_id"))
        | Q(blocker_id=OuterRef("contact_user_id"), blocked=author)
    )
    ids = set(mutual.exclude(Exists(blocked)).values_list("contact_user_id", flat=True))
    return ids | {author.id}


def story_viewers(owner: User, story_id: int) -> QuerySet[StoryView]:
    """Who viewed one of ``owner``'s own stories, most recent first."""
    story = own_story(owner, story_id)
    return (
        StoryView.objects.filter(story=story)
        .exclude(user_id=owner.id)
        .select_related("user")
        .order_by("-viewed_at", "-id")
    )


def with_view_counts(stories: QuerySet[Story]) -> QuerySet[Story]:
    return stories.annotate(view_count=Count("views", distinct=True))


@dataclass
class AuthorStories:
    """One author's active stories, oldest first (the order they play in)."""

    user: User
    stories: list[Story] = field(default_factory=list)

    @property
    def latest_at(self) -> datetime:
        return self.stories[-1].created_at

    @property
    def unseen_count(self) -> int:
        return sum(1 for story in self.stories if not story.viewed)

    @property
    def has_unseen(self) -> bool:
        return self.unseen_count > 0


@dataclass
class StatusFeed:
    mine: AuthorStories
    recent: list[AuthorStories]
    viewed: list[AuthorStories]


def status_feed(viewer: User) -> StatusFeed:
    """The Status tab: my stories, then contacts with unseen updates, then those all seen.

    Two queries whatever the number of stories: one for the stories (with authors and my
    viewed flags), one for my own stories' view counts.
    """
    mine = AuthorStories(user=viewer)
    by_author: dict[int, AuthorStories] = {}
    for story in reversed(list(visible_stories(viewer).exclude(user_id=viewer.id))):
        by_author.setdefault(story.user_id, AuthorStories(user=story.user)).stories.append(story)
    own = with_view_counts(visible_stories(viewer).filter(user_id=viewer.id))
    mine.stories = list(reversed(list(own)))
    authors = sorted(by_author.values(), key=lambda group: group.latest_at, reverse=True)
    return StatusFeed(
        mine=mine,
        recent=[group for group in authors if group.has_unseen],
        viewed=[group for group in authors if not group.has_unseen],
    )
