import pytest
from django.utils import timezone

from accounts import services as account_services
from stories import selectors, services
from tests.stories.conftest import befriend
from whatsapp.errors import Forbidden, NotFound

pytestmark = pytest.mark.django_db


def visible_ids(user):
    return {story.id for story in selectors.visible_stories(user)}


def test_visibility_matrix(alice, friends, one_way, blocked_friend, mallory, text_story):
    _, bob = friends
    carol = one_way

    assert visible_ids(alice) == {text_story.id}  # the author
    assert visible_ids(bob) == {text_story.id}  # mutual contact
    assert visible_ids(carol) == set()  # Alice has Carol, Carol does not have Alice
    assert visible_ids(blocked_friend) == set()  # mutual, but Dave blocked Alice
    assert visible_ids(mallory) == set()  # stranger


def test_one_way_in_the_other_direction_is_not_enough(alice, carol, text_story):
    account_services.add_contact(carol, contact_user=alice)

    assert visible_ids(carol) == set()


def test_blocking_by_the_author_hides_the_story_too(friends, text_story):
    alice, bob = friends
    account_services.block_user(alice, blocked=bob)

    assert visible_ids(bob) == set()
    assert selectors.audience_ids(alice) == {alice.id}


def test_audience_is_mutual_unblocked_contacts_and_the_author(
    alice, friends, one_way, blocked_friend, mallory
):
    _, bob = friends

    assert selectors.audience_ids(alice) == {alice.id, bob.id}


def test_removed_stories_are_hidden(friends, text_story):
    alice, bob = friends
    text_story.removed_at = timezone.now()
    text_story.save()

    assert visible_ids(bob) == set()


def test_viewers_are_for_the_author_only(friends, text_story, mallory):
    alice, bob = friends
    services.view_story(bob, story=text_story)

    assert [v.user for v in selectors.story_viewers(alice, text_story.id)] == [bob]
    with pytest.raises(Forbidden):
        selectors.story_viewers(bob, text_story.id)
    with pytest.raises(NotFound):
        selectors.story_viewers(mallory, text_story.id)


def test_status_feed_splits_unseen_and_seen_authors(alice, bob, carol, make_user):
    befriend(alice, bob)
    befriend(alice, carol)
    mine = services.post_story(alice, content="mine")
    bob_story = services.post_story(bob, content="bob 1")
    carol_old = services.post_story(carol, content="carol 1")
    carol_new = services.post_story(carol, content="carol 2")
    services.view_story(alice, story=bob_story)
    services.view_story(bob, story=mine)

    feed = selectors.status_feed(alice)

    assert [s.id for s in feed.mine.stories] == [mine.id]
    assert feed.mine.stories[0].view_count == 1
    assert [group.user for group in feed.recent] == [carol]
    assert [s.id for s in feed.recent[0].stories] == [carol_old.id, carol_new.id]
    assert feed.recent[0].unseen_count == 2
    assert [group.user for group in feed.viewed] == [bob]


@pytest.mark.parametrize("per_author", [1, 4])
def test_status_feed_query_count_does_not_grow(
    alice, make_user, per_author, django_assert_num_queries
):
    for i in range(3):
        friend = make_user(f"Friend {i}", f"+1415555{2000 + i}")
        befriend(alice, friend)
        for n in range(per_author):
            services.post_story(friend, content=f"{n}")
    services.post_story(alice, content="mine")

    with django_assert_num_queries(2):
        feed = selectors.status_feed(alice)
        assert sum(len(g.stories) for g in feed.recent) == 3 * per_author


def test_suspended_authors_stories_are_hidden_until_reinstated(friends, text_story, suspend):
    alice, bob = friends
    suspend(alice)

    assert visible_ids(bob) == set()
    assert selectors.status_feed(bob).recent == []
    with pytest.raises(NotFound):
        selectors.visible_story(bob, text_story.id)

    alice.is_active = True
    alice.save(update_fields=["is_active"])

    assert visible_ids(bob) == {text_story.id}
