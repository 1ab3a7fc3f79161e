"""The 1:1 message admin with the message actions: replies, edits, deletions and reactions,
and the read-only lists of reactions, stars and "deleted for me"."""

import pytest
from django.contrib.auth.models import Group as AuthGroup
from django.test import Client

from chats import services
from chats.models import Message, MessageReaction
from messaging import actions
from tests.conftest import PASSWORD

ONE_TO_ONE = services.ONE_TO_ONE
MESSAGES = "/admin/chats/message/"


@pytest.fixture
def exchange(friends):
    """Bob's message to Alice, Alice's reply to it (edited), both reacted to; and a message Bob
    deleted for everyone."""
    alice, bob = friends
    original = services.send_message(bob, receiver=alice, content="lunch at noon?")
    reply = services.send_message(alice, receiver=bob, content="yes", reply_to_id=original.id)
    actions.edit(ONE_TO_ONE, alice, message_id=reply.id, content="yes, see you")
    actions.react(ONE_TO_ONE, alice, message_id=original.id, emoji="👍")
    actions.react(ONE_TO_ONE, bob, message_id=original.id, emoji="❤️")
    gone = services.send_message(bob, receiver=alice, content="wrong chat, sorry")
    actions.delete_for_everyone(ONE_TO_ONE, bob, message_id=gone.id)
    return original, Message.objects.get(id=reply.id), Message.objects.get(id=gone.id)


@pytest.fixture
def moderator_client(make_user):
    """Staff in the "Moderator" group: they may view messages, not change them."""
    user = make_user("Mod", "+14155550901")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(AuthGroup.objects.get(name="Moderator"))
    client = Client()
    assert client.login(phone_number=user.phone_number, password=PASSWORD)
    return client


def listed(response) -> list[int]:
    return [row.id for row in response.context["cl"].result_list]


def test_the_message_list_shows_replies_edits_and_deletions(superuser_client, exchange):
    original, reply, gone = exchange

    page = superuser_client.get(MESSAGES).content.decode()

    assert f'href="{MESSAGES}{original.id}/change/">#{original.id}</a>' in page  # reply's link
    for column in ("column-reply", "column-is_edited", "column-is_deleted"):
        assert column in page
    assert "[this message was deleted]" in page
    assert "wrong chat, sorry" not in page


def test_the_deleted_filter_lists_tombstones(superuser_client, exchange):
    original, reply, gone = exchange

    assert listed(superuser_client.get(MESSAGES + "?deleted=yes")) == [gone.id]
    assert set(listed(superuser_client.get(MESSAGES + "?deleted=no"))) == {original.id, reply.id}


def test_a_message_page_shows_its_reply_edit_time_and_reactions(superuser_client, exchange):
    original, reply, gone = exchange

    quoted = superuser_client.get(f"{MESSAGES}{original.id}/change/").content.decode()
    replying = superuser_client.get(f"{MESSAGES}{reply.id}/change/").content.decode()

    assert "👍" in quoted and "❤️" in quoted
    assert "Alice" in quoted and "Bob" in quoted  # who reacted
    assert f'href="{MESSAGES}{original.id}/change/"' in replying
    assert "Edited at" in replying
    assert 'name="reply_to"' not in replying
    assert 'name="edited_at"' not in replying and 'name="deleted_at"' not in replying


def test_staff_cannot_write_a_deleted_messages_content_back(superuser_client, exchange):
    original, reply, gone = exchange
    url = f"{MESSAGES}{gone.id}/change/"

    page = superuser_client.get(url)
    response = superuser_client.post(
        url, {"sender": gone.sender_id, "receiver": gone.receiver_id, "content": "restored"}
    )

    assert page.status_code == 200
    assert 'name="content"' not in page.content.decode()  # view only
    assert "Deleted at" in page.content.decode()
    assert response.status_code == 403
    gone.refresh_from_db()
    assert gone.content == ""


def test_a_moderator_sees_reactions_on_the_message_page(moderator_client, exchange):
    original, _, _ = exchange

    page = moderator_client.get(f"{MESSAGES}{original.id}/change/")

    assert page.status_code == 200
    assert "👍" in page.content.decode()


def test_the_message_list_costs_the_same_queries_for_few_or_many(
    superuser_client, friends, django_assert_max_num_queries
):
    alice, bob = friends

    def add(count):
        for i in range(count):
            first = services.send_message(bob, receiver=alice, content=f"q{i}")
            reply = services.send_message(alice, receiver=bob, content="a", reply_to_id=first.id)
            actions.react(ONE_TO_ONE, alice, message_id=first.id, emoji="😂")
            actions.edit(ONE_TO_ONE, alice, message_id=reply.id, content="b")
            actions.delete_for_everyone(ONE_TO_ONE, bob, message_id=first.id)

    add(2)
    with django_assert_max_num_queries(20) as few:
        superuser_client.get(MESSAGES)
    add(15)

    with django_assert_max_num_queries(len(few.captured_queries)):
        superuser_client.get(MESSAGES)


def test_a_message_page_costs_the_same_queries_for_few_or_many_reactions(
    superuser_client, friends, make_user, django_assert_max_num_queries
):
    alice, bob = friends
    message = services.send_message(bob, receiver=alice, content="hi")
    url = f"{MESSAGES}{message.id}/change/"
    # Reactions only come from the two participants; rows written directly to reach a size.
    actions.react(ONE_TO_ONE, alice, message_id=message.id, emoji="👍")
    with django_assert_max_num_queries(30) as few:
        superuser_client.get(url)
    MessageReaction.objects.bulk_create(
        MessageReaction(message=message, user=make_user(), emoji="🔥") for _ in range(8)
    )

    with django_assert_max_num_queries(len(few.captured_queries)):
        page = superuser_client.get(url)

    assert page.content.decode().count("🔥") >= 8


# --- the reactions, stars and "deleted for me" lists ----------------------------------------


@pytest.fixture
def marks(exchange, friends):
    """Alice starred and hid Bob's message (the reactions are the exchange's)."""
    alice, _ = friends
    original, _, _ = exchange
    actions.star(ONE_TO_ONE, alice, message_id=original.id, starred=True)
    actions.delete_for_me(ONE_TO_ONE, alice, message_id=original.id)
    return original


@pytest.mark.parametrize("name", ["messagereaction", "messagestar", "messagehide"])
def test_the_action_rows_are_listed_and_searched_by_user_or_message_id(
    superuser_client, friends, marks, name
):
    alice, bob = friends
    url = f"/admin/chats/{name}/"

    everything = superuser_client.get(url)
    by_user = listed(superuser_client.get(url, {"q": str(alice.id)}))
    by_message = listed(superuser_client.get(url, {"q": str(marks.id)}))
    by_word = listed(superuser_client.get(url, {"q": "alice"}))

    assert everything.status_code == 200
    model = everything.context["cl"].model
    assert by_user == list(
        model.objects.filter(user=alice).order_by("-id").values_list("id", flat=True)
    )
    assert set(by_message) == set(model.objects.filter(message=marks).values_list("id", flat=True))
    assert by_message and by_word == []
    assert f'href="{MESSAGES}{marks.id}/change/"' in everything.content.decode()


@pytest.mark.parametrize("name", ["messagereaction", "messagestar", "messagehide"])
def test_nobody_adds_changes_or_deletes_action_rows_in_the_admin(superuser_client, marks, name):
    url = f"/admin/chats/{name}/"
    row = superuser_client.get(url).context["cl"].result_list[0]

    assert superuser_client.get(url + "add/").status_code == 403
    assert superuser_client.post(f"{url}{row.id}/change/", {}).status_code == 403
    assert superuser_client.post(f"{url}{row.id}/delete/", {"post": "yes"}).status_code == 403
    assert type(row).objects.filter(id=row.id).exists()


def test_the_reaction_list_costs_the_same_queries_for_few_or_many(
    superuser_client, friends, make_user, django_assert_max_num_queries
):
    alice, bob = friends
    message = services.send_message(bob, receiver=alice, content="hi")
    actions.react(ONE_TO_ONE, alice, message_id=message.id, emoji="👍")
    with django_assert_max_num_queries(20) as few:
        superuser_client.get("/admin/chats/messagereaction/")
    MessageReaction.objects.bulk_create(
        MessageReaction(message=message, user=make_user(), emoji="🔥") for _ in range(10)
    )

    with django_assert_max_num_queries(len(few.captured_queries)):
        superuser_client.get("/admin/chats/messagereaction/")
