"""The communities REST API: admin / member (of one of its groups) / ex-member / stranger."""

import pytest
from django.urls import reverse

from communities import services
from communities.models import Community, CommunityAnnouncement
from groups import services as group_services


@pytest.fixture
def ex_member(group, alice, carol):
    group_services.remove_group_member(alice, group=group, member=carol)
    return carol


def url(name, *args):
    return reverse(f"communities_api:{name}", args=args)


@pytest.mark.parametrize(
    ("role", "expected"),
    [("admin", 200), ("member", 200), ("ex_member", 404), ("stranger", 404)],
)
def test_who_sees_the_community_its_groups_and_announcements(clients, community, role, expected):
    for path in (
        url("community_detail", community.id),
        url("group_list", community.id),
        url("announcement_list", community.id),
    ):
        assert clients[role].get(path).status_code == expected, path


@pytest.mark.parametrize(
    ("role", "expected"),
    [("admin", 201), ("member", 403), ("ex_member", 404), ("stranger", 404)],
)
def test_who_posts_announcements(clients, community, role, expected):
    response = clients[role].post(url("announcement_list", community.id), {"content": "Hi"})

    assert response.status_code == expected
    assert CommunityAnnouncement.objects.exists() == (expected == 201)


@pytest.mark.parametrize(
    ("role", "expected"),
    [("admin", 200), ("member", 403), ("ex_member", 404), ("stranger", 404)],
)
def test_who_renames(clients, community, role, expected):
    response = clients[role].patch(url("community_detail", community.id), {"community_name": "X"})

    assert response.status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [("admin", 204), ("member", 403), ("ex_member", 404), ("stranger", 404)],
)
def test_who_removes_groups(clients, community, group, role, expected):
    response = clients[role].delete(url("group_detail", community.id, group.id))

    assert response.status_code == expected


def test_create_and_list_communities(alice_api, alice):
    created = alice_api.post(url("community_list"), {"community_name": "Club"})

    assert created.status_code == 201
    body = created.json()
    assert body["community_name"] == "Club" and body["created_by"] == alice.id
    assert body["is_admin"] is True
    assert {"community_id", "community_name", "created_by", "created_at"} <= set(body)
    listed = alice_api.get(url("community_list")).json()["results"]
    assert [c["community_name"] for c in listed] == ["Club"]


def test_add_a_group_i_administer(alice_api, alice, bob):
    community = services.create_community(alice, name="Club")
    group = group_services.create_group(alice, name="Chess")

    response = alice_api.post(url("group_list", community.id), {"group_id": group.id})

    assert response.status_code == 201
    body = response.json()
    assert body["group"]["group_id"] == group.id and body["group"]["group_name"] == "Chess"
    assert body["member_count"] == 1
    assert set(body) >= {"community_group_id", "group", "added_at"}


def test_adding_a_group_of_another_community_is_a_400(alice_api, alice, community, group):
    other = services.create_community(alice, name="Other")

    response = alice_api.post(url("group_list", other.id), {"group_id": group.id})

    assert response.status_code == 400
    assert response.json()["code"] == "already_in_community"


def test_announcements_newest_first_with_their_fields(bob_api, community, alice):
    services.post_announcement(alice, community=community, content="first")
    services.post_announcement(alice, community=community, content="second")

    body = bob_api.get(url("announcement_list", community.id)).json()

    assert [a["content"] for a in body["results"]] == ["second", "first"]
    assert set(body["results"][0]) >= {
        "announcement_id",
        "community_id",
        "sender_id",
        "content",
        "sent_at",
        "media",
    }


def test_deleting_the_community_keeps_its_groups(alice_api, community, group):
    response = alice_api.delete(url("community_detail", community.id))

    assert response.status_code == 204
    assert not Community.objects.exists()
    assert group_services.Group.objects.filter(pk=group.pk).exists()


def test_announcement_list_query_count_is_flat(
    bob_api, community, alice, django_assert_num_queries
):
    services.post_announcement(alice, community=community, content="1")
    with django_assert_num_queries(4) as few:
        bob_api.get(url("announcement_list", community.id))
    for index in range(20):
        services.post_announcement(alice, community=community, content=str(index))
    with django_assert_num_queries(len(few.captured_queries)):
        bob_api.get(url("announcement_list", community.id))


def test_an_announcement_can_carry_media(alice_api, community):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, format="PNG")
    upload = SimpleUploadedFile("poster.png", buffer.getvalue(), content_type="image/png")

    response = alice_api.post(
        url("announcement_list", community.id),
        {"content": "", "files": [upload]},
        format="multipart",
    )

    assert response.status_code == 201
    (media,) = response.json()["media"]
    assert media["file_type"].startswith("image/")
