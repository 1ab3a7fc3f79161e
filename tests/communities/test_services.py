import pytest

from communities import selectors, services
from communities.models import Community, CommunityAnnouncement, CommunityGroup
from groups import services as group_services
from tests.groups.conftest import befriend, frames_of
from whatsapp.errors import DomainError, Forbidden, NotFound


def test_the_creator_administers_the_community(alice):
    community = services.create_community(alice, name="  School  ")

    assert community.name == "School"
    assert list(community.admins.all()) == [alice]


def test_a_name_is_required(alice):
    with pytest.raises(DomainError) as error:
        services.create_community(alice, name=" ")

    assert error.value.field == "community_name"


def test_groups_are_added_by_admins_of_both(community, alice, bob, carol, group):
    befriend(bob, carol)
    bobs_group = group_services.create_group(bob, name="Bob's", members=[carol])
    alices_other = group_services.create_group(alice, name="Other", members=[bob])
    group_services.set_group_admin(alice, group=alices_other, member=bob, is_admin=True)

    with pytest.raises(NotFound):  # alice is not in bob's group
        services.add_community_group(alice, community=community, group=bobs_group)
    with pytest.raises(Forbidden):  # bob administers the group but not the community
        services.add_community_group(bob, community=community, group=alices_other)
    services.add_community_group(alice, community=community, group=alices_other)

    assert set(CommunityGroup.objects.values_list("group__name", flat=True)) == {"Trip", "Other"}


def test_a_group_that_alice_does_not_administer_cannot_be_added(community, alice, bob, carol):
    befriend(bob, alice)
    bobs_group = group_services.create_group(bob, name="Bob's", members=[alice])

    with pytest.raises(Forbidden):
        services.add_community_group(alice, community=community, group=bobs_group)


def test_a_group_belongs_to_one_community(community, alice, group):
    other = services.create_community(alice, name="Other")

    with pytest.raises(DomainError) as error:
        services.add_community_group(alice, community=other, group=group)

    assert error.value.code == "already_in_community"


def test_removing_a_group_keeps_the_group(community, alice, group):
    services.remove_community_group(alice, community=community, group=group)

    assert not CommunityGroup.objects.exists()
    assert group_services.Group.objects.filter(pk=group.pk).exists()
    with pytest.raises(NotFound):
        services.remove_community_group(alice, community=community, group=group)


def test_only_community_admins_post_announcements(community, bob, mallory):
    with pytest.raises(Forbidden):
        services.post_announcement(bob, community=community, content="hi")
    with pytest.raises(NotFound):
        services.post_announcement(mallory, community=community, content="hi")

    assert not CommunityAnnouncement.objects.exists()


def test_an_announcement_goes_out_once_per_group_and_to_the_admins(
    community, alice, bob, group, pushes, django_capture_on_commit_callbacks
):
    other = group_services.create_group(alice, name="Other", members=[bob])
    services.add_community_group(alice, community=community, group=other)

    with django_capture_on_commit_callbacks(execute=True):
        announcement = services.post_announcement(alice, community=community, content="Hello")

    targets = sorted(target for target, _ in frames_of(pushes, "announcement.new"))
    assert targets == sorted([f"chatgroup.{group.id}", f"chatgroup.{other.id}", f"user.{alice.id}"])
    frame = frames_of(pushes, "announcement.new")[0][1]
    assert frame["announcement"]["announcement_id"] == announcement.id
    assert frame["announcement"]["sender"] == "Alice"


def test_only_admins_rename_or_delete(community, alice, bob):
    with pytest.raises(Forbidden):
        services.update_community(bob, community=community, name="Mine")
    with pytest.raises(Forbidden):
        services.delete_community(bob, community=community)

    services.update_community(alice, community=community, name="College")
    assert Community.objects.get().name == "College"
    services.delete_community(alice, community=community)
    assert not Community.objects.exists()


def test_visibility_follows_group_membership(community, alice, bob, mallory, group):
    assert [c.id for c in selectors.communities_for(bob)] == [community.id]
    assert list(selectors.communities_for(mallory)) == []

    group_services.leave_group(bob, group=group)

    with pytest.raises(NotFound):
        selectors.community_for_member(bob, community.id)
    assert selectors.community_for_member(alice, community.id).is_admin


def test_staff_remove_announcements(community, alice, staff):
    announcement = services.post_announcement(alice, community=community, content="spam")

    assert services.remove_announcements(staff, announcement_ids=[announcement.id]) == 1
    with pytest.raises(Forbidden):
        services.remove_announcements(alice, announcement_ids=[announcement.id])


def test_announcements_count_against_the_send_rate(community, alice, settings):
    from django.core.cache import cache

    from whatsapp.errors import RateLimited

    cache.clear()
    settings.MESSAGE_SEND_RATE = "2/60s"
    for n in range(2):
        services.post_announcement(alice, community=community, content=f"news {n}")

    with pytest.raises(RateLimited) as refused:
        services.post_announcement(alice, community=community, content="one too many")

    assert refused.value.retry_after >= 1
    assert CommunityAnnouncement.objects.count() == 2
    cache.clear()
