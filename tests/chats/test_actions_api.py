"""REST faces of the 1:1 message actions: edit, delete for me / for everyone, react, star, reply,
and the starred list (1:1 and group messages together)."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from chats import services
from chats.models import Message, MessageReaction, MessageStar, Multimedia
from groups import services as group_services
from messaging import actions
from tests.chats.test_api import MESSAGE_FIELDS
from tests.conftest import stored_files, token_client
from tests.groups.conftest import befriend
from whatsapp.realtime import user_group

pytestmark = pytest.mark.django_db

MESSAGES = "/api/v1/messages/"
CHATS = "/api/v1/chats/"
STARRED = "/api/v1/starred/"


def url(name: str, *args) -> str:
    return reverse(f"chats_api:{name}", args=args)


@pytest.fixture
def hello(alice, bob):
    """Alice's message to Bob."""
    return services.send_message(alice, receiver=bob, content="hello")


@pytest.fixture
def clients(alice, bob, mallory):
    """By role: the sender (alice), the other participant (bob), a stranger (mallory)."""
    return {
        "sender": token_client(alice),
        "other": token_client(bob),
        "stranger": token_client(mallory),
    }


def age(message, **delta) -> None:
    """Move a message's sent_at into the past."""
    Message.objects.filter(id=message.id).update(sent_at=timezone.now() - timedelta(**delta))


def test_the_urls_are_named():
    assert url("message_detail", 7) == "/api/v1/messages/7/"
    assert url("message_reaction", 7) == "/api/v1/messages/7/reaction/"
    assert url("message_star", 7) == "/api/v1/messages/7/star/"
    assert url("starred") == STARRED


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("patch", "message_detail"),
        ("delete", "message_detail"),
        ("put", "message_reaction"),
        ("delete", "message_reaction"),
        ("post", "message_star"),
        ("delete", "message_star"),
    ],
)
def test_every_action_needs_authentication(api_client, hello, method, name):
    response = getattr(api_client, method)(url(name, hello.id), {})

    assert response.status_code == 401


def test_the_starred_list_needs_authentication(api_client):
    assert api_client.get(STARRED).status_code == 401


# --- the permission matrix ------------------------------------------------------------------


def _act(client, action: str, message_id: int):
    if action == "edit":
        return client.patch(url("message_detail", message_id), {"content": "fixed"}, format="json")
    if action == "delete_for_everyone":
        return client.delete(url("message_detail", message_id) + "?for=everyone")
    if action == "delete_for_me":
        return client.delete(url("message_detail", message_id) + "?for=me")
    if action == "react":
        return client.put(url("message_reaction", message_id), {"emoji": "👍"}, format="json")
    if action == "unreact":
        return client.delete(url("message_reaction", message_id))
    if action == "star":
        return client.post(url("message_star", message_id))
    assert action == "unstar"
    return client.delete(url("message_star", message_id))


@pytest.mark.parametrize(
    ("action", "sender", "other", "stranger"),
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
def test_who_may_do_what(clients, hello, action, sender, other, stranger):
    expected = {"sender": sender, "other": other, "stranger": stranger}

    for role, status in expected.items():
        response = _act(clients[role], action, hello.id)

        assert response.status_code == status, (role, response.content)
        if status == 403:
            assert response.json()["code"] == "not_sender"
        if status == 404:
            assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "action", ["edit", "delete_for_everyone", "delete_for_me", "react", "unreact", "star"]
)
def test_an_unknown_message_is_404(clients, action):
    assert _act(clients["sender"], action, 999_999).status_code == 404


@pytest.mark.parametrize("action", ["edit", "react", "star", "delete_for_everyone"])
def test_a_message_i_deleted_for_me_is_404_to_me(clients, alice, hello, action):
    actions.delete_for_me(services.ONE_TO_ONE, alice, message_id=hello.id)

    assert _act(clients["sender"], action, hello.id).status_code == 404


# --- edit -----------------------------------------------------------------------------------


def test_the_sender_edits_and_everyone_gets_the_update(
    alice_api, alice, bob, hello, pushes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_api.patch(
            url("message_detail", hello.id), {"content": "hello again"}, format="json"
        )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == MESSAGE_FIELDS
    assert body["content"] == "hello again" and body["edited_at"] is not None
    assert Message.objects.get(id=hello.id).content == "hello again"
    assert sorted(pushes.groups("message.updated")) == [user_group(alice.id), user_group(bob.id)]
    pushed = pushes.frames("message.updated", user=bob)[0]["message"]
    assert pushed == {k: v for k, v in body.items() if k != "starred"}


def test_an_edit_after_the_window_is_409(alice_api, hello, settings):
    settings.MESSAGE_EDIT_WINDOW_SECONDS = 60
    age(hello, seconds=61)

    response = alice_api.patch(url("message_detail", hello.id), {"content": "x"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "edit_window_closed"
    assert Message.objects.get(id=hello.id).content == "hello"


def test_an_edit_within_the_window_is_allowed(alice_api, hello, settings):
    settings.MESSAGE_EDIT_WINDOW_SECONDS = 60
    age(hello, seconds=50)

    response = alice_api.patch(url("message_detail", hello.id), {"content": "x"}, format="json")

    assert response.status_code == 200


@pytest.mark.parametrize("content", ["", "   ", "x" * 11])
def test_an_edit_to_blank_or_too_long_text_is_400(alice_api, hello, settings, content):
    settings.MESSAGE_MAX_LENGTH = 10

    response = alice_api.patch(url("message_detail", hello.id), {"content": content}, format="json")

    assert response.status_code == 400
    assert "content" in response.json()
    assert Message.objects.get(id=hello.id).content == "hello"


def test_an_edit_without_content_is_400(alice_api, hello):
    response = alice_api.patch(url("message_detail", hello.id), {}, format="json")

    assert response.status_code == 400
    assert "content" in response.json()


def test_a_deleted_message_cannot_be_edited_or_reacted_to(alice_api, bob_api, alice, hello):
    actions.delete_for_everyone(services.ONE_TO_ONE, alice, message_id=hello.id)

    edit = alice_api.patch(url("message_detail", hello.id), {"content": "x"}, format="json")
    react = bob_api.put(url("message_reaction", hello.id), {"emoji": "👍"}, format="json")

    assert (edit.status_code, edit.json()["code"]) == (409, "deleted")
    assert (react.status_code, react.json()["code"]) == (409, "deleted")


# --- delete ---------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "?for=", "?for=all", "?for=ME"])
def test_a_delete_without_a_valid_for_is_400(alice_api, hello, query):
    response = alice_api.delete(url("message_detail", hello.id) + query)

    assert response.status_code == 400
    assert "for" in response.json()
    assert Message.objects.get(id=hello.id).deleted_at is None


def test_delete_for_everyone_erases_content_media_and_reactions(
    alice_api, alice, bob, pushes, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("notes.txt", b"secret\n", content_type="text/plain")
    sent = alice_api.post(
        MESSAGES,
        {"receiver_id": bob.id, "content": "caption", "files": [upload]},
        format="multipart",
    ).json()
    message_id = sent["message_id"]
    actions.react(services.ONE_TO_ONE, bob, message_id=message_id, emoji="😮")
    assert stored_files()

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_api.delete(url("message_detail", message_id) + "?for=everyone")

    assert response.status_code == 200
    body = response.json()
    assert body["deleted"] is True and body["deleted_at"] is not None
    assert body["content"] == "" and body["media"] == [] and body["reactions"] == []
    row = Message.objects.get(id=message_id)
    assert row.content == "" and row.deleted_at is not None
    assert not Multimedia.objects.filter(message_id=message_id).exists()
    assert not MessageReaction.objects.filter(message_id=message_id).exists()
    assert stored_files() == []
    pushed = pushes.frames("message.updated", user=bob)[0]["message"]
    assert pushed["deleted"] is True and pushed["content"] == ""


def test_delete_for_everyone_after_the_window_is_409(alice_api, hello, settings):
    settings.MESSAGE_DELETE_WINDOW_SECONDS = 3600
    age(hello, seconds=3601)

    response = alice_api.delete(url("message_detail", hello.id) + "?for=everyone")

    assert response.status_code == 409
    assert response.json()["code"] == "delete_window_closed"
    assert Message.objects.get(id=hello.id).content == "hello"


def test_deleting_for_everyone_twice_answers_the_tombstone(alice_api, hello):
    alice_api.delete(url("message_detail", hello.id) + "?for=everyone")

    again = alice_api.delete(url("message_detail", hello.id) + "?for=everyone")

    assert again.status_code == 200
    assert again.json()["deleted"] is True


def test_the_tombstone_stays_in_both_histories(alice_api, bob_api, alice, bob, hello):
    alice_api.delete(url("message_detail", hello.id) + "?for=everyone")

    for client, peer in ((alice_api, bob), (bob_api, alice)):
        [row] = client.get(MESSAGES, {"with": peer.id}).json()["results"]
        assert row["message_id"] == hello.id and row["deleted"] is True and row["content"] == ""


def test_delete_for_me_hides_it_from_my_history_and_inbox_only(
    alice_api, bob_api, alice, bob, pushes, django_capture_on_commit_callbacks
):
    first = services.send_message(alice, receiver=bob, content="first")
    second = services.send_message(bob, receiver=alice, content="second")

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_api.delete(url("message_detail", second.id) + "?for=me")

    assert response.status_code == 204
    mine = alice_api.get(MESSAGES, {"with": bob.id}).json()["results"]
    assert [m["message_id"] for m in mine] == [first.id]
    [row] = alice_api.get(CHATS).json()["results"]
    assert row["last_message"]["message_id"] == first.id
    theirs = bob_api.get(MESSAGES, {"with": alice.id}).json()["results"]
    assert [m["message_id"] for m in theirs] == [second.id, first.id]
    [their_row] = bob_api.get(CHATS).json()["results"]
    assert their_row["last_message"]["message_id"] == second.id
    assert pushes.frames("message.hidden") == [{"type": "message.hidden", "message_id": second.id}]
    assert pushes.groups("message.hidden") == [user_group(alice.id)]
    assert Message.objects.get(id=second.id).content == "second"


# --- reactions ------------------------------------------------------------------------------


@pytest.mark.parametrize("emoji", ["👍", "👍🏽", "👨‍👩‍👧‍👦", "❤️"])
def test_one_emoji_is_a_reaction(bob_api, bob, hello, emoji):
    response = bob_api.put(url("message_reaction", hello.id), {"emoji": emoji}, format="json")

    assert response.status_code == 200, response.json()
    [reaction] = response.json()["reactions"]
    assert reaction["user_id"] == bob.id and reaction["emoji"] == emoji
    assert reaction["reacted_at"].endswith("Z")


@pytest.mark.parametrize("emoji", ["a", "👍👍", "", " ", "👍 ", ":)", "x" * 40])
def test_anything_but_one_emoji_is_400(bob_api, hello, emoji):
    response = bob_api.put(url("message_reaction", hello.id), {"emoji": emoji}, format="json")

    assert response.status_code == 400
    assert "emoji" in response.json()
    assert not MessageReaction.objects.exists()


def test_a_missing_emoji_is_400(bob_api, hello):
    response = bob_api.put(url("message_reaction", hello.id), {}, format="json")

    assert response.status_code == 400
    assert "emoji" in response.json()


def test_a_new_reaction_replaces_mine_and_delete_takes_it_back(
    alice_api, bob_api, alice, bob, hello, pushes, django_capture_on_commit_callbacks
):
    alice_api.put(url("message_reaction", hello.id), {"emoji": "😂"}, format="json")
    bob_api.put(url("message_reaction", hello.id), {"emoji": "👍"}, format="json")

    with django_capture_on_commit_callbacks(execute=True):
        replaced = bob_api.put(url("message_reaction", hello.id), {"emoji": "🙏"}, format="json")
    removed = bob_api.delete(url("message_reaction", hello.id))

    assert {(r["user_id"], r["emoji"]) for r in replaced.json()["reactions"]} == {
        (alice.id, "😂"),
        (bob.id, "🙏"),
    }
    assert sorted(pushes.groups("message.updated")) == [user_group(alice.id), user_group(bob.id)]
    assert removed.status_code == 200
    assert [(r["user_id"], r["emoji"]) for r in removed.json()["reactions"]] == [(alice.id, "😂")]
    assert MessageReaction.objects.count() == 1


def test_taking_back_no_reaction_changes_nothing(
    bob_api, hello, pushes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = bob_api.delete(url("message_reaction", hello.id))

    assert response.status_code == 200 and response.json()["reactions"] == []
    assert pushes.frames("message.updated") == []


# --- stars ----------------------------------------------------------------------------------


def test_star_and_unstar(bob_api, bob, hello, pushes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        starred = bob_api.post(url("message_star", hello.id))
    again = bob_api.post(url("message_star", hello.id))
    history = bob_api.get(MESSAGES, {"with": hello.sender_id}).json()["results"]

    assert starred.status_code == again.status_code == 200
    assert starred.json()["starred"] is True and history[0]["starred"] is True
    assert MessageStar.objects.filter(user=bob).count() == 1
    assert pushes.frames("message.starred") == [
        {"type": "message.starred", "message_id": hello.id, "starred": True}
    ]
    assert pushes.groups("message.starred") == [user_group(bob.id)]

    unstarred = bob_api.delete(url("message_star", hello.id))

    assert unstarred.status_code == 200 and unstarred.json()["starred"] is False
    assert not MessageStar.objects.exists()


def test_a_star_is_mine_alone(alice_api, bob_api, hello):
    bob_api.post(url("message_star", hello.id))

    [row] = alice_api.get(MESSAGES, {"with": hello.receiver_id}).json()["results"]

    assert row["starred"] is False


# --- replies --------------------------------------------------------------------------------


def test_a_reply_shows_the_quote(bob_api, alice, bob, hello):
    response = bob_api.post(
        MESSAGES,
        {"receiver_id": alice.id, "content": "hi!", "reply_to_message_id": hello.id},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["reply_to"] == {
        "message_id": hello.id,
        "sender_id": alice.id,
        "content": "hello",
        "has_media": False,
        "media_kind": None,
        "deleted": False,
    }
    [reply, _] = bob_api.get(MESSAGES, {"with": alice.id}).json()["results"]
    assert reply["reply_to"]["message_id"] == hello.id


def test_the_quote_shows_at_most_200_characters(bob_api, alice, bob):
    long = services.send_message(alice, receiver=bob, content="x" * 300)

    response = bob_api.post(
        MESSAGES, {"receiver_id": alice.id, "content": "ok", "reply_to_message_id": long.id}
    )

    assert response.json()["reply_to"]["content"] == "x" * 200


def test_a_quote_of_a_message_deleted_later_shows_it_deleted(bob_api, alice, bob, hello):
    reply = services.send_message(bob, receiver=alice, content="re", reply_to_id=hello.id)

    actions.delete_for_everyone(services.ONE_TO_ONE, alice, message_id=hello.id)

    [row, _] = bob_api.get(MESSAGES, {"with": alice.id}).json()["results"]
    assert row["message_id"] == reply.id
    assert row["reply_to"]["deleted"] is True and row["reply_to"]["content"] == ""


@pytest.mark.parametrize("quoted", ["other_chat", "unknown"])
def test_a_reply_to_a_message_of_another_chat_is_400(bob_api, alice, bob, carol, quoted):
    elsewhere = services.send_message(carol, receiver=bob, content="carol's")
    quoted_id = elsewhere.id if quoted == "other_chat" else 999_999

    response = bob_api.post(
        MESSAGES,
        {"receiver_id": alice.id, "content": "re", "reply_to_message_id": quoted_id},
        format="json",
    )

    assert response.status_code == 400
    assert "reply_to_message_id" in response.json()
    assert Message.objects.filter(receiver=alice).count() == 0


def test_a_reply_to_a_stranger_chat_is_400(bob_api, alice, bob, mallory):
    theirs = services.send_message(alice, receiver=mallory, content="private")

    response = bob_api.post(
        MESSAGES,
        {"receiver_id": alice.id, "content": "re", "reply_to_message_id": theirs.id},
        format="json",
    )

    assert response.status_code == 400
    assert "reply_to_message_id" in response.json()


# --- GET starred/ ---------------------------------------------------------------------------


@pytest.fixture
def trip(alice, bob, carol):
    befriend(alice, bob, carol)
    return group_services.create_group(alice, name="Trip", members=[bob, carol])


def test_the_starred_list_holds_both_kinds_newest_starred_first(alice, bob, carol, trip):
    to_bob = services.send_message(bob, receiver=alice, content="to alice")
    in_trip = group_services.send_group_message(carol, group=trip, content="in trip")
    to_self = services.send_message(alice, receiver=alice, content="note")
    actions.star(services.ONE_TO_ONE, alice, message_id=to_bob.id, starred=True)
    actions.star(group_services.IN_GROUP, alice, message_id=in_trip.id, starred=True)
    actions.star(services.ONE_TO_ONE, alice, message_id=to_self.id, starred=True)

    body = token_client(alice).get(STARRED).json()

    assert body["count"] == 3
    first, second, third = body["results"]
    assert first["kind"] == "message" and first["group_message"] is None
    assert first["message"]["message_id"] == to_self.id and first["message"]["starred"] is True
    assert first["chat"] == {"user_id": alice.id, "name": "Alice"}
    assert second["kind"] == "group_message" and second["message"] is None
    assert second["group_message"]["group_message_id"] == in_trip.id
    assert second["group_message"]["starred"] is True
    assert second["chat"] == {"group_id": trip.id, "name": "Trip"}
    assert third["message"]["message_id"] == to_bob.id
    assert third["chat"] == {"user_id": bob.id, "name": "Bob"}
    assert first["starred_at"] >= second["starred_at"] >= third["starred_at"]
    assert token_client(bob).get(STARRED).json()["count"] == 0


def test_the_starred_list_leaves_out_what_i_may_not_see(alice, bob, carol, trip):
    hidden = services.send_message(bob, receiver=alice, content="hidden")
    deleted = services.send_message(bob, receiver=alice, content="deleted")
    in_trip = group_services.send_group_message(alice, group=trip, content="trip")
    kept = services.send_message(bob, receiver=alice, content="kept")
    for message in (hidden, deleted, kept):
        actions.star(services.ONE_TO_ONE, alice, message_id=message.id, starred=True)
    actions.star(group_services.IN_GROUP, bob, message_id=in_trip.id, starred=True)
    actions.star(services.ONE_TO_ONE, bob, message_id=kept.id, starred=True)

    actions.delete_for_me(services.ONE_TO_ONE, alice, message_id=hidden.id)
    actions.delete_for_everyone(services.ONE_TO_ONE, bob, message_id=deleted.id)
    group_services.leave_group(bob, group=trip)

    mine = token_client(alice).get(STARRED).json()
    assert [item["message"]["message_id"] for item in mine["results"]] == [kept.id]
    theirs = token_client(bob).get(STARRED).json()
    assert [item["message"]["message_id"] for item in theirs["results"]] == [kept.id]


def test_the_starred_list_is_page_numbered(alice, bob):
    for i in range(5):
        message = services.send_message(bob, receiver=alice, content=str(i))
        actions.star(services.ONE_TO_ONE, alice, message_id=message.id, starred=True)
    client = token_client(alice)

    first = client.get(STARRED, {"page_size": 2}).json()
    last = client.get(STARRED, {"page_size": 2, "page": 3}).json()

    assert first["count"] == 5 and first["next"] and first["previous"] is None
    assert [item["message"]["content"] for item in first["results"]] == ["4", "3"]
    assert [item["message"]["content"] for item in last["results"]] == ["0"]


# The token and user, the count, the page's stars (a UNION of both kinds), then per kind its
# messages (chat and sender joined), their media, their reactions, the messages they quote
# and my stars among them.
STARRED_QUERIES = 12


@pytest.mark.parametrize("size", [2, 20])
def test_the_starred_list_query_count_stays_flat(
    alice, bob, carol, trip, size, django_assert_num_queries
):
    client = token_client(alice)
    for i in range(size):
        quoted = services.send_message(alice, receiver=bob, content=f"q{i}")
        message = services.send_message(bob, receiver=alice, content=str(i), reply_to_id=quoted.id)
        actions.react(services.ONE_TO_ONE, bob, message_id=message.id, emoji="👍")
        actions.star(services.ONE_TO_ONE, alice, message_id=message.id, starred=True)
        in_trip = group_services.send_group_message(carol, group=trip, content=str(i))
        actions.react(group_services.IN_GROUP, bob, message_id=in_trip.id, emoji="👍")
        actions.star(group_services.IN_GROUP, alice, message_id=in_trip.id, starred=True)

    with django_assert_num_queries(STARRED_QUERIES):
        response = client.get(STARRED, {"page_size": 100})

    results = response.json()["results"]
    assert len(results) == 2 * size
    assert all(item["chat"]["name"] for item in results)


def test_the_schema_documents_the_actions(api_client):
    schema = api_client.get("/api/schema/?format=json").json()

    paths = schema["paths"]
    detail = paths["/api/v1/messages/{message_id}/"]
    assert {"patch", "delete"} <= set(detail)
    assert {"400", "403", "404", "409"} <= set(detail["patch"]["responses"])
    assert {"200", "204", "400", "403", "404", "409"} <= set(detail["delete"]["responses"])
    assert {"put", "delete"} <= set(paths["/api/v1/messages/{message_id}/reaction/"])
    assert {"post", "delete"} <= set(paths["/api/v1/messages/{message_id}/star/"])
    assert "get" in paths["/api/v1/starred/"]
    assert any(p["name"] == "for" for p in detail["delete"]["parameters"])
