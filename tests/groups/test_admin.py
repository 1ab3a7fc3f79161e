"""The group message admin with the message actions, and the read-only lists of group
reactions, stars and "deleted for me"."""

import pytest

from groups import services
from groups.models import GroupMessage, GroupMessageReaction
from messaging import actions

IN_GROUP = services.IN_GROUP
MESSAGES = "/admin/groups/groupmessage/"


@pytest.fixture
def exchange(group, alice, bob, carol):
    """In "Trip": Bob's message with reactions, Carol's edited reply, a message Bob deleted."""
    original = services.send_group_message(bob, group=group, content="train at 9")
    reply = services.send_group_message(carol, group=group, content="ok", reply_to_id=original.id)
    actions.edit(IN_GROUP, carol, message_id=reply.id, content="ok, see you")
    actions.react(IN_GROUP, alice, message_id=original.id, emoji="👍")
    actions.react(IN_GROUP, carol, message_id=original.id, emoji="🚆")
    gone = services.send_group_message(bob, group=group, content="oops")
    actions.delete_for_everyone(IN_GROUP, bob, message_id=gone.id)
    return original, GroupMessage.objects.get(id=reply.id), GroupMessage.objects.get(id=gone.id)


def listed(response) -> list[int]:
    return [row.id for row in response.context["cl"].result_list]


def test_the_group_message_list_shows_replies_edits_and_deletions(superuser_client, exchange):
    original, reply, gone = exchange

    page = superuser_client.get(MESSAGES).content.decode()

    assert f'href="{MESSAGES}{original.id}/change/">#{original.id}</a>' in page
    assert "[this message was deleted]" in page and "oops" not in page
    assert listed(superuser_client.get(MESSAGES + "?deleted=yes")) == [gone.id]


def test_a_group_message_page_shows_its_reactions_and_edit_time(superuser_client, exchange):
    original, reply, _ = exchange

    quoted = superuser_client.get(f"{MESSAGES}{original.id}/change/").content.decode()
    replying = superuser_client.get(f"{MESSAGES}{reply.id}/change/").content.decode()

    assert "👍" in quoted and "🚆" in quoted
    assert "Edited at" in replying and f'href="{MESSAGES}{original.id}/change/"' in replying


def test_staff_cannot_write_a_deleted_group_messages_content_back(superuser_client, exchange):
    _, _, gone = exchange
    url = f"{MESSAGES}{gone.id}/change/"

    page = superuser_client.get(url).content.decode()
    response = superuser_client.post(url, {"content": "restored"})

    assert 'name="content"' not in page
    assert response.status_code == 403
    gone.refresh_from_db()
    assert gone.content == ""


def test_the_group_message_list_costs_the_same_queries_for_few_or_many(
    superuser_client, group, alice, bob, django_assert_max_num_queries
):
    def add(count):
        for i in range(count):
            first = services.send_group_message(bob, group=group, content=f"q{i}")
            reply = services.send_group_message(
                alice, group=group, content="a", reply_to_id=first.id
            )
            actions.react(IN_GROUP, alice, message_id=first.id, emoji="😂")
            actions.edit(IN_GROUP, alice, message_id=reply.id, content="b")
            actions.delete_for_everyone(IN_GROUP, bob, message_id=first.id)

    add(2)
    with django_assert_max_num_queries(20) as few:
        superuser_client.get(MESSAGES)
    add(15)

    with django_assert_max_num_queries(len(few.captured_queries)):
        superuser_client.get(MESSAGES)


def test_a_group_message_page_costs_the_same_queries_for_few_or_many_reactions(
    superuser_client, group, alice, bob, make_member, django_assert_max_num_queries
):
    message = services.send_group_message(bob, group=group, content="hi")
    url = f"{MESSAGES}{message.id}/change/"
    actions.react(IN_GROUP, alice, message_id=message.id, emoji="👍")
    with django_assert_max_num_queries(30) as few:
        superuser_client.get(url)
    GroupMessageReaction.objects.bulk_create(
        GroupMessageReaction(message=message, user=make_member(), emoji="🔥") for _ in range(8)
    )

    with django_assert_max_num_queries(len(few.captured_queries)):
        page = superuser_client.get(url)

    assert page.content.decode().count("🔥") >= 8


@pytest.fixture
def marks(exchange, carol):
    original, _, _ = exchange
    actions.star(IN_GROUP, carol, message_id=original.id, starred=True)
    actions.delete_for_me(IN_GROUP, carol, message_id=original.id)
    return original


@pytest.mark.parametrize("name", ["groupmessagereaction", "groupmessagestar", "groupmessagehide"])
def test_group_action_rows_are_read_only_and_searched_by_id(superuser_client, carol, marks, name):
    url = f"/admin/groups/{name}/"

    everything = superuser_client.get(url)
    by_user = listed(superuser_client.get(url, {"q": str(carol.id)}))
    by_message = listed(superuser_client.get(url, {"q": str(marks.id)}))
    row = everything.context["cl"].result_list[0]

    assert everything.status_code == 200
    assert by_user and set(by_user) <= set(by_message)
    assert f'href="{MESSAGES}{marks.id}/change/"' in everything.content.decode()
    assert superuser_client.get(url + "add/").status_code == 403
    assert superuser_client.post(f"{url}{row.id}/change/", {}).status_code == 403
    assert superuser_client.post(f"{url}{row.id}/delete/", {"post": "yes"}).status_code == 403
