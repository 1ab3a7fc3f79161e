"""REST faces of the group message actions: edit, delete for me / for everyone, react, star and
reply, members only (sender / other member / ex-member / stranger)."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from chats.models import Multimedia
from groups import services
from groups.models import GroupMember, GroupMessage, GroupMessageReaction, GroupMessageStar
from messaging import actions
from tests.conftest import stored_files, token_client
from tests.groups.conftest import befriend, frames_of

pytestmark = pytest.mark.django_db

CHATS = "/api/v1/chats/"


def url(name: str, *args) -> str:
    return reverse(f"groups_api:{name}", args=args)


@pytest.fixture
def ex_member(group, alice, make_member):
    """Dave was in the group when alice's message was sent, then was removed."""
    dave = make_member("Dave")
    befriend(alice, dave)
    services.add_group_member(alice, group=group, member=dave)
    return dave


@pytest.fixture
def hello(alice, group, ex_member):
    """Alice's message in the group, sent while dave was a member; dave is removed after."""
    message = services.send_group_message(alice, group=group, content="hello")
    services.remove_group_member(alice, group=group, member=ex_member)
    return message


@pytest.fixture
def roles(alice, bob, ex_member, mallory):
    return {
        "sender": token_client(alice),
        "member": token_client(bob),
        "ex_member": token_client(ex_member),
        "stranger": token_client(mallory),
    }


def age(message, **delta) -> None:
    """Move a message's sent_at into the past, and its group's joins before it (a member sees
    what was sent since they joined)."""
    sent_at = timezone.now() - timedelta(**delta)
    GroupMember.objects.filter(group_id=message.group_id).update(
        added_at=sent_at - timedelta(seconds=1)
    )
    GroupMessage.objects.filter(id=message.id).update(sent_at=sent_at)


def test_the_urls_are_named():
    assert url("message_detail", 3, 7) == "/api/v1/groups/3/messages/7/"
    assert url("message_reaction", 3, 7) == "/api/v1/groups/3/messages/7/reaction/"
    assert url("message_star", 3, 7) == "/api/v1/groups/3/messages/7/star/"


def _act(client, action: str, group_id: int, message_id: int):
    detail = url("message_detail", group_id, message_id)
    if action == "edit":
        return client.patch(detail, {"content": "fixed"}, format="json")
    if action == "delete_for_everyone":
        return client.delete(detail + "?for=everyone")
    if action == "delete_for_me":
        return client.delete(detail + "?for=me")
    if action == "react":
        return client.put(
            url("message_reaction", group_id, message_id), {"emoji": "👍"}, format="json"
        )
    if action == "unreact":
        return client.delete(url("message_reaction", group_id, message_id))
    if action == "star":
        return client.post(url("message_star", group_id, message_id))
    assert action == "unstar"
    return client.delete(url("message_star", group_id, message_id))


@pytest.mark.parametrize(
    ("action", "sender", "member", "outsider"),
    [
        ("edit", 200, 403, 404),
        ("delete_for_everyone", 200, 403, 404),
        ("delete_for_me", 204, 204, 404),
        ("react", 200, 200, 404),
        ("unreact", 200, 200, 404),
        ("star", 200, 200, 404),
        ("unstar", 200, 200, 404),
    ],
)
def test_who_may_do_what(roles, group, hello, action, sender, member, outsider):
    expected = {"sender": sender, "member": member, "ex_member": outsider, "stranger": outsider}

    for role, status in expected.items():
        response = _act(roles[role], action, group.id, hello.id)

        assert response.status_code == status, (role, response.content)
        if status == 403:
            assert response.json()["code"] == "not_sender"


@pytest.mark.parametrize("action", ["edit", "delete_for_everyone", "react", "star"])
def test_a_message_of_another_group_in_the_url_is_404(
    alice, bob, roles, group, hello, action, make_member
):
    other = services.create_group(alice, name="Other", members=[bob])

    response = _act(roles["sender"], action, other.id, hello.id)

    assert response.status_code == 404
    assert GroupMessage.objects.get(id=hello.id).content == "hello"


def test_a_member_who_joined_later_may_not_act_on_earlier_messages(
    alice, group, hello, make_member
):
    late = make_member("Late")
    befriend(alice, late)
    services.add_group_member(alice, group=group, member=late)

    response = _act(token_client(late), "react", group.id, hello.id)

    assert response.status_code == 404


def test_the_sender_edits_and_the_group_gets_the_update(
    alice_api, group, hello, pushes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_api.patch(
            url("message_detail", group.id, hello.id), {"content": "hello all"}, format="json"
        )

    assert response.status_code == 200
    body = response.json()
    assert body["content"] == "hello all" and body["edited_at"] is not None
    [(channel, frame)] = frames_of(pushes, "group_message.updated")
    assert channel == services.group_channel(group.id)
    assert frame["group_message"] == {k: v for k, v in body.items() if k != "starred"}


def test_an_edit_after_the_window_is_409(alice_api, group, hello, settings):
    settings.MESSAGE_EDIT_WINDOW_SECONDS = 60
    age(hello, seconds=61)

    response = alice_api.patch(
        url("message_detail", group.id, hello.id), {"content": "x"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "edit_window_closed"


@pytest.mark.parametrize("content", ["", " \n", "x" * 11])
def test_an_edit_to_blank_or_too_long_text_is_400(alice_api, group, hello, settings, content):
    settings.MESSAGE_MAX_LENGTH = 10

    response = alice_api.patch(
        url("message_detail", group.id, hello.id), {"content": content}, format="json"
    )

    assert response.status_code == 400
    assert GroupMessage.objects.get(id=hello.id).content == "hello"


def test_delete_for_everyone_after_the_window_is_409(alice_api, group, hello, settings):
    settings.MESSAGE_DELETE_WINDOW_SECONDS = 3600
    age(hello, hours=2)

    response = alice_api.delete(url("message_detail", group.id, hello.id) + "?for=everyone")

    assert response.status_code == 409
    assert response.json()["code"] == "delete_window_closed"


def test_delete_for_everyone_erases_content_media_and_reactions(
    alice, alice_api, bob, group, pushes, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("plan.txt", b"the plan\n", content_type="text/plain")
    sent = alice_api.post(
        url("message_list", group.id), {"content": "plan", "files": [upload]}, format="multipart"
    ).json()
    message_id = sent["group_message_id"]
    actions.react(services.IN_GROUP, bob, message_id=message_id, emoji="🔥")

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_api.delete(url("message_detail", group.id, message_id) + "?for=everyone")

    assert response.status_code == 200
    body = response.json()
    assert body["deleted"] is True and body["content"] == ""
    assert body["media"] == [] and body["reactions"] == []
    row = GroupMessage.objects.get(id=message_id)
    assert row.content == "" and row.deleted_at is not None
    assert not Multimedia.objects.filter(group_message_id=message_id).exists()
    assert not GroupMessageReaction.objects.filter(message_id=message_id).exists()
    assert stored_files() == []
    [(_, frame)] = frames_of(pushes, "group_message.updated")
    assert frame["group_message"]["deleted"] is True


def test_a_deleted_message_cannot_be_edited_or_reacted_to(alice, alice_api, bob, group, hello):
    actions.delete_for_everyone(services.IN_GROUP, alice, message_id=hello.id)

    edit = alice_api.patch(
        url("message_detail", group.id, hello.id), {"content": "x"}, format="json"
    )
    react = token_client(bob).put(
        url("message_reaction", group.id, hello.id), {"emoji": "👍"}, format="json"
    )

    assert (edit.status_code, edit.json()["code"]) == (409, "deleted")
    assert (react.status_code, react.json()["code"]) == (409, "deleted")


@pytest.mark.parametrize("query", ["", "?for=both"])
def test_a_delete_without_a_valid_for_is_400(alice_api, group, hello, query):
    response = alice_api.delete(url("message_detail", group.id, hello.id) + query)

    assert response.status_code == 400
    assert "for" in response.json()


def test_delete_for_me_hides_it_from_my_history_and_inbox_only(
    alice, bob, group, hello, pushes, django_capture_on_commit_callbacks
):
    later = services.send_group_message(bob, group=group, content="later")
    bob_api = token_client(bob)

    with django_capture_on_commit_callbacks(execute=True):
        response = bob_api.delete(url("message_detail", group.id, later.id) + "?for=me")

    assert response.status_code == 204
    mine = bob_api.get(url("message_list", group.id)).json()["results"]
    assert [m["group_message_id"] for m in mine] == [hello.id]
    [row] = bob_api.get(CHATS).json()["results"]
    assert row["last_message"]["group_message_id"] == hello.id
    alices = token_client(alice).get(url("message_list", group.id)).json()["results"]
    assert [m["group_message_id"] for m in alices] == [later.id, hello.id]
    [(channel, frame)] = frames_of(pushes, "message.hidden")
    assert frame == {"type": "message.hidden", "group_message_id": later.id}
    assert channel.endswith(str(bob.id))


@pytest.mark.parametrize("emoji", ["a", "👍👍", ""])
def test_anything_but_one_emoji_is_400(group, bob, hello, emoji):
    response = token_client(bob).put(
        url("message_reaction", group.id, hello.id), {"emoji": emoji}, format="json"
    )

    assert response.status_code == 400
    assert "emoji" in response.json()


def test_reactions_one_per_member(alice, bob, carol, group, hello):
    for user, emoji in ((bob, "👍"), (carol, "😂"), (bob, "❤️")):
        response = token_client(user).put(
            url("message_reaction", group.id, hello.id), {"emoji": emoji}, format="json"
        )

    assert {(r["user_id"], r["emoji"]) for r in response.json()["reactions"]} == {
        (bob.id, "❤️"),
        (carol.id, "😂"),
    }


def test_star_and_unstar(bob, group, hello):
    client = token_client(bob)

    starred = client.post(url("message_star", group.id, hello.id))
    history = client.get(url("message_list", group.id)).json()["results"]
    unstarred = client.delete(url("message_star", group.id, hello.id))

    assert starred.json()["starred"] is True and history[0]["starred"] is True
    assert unstarred.json()["starred"] is False
    assert not GroupMessageStar.objects.exists()


def test_a_reply_shows_the_quote_and_a_later_delete(alice, bob, group, hello):
    client = token_client(bob)

    response = client.post(
        url("message_list", group.id),
        {"content": "re", "reply_to_group_message_id": hello.id},
        format="json",
    )
    actions.delete_for_everyone(services.IN_GROUP, alice, message_id=hello.id)
    [reply, _] = client.get(url("message_list", group.id)).json()["results"]

    assert response.status_code == 201, response.json()
    assert response.json()["reply_to"] == {
        "group_message_id": hello.id,
        "sender_id": alice.id,
        "content": "hello",
        "has_media": False,
        "media_kind": None,
        "deleted": False,
    }
    assert reply["reply_to"]["deleted"] is True and reply["reply_to"]["content"] == ""


@pytest.mark.parametrize("quoted", ["other_group", "unknown", "before_i_joined"])
def test_a_reply_to_a_message_i_may_not_quote_here_is_400(
    alice, bob, group, hello, make_member, quoted
):
    other = services.create_group(alice, name="Other", members=[bob])
    elsewhere = services.send_group_message(alice, group=other, content="elsewhere")
    late = make_member("Late")
    befriend(alice, late)
    services.add_group_member(alice, group=group, member=late)
    sender = late if quoted == "before_i_joined" else bob
    quoted_id = {"other_group": elsewhere.id, "unknown": 999_999, "before_i_joined": hello.id}

    response = token_client(sender).post(
        url("message_list", group.id),
        {"content": "re", "reply_to_group_message_id": quoted_id[quoted]},
        format="json",
    )

    assert response.status_code == 400
    assert "reply_to_group_message_id" in response.json()
    assert not GroupMessage.objects.filter(content="re").exists()


@pytest.mark.parametrize("size", [3, 30])
def test_history_with_replies_and_reactions_query_count_is_flat(
    alice, bob, group, size, django_assert_num_queries
):
    previous = services.send_group_message(alice, group=group, content="first")
    for i in range(size):
        message = services.send_group_message(
            bob, group=group, content=str(i), reply_to_id=previous.id
        )
        actions.react(services.IN_GROUP, alice, message_id=message.id, emoji="👍")
        previous = message
    client = token_client(alice)

    # As tests/groups/test_api.py's history: the token and user, the group, the page (quotes
    # joined), its media and reactions, then marking the page delivered (six).
    with django_assert_num_queries(HISTORY_QUERIES):
        response = client.get(url("message_list", group.id), {"page_size": 100})

    assert len(response.json()["results"]) == size + 1


HISTORY_QUERIES = 14  # test_api's history, with the quotes and my stars: two more
