from django.urls import reverse

from communities import services
from communities.models import Community, CommunityAnnouncement, CommunityGroup
from groups import services as group_services


def test_the_communities_tab_lists_mine(client, community, bob):
    client.force_login(bob)

    response = client.get(reverse("communities:list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-label="Communities"' in html and "School" in html
    assert 'aria-current="page"' in html  # the Communities tab is the active one


def test_creating_a_community_in_the_browser(client, alice):
    client.force_login(alice)

    response = client.post(reverse("communities:list"), {"community_name": "Club"})

    community = Community.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("communities:detail", args=[community.id])


def test_the_community_page_shows_groups_and_announcements(client, community, alice, bob):
    services.post_announcement(alice, community=community, content="Sports day")
    client.force_login(bob)

    html = client.get(reverse("communities:detail", args=[community.id])).content.decode()

    assert 'role="log" aria-label="Announcements"' in html
    assert "Sports day" in html and "Trip" in html
    assert "Type an announcement" not in html  # bob is no admin


def test_admins_post_from_the_page(client, community, alice):
    client.force_login(alice)
    page = client.get(reverse("communities:detail", args=[community.id])).content.decode()

    response = client.post(reverse("communities:detail", args=[community.id]), {"content": "Hi"})

    assert "Type an announcement" in page
    assert response.status_code == 302
    assert CommunityAnnouncement.objects.get().content == "Hi"


def test_members_cannot_post_from_the_page(client, community, bob):
    client.force_login(bob)

    response = client.post(reverse("communities:detail", args=[community.id]), {"content": "Hi"})

    assert response.status_code == 403
    assert not CommunityAnnouncement.objects.exists()


def test_strangers_get_404(client, community, mallory):
    client.force_login(mallory)

    assert client.get(reverse("communities:detail", args=[community.id])).status_code == 404


def test_admin_adds_and_removes_groups(client, community, alice, group):
    other = group_services.create_group(alice, name="Chess")
    client.force_login(alice)

    client.post(reverse("communities:add_group", args=[community.id]), {"group_id": other.id})
    client.post(reverse("communities:remove_group", args=[community.id, group.id]))

    assert list(CommunityGroup.objects.values_list("group_id", flat=True)) == [other.id]


def test_admin_changelists_load(client, staff, community, alice):
    services.post_announcement(alice, community=community, content="x")
    client.force_login(staff)

    for model in ("community", "communitygroup", "communityannouncement"):
        assert client.get(reverse(f"admin:communities_{model}_changelist")).status_code == 200
    assert (
        client.get(reverse("admin:communities_community_change", args=[community.id])).status_code
        == 200
    )


def test_deleting_a_community_in_the_browser_is_for_admins(client, community, alice, bob):
    client.force_login(bob)
    refused = client.post(reverse("communities:delete", args=[community.id]), follow=True)
    client.force_login(alice)
    deleted = client.post(reverse("communities:delete", args=[community.id]))

    assert refused.redirect_chain == [(reverse("communities:detail", args=[community.id]), 302)]
    assert "Only community admins can do this." in refused.content.decode()
    assert deleted.url == reverse("communities:list")
    assert not Community.objects.filter(pk=community.pk).exists()
