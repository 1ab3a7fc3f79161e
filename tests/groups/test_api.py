"""The groups REST API, including the permission matrix: admin / member / ex-member / stranger."""

import pytest
from django.urls import reverse

from accounts import services as account_services
from groups import services
from groups.models import Group, GroupMember, GroupMessage
from tests.conftest import token_client
from tests.groups.conftest import befriend


@pytest.fixture
def ex_member(group, alice, make_member):
    """Dave was in the group and was removed."""
    dave = make_member("Dave")
    befriend(alice, dave)
    services.add_group_member(alice, group=group, member=dave)
    services.remove_group_member(alice, group=group, member=dave)
    return dave


def url(name, *args):
    return reverse(f"groups_api:{name}", args=args)


# --- permission matrix ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [("admin", 200), ("member", 200), ("ex_member", 404), ("stranger", 404)],
)
def test_who_reads_the_group_its_members_and_history(clients, group, role, expected):
    client = clients[role]

    for path in (
        url("group_detail", group.id),
        url("member_list", group.id),
        url("message_list", group.id),
    ):
        assert client.get(path).status_code == expected, path


@pytest.mark.parametrize(
    ("role", "expected"),
    [("admin", 200), ("member", 403), ("ex_member", 404), ("stranger", 404)],
)
def test_who_renames(clients, group, role, expected):
    response = clients[role].patch(url("group_detail", group.id), {"group_name": "New"})

    assert response.status_code == expected
    assert (Group.objects.get(pk=group.pk).name == "New") == (expected == 200)


@pytest.mark.parametrize(
    ("role", "expected"),
    [("admin", 204), ("member", 403), ("ex_member", 404), ("stranger", 404)],
)
def test_who_deletes(clients, group, role, expected):
    response = clients[role].delete(url("group_detail", group.id))

    assert response.status_code == expected
    assert Group.objects.filter(pk=group.pk).exists() == (expected != 204)


@pytest.mark.parametrize(
    ("role", "expected"),
    [("admin", 201), ("member", 403), ("ex_member", 404), ("stranger", 404)],
)
def test_who_adds_members(clients, group, role, expected, make_member, alice, bob, mallory):
    erin = make_member("Erin")
    for user in (alice, bob, mallory):
        befriend(user, erin)
    response = clients[role].post(url("member_list", group.id), {"user_id": erin.id})

    assert response.status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [("admin", 204), ("member", 403), ("ex_member", 404), ("stranger", 404)],
)
def test_who_removes_members(clients, group, role, expected, carol):
    response = clients[role].delete(url("member_detail", group.id, carol.id))

    assert response.status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [("admin", 200), ("member", 403), ("ex_member", 404), ("stranger", 404)],
)
def test_who_promotes(clients, group, role, expected, carol):
    response = clients[role].patch(url("member_detail", group.id, carol.id), {"is_admin": True})

    assert response.status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [("admin", 201), ("member", 201), ("ex_member", 404), ("stranger", 404)],
)
def test_who_sends(clients, group, role, expected):
    response = clients[role].post(url("message_list", group.id), {"content": "hello"})

    assert response.status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [("admin", 200), ("member", 403), ("ex_member", 404), ("stranger", 404)],
)
def test_who_sees_receipts(clients, group, alice, role, expected):
    message = services.send_group_message(alice, group=group, content="mine")

    response = clients[role].get(url("message_receipts", group.id, message.id))

    assert response.status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [("admin", 200), ("member", 200), ("ex_member", 404), ("stranger", 404)],
)
def test_who_marks_read(clients, group, role, expected):
    assert clients[role].post(url("group_read", group.id)).status_code == expected


# --- groups ---------------------------------------------------------------------------------


def test_create_a_group(alice_api, alice, bob, carol, alice_contacts):
    response = alice_api.post(
        url("group_list"), {"group_name": "Trip", "member_ids": [bob.id, carol.id]}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["group_name"] == "Trip"
    assert body["created_by"] == alice.id
    assert body["member_count"] == 3
    assert body["is_admin"] is True
    assert set(body) >= {"group_id", "group_name", "created_by", "created_at", "member_count"}


def test_creating_with_a_non_contact_is_a_400(alice_api, mallory):
    response = alice_api.post(
        url("group_list"), {"group_name": "Trip", "member_ids": [mallory.id]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "not_a_contact"


def test_a_user_who_blocked_me_cannot_be_added(alice_api, alice, bob, alice_contacts):
    account_services.block_user(bob, blocked=alice)

    response = alice_api.post(
        url("group_list"), {"group_name": "Trip", "member_ids": [bob.id]}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "blocked"


def test_adding_beyond_the_limit_is_a_clear_400(settings, alice_api, group, make_member, alice):
    settings.GROUP_MAX_MEMBERS = 3
    erin = make_member("Erin")
    befriend(alice, erin)

    response = alice_api.post(url("member_list", group.id), {"user_id": erin.id})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "group_full"
    assert "at most 3 members" in body["user_id"][0]


def test_my_groups_list_only_mine_with_member_counts(
    alice_api, group, alice, bob, carol, mallory_api
):
    response = alice_api.get(url("group_list"))

    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["group_id"] == group.id and row["member_count"] == 3
    assert mallory_api.get(url("group_list")).json()["results"] == []


def test_group_list_query_count_is_flat(alice, alice_api, make_group, django_assert_num_queries):
    make_group(3, "A")
    alice_api.get(url("group_list"))  # warm up (token lookup caches nothing, but be fair)
    with django_assert_num_queries(3) as few:
        alice_api.get(url("group_list"))
    for index in range(8):
        make_group(4, f"More {index}")
    with django_assert_num_queries(len(few.captured_queries)):
        response = alice_api.get(url("group_list"))
    assert response.json()["count"] == 9


def test_members_endpoint_shows_profiles_and_admin_flags(bob_api, group, alice):
    response = bob_api.get(url("member_list", group.id))

    rows = response.json()["results"]
    assert rows[0]["user"]["user_id"] == alice.id and rows[0]["is_admin"] is True
    assert set(rows[0]) == {"group_member_id", "user", "added_at", "is_admin"}


def test_a_member_leaves_by_removing_themselves(bob_api, group, bob):
    response = bob_api.delete(url("member_detail", group.id, bob.id))

    assert response.status_code == 204
    assert not GroupMember.objects.filter(group=group, user=bob).exists()
    assert bob_api.get(url("group_detail", group.id)).status_code == 404


# --- messages -------------------------------------------------------------------------------


def test_send_and_read_history(alice_api, bob_api, group, alice):
    sent = alice_api.post(url("message_list", group.id), {"content": "Hi", "client_id": "a1"})

    body = sent.json()
    assert sent.status_code == 201
    assert body["sender_id"] == alice.id and body["sender"] == "Alice"
    assert body["group_id"] == group.id and body["client_id"] == "a1"
    assert body["forwarded_from_group_message_id"] is None and body["media"] == []
    history = bob_api.get(url("message_list", group.id)).json()
    assert [m["content"] for m in history["results"]] == ["Hi"]
    assert "next" in history and "previous" in history


def test_the_same_client_id_returns_the_stored_message(alice_api, group):
    first = alice_api.post(url("message_list", group.id), {"content": "Hi", "client_id": "a1"})
    again = alice_api.post(url("message_list", group.id), {"content": "Hi", "client_id": "a1"})

    assert again.json()["group_message_id"] == first.json()["group_message_id"]
    assert again["Idempotent-Replayed"] == "true"
    assert GroupMessage.objects.count() == 1


def test_blank_messages_are_refused(alice_api, group):
    response = alice_api.post(url("message_list", group.id), {"content": "  "})

    assert response.status_code == 400
    assert "content" in response.json()


def test_history_is_cursor_paginated_newest_first(alice_api, group, alice):
    for index in range(55):
        services.send_group_message(alice, group=group, content=str(index))

    first = alice_api.get(url("message_list", group.id)).json()
    older = alice_api.get(first["next"]).json()

    assert [m["content"] for m in first["results"]][:2] == ["54", "53"]
    assert len(first["results"]) == 50
    assert [m["content"] for m in older["results"]] == [str(i) for i in range(4, -1, -1)]


def test_history_starts_when_i_joined(alice_api, group, alice, make_member):
    services.send_group_message(alice, group=group, content="before")
    erin = make_member("Erin")
    befriend(alice, erin)
    services.add_group_member(alice, group=group, member=erin)
    services.send_group_message(alice, group=group, content="after")

    history = token_client(erin).get(url("message_list", group.id)).json()

    assert [m["content"] for m in history["results"]] == ["after"]


def test_reading_history_marks_it_delivered_to_me(bob_api, group, alice, bob):
    message = services.send_group_message(alice, group=group, content="hi")

    bob_api.get(url("message_list", group.id))

    assert message.receipts.get(user=bob).delivered_at is not None


def test_forward_into_my_other_groups(alice_api, group, alice, bob):
    other = services.create_group(alice, name="Work", members=[bob])
    message = services.send_group_message(bob, group=group, content="fwd me")

    response = alice_api.post(
        url("message_forward", group.id, message.id), {"group_ids": [other.id]}, format="json"
    )

    assert response.status_code == 201
    (copy,) = response.json()
    assert copy["group_id"] == other.id
    assert copy["forwarded_from_group_message_id"] == message.id
    assert copy["forwarded"] is True


def test_forward_into_a_group_im_not_in_is_404(alice_api, group, alice, bob, carol):
    befriend(bob, carol)
    foreign = services.create_group(bob, name="Secret", members=[carol])
    message = services.send_group_message(alice, group=group, content="x")

    response = alice_api.post(
        url("message_forward", group.id, message.id), {"group_ids": [foreign.id]}, format="json"
    )

    assert response.status_code == 404


def test_read_endpoint_marks_all_read_for_me(bob_api, group, alice, bob):
    services.send_group_message(alice, group=group, content="1")
    services.send_group_message(alice, group=group, content="2")

    response = bob_api.post(url("group_read", group.id))

    assert response.json() == {"read_count": 2}
    assert not bob.group_message_receipts.filter(read_at__isnull=True).exists()


def test_receipts_list_each_member(alice_api, group, alice, bob, carol):
    message = services.send_group_message(alice, group=group, content="info")
    services.mark_group_messages_read(bob, message_ids=[message.id])

    rows = alice_api.get(url("message_receipts", group.id, message.id)).json()["results"]

    by_user = {row["user_id"]: row for row in rows}
    assert set(by_user) == {bob.id, carol.id}
    assert by_user[bob.id]["read_at"] and by_user[bob.id]["delivered_at"]
    assert by_user[carol.id]["read_at"] is None
    assert set(rows[0]) == {"user_id", "name", "delivered_at", "read_at"}


def test_receipts_query_count_is_flat(alice, alice_api, make_group, django_assert_num_queries):
    small, _ = make_group(5, "Small")
    large, _ = make_group(50, "Large")
    small_message = services.send_group_message(alice, group=small, content="x")
    large_message = services.send_group_message(alice, group=large, content="x")

    # The token and user, the message (with its media, reactions and my star), the count and
    # the page.
    with django_assert_num_queries(7) as small_queries:
        alice_api.get(url("message_receipts", small.id, small_message.id))
    with django_assert_num_queries(len(small_queries.captured_queries)):
        response = alice_api.get(url("message_receipts", large.id, large_message.id))
    assert response.json()["count"] == 49


def test_history_query_count_is_flat(alice, make_group, django_assert_num_queries):
    """A member's history page (which also marks it delivered) costs the same for 5 or 50."""
    small, small_members = make_group(5, "Small")
    large, large_members = make_group(50, "Large")
    for group in (small, large):
        for index in range(3 if group is small else 30):
            services.send_group_message(alice, group=group, content=str(index))
    small_reader, large_reader = token_client(small_members[0]), token_client(large_members[0])

    # The token and user, the group, the page, its media, reactions and my stars, then the
    # deliveries.
    with django_assert_num_queries(13) as small_queries:
        small_reader.get(url("message_list", small.id))
    with django_assert_num_queries(len(small_queries.captured_queries)):
        response = large_reader.get(url("message_list", large.id))
    assert len(response.json()["results"]) == 30


def test_the_schema_documents_the_group_endpoints(api_client):
    schema = api_client.get("/api/schema/?format=json").json()

    for path in (
        "/api/v1/groups/",
        "/api/v1/groups/{group_id}/members/{user_id}/",
        "/api/v1/groups/{group_id}/messages/{group_message_id}/receipts/",
        "/api/v1/groups/{group_id}/read/",
    ):
        assert path in schema["paths"]


def test_send_with_files_over_multipart(bob_api, group):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(buffer, format="PNG")
    upload = SimpleUploadedFile("pic.png", buffer.getvalue(), content_type="image/png")

    response = bob_api.post(
        url("message_list", group.id), {"content": "", "files": [upload]}, format="multipart"
    )

    assert response.status_code == 201
    (media,) = response.json()["media"]
    assert media["file_type"].startswith("image/")


def test_a_fake_image_is_refused(bob_api, group):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("pic.png", b"<html>not an image</html>", content_type="image/png")

    response = bob_api.post(
        url("message_list", group.id), {"content": "x", "files": [upload]}, format="multipart"
    )

    assert response.status_code == 400
    assert not GroupMessage.objects.exists()
