import pytest
from django.urls import reverse

from groups import services
from groups.models import Group, GroupMember, GroupMessage
from messaging import actions
from messaging.texts import FORWARDED_MANY_TIMES
from tests.groups.conftest import befriend


@pytest.fixture
def alice_web(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def bob_web(client, bob):
    client.force_login(bob)
    return client


def test_new_group_page_offers_my_contacts(alice_web, alice_contacts):
    response = alice_web.get(reverse("groups:new"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="group_name"' in html
    assert "Bob" in html and "Carol" in html


def test_chat_list_links_to_new_group(alice_web):
    response = alice_web.get(reverse("chats:home"))

    assert f'href="{reverse("groups:new")}"' in response.content.decode()


def test_open_group_is_marked_current_in_the_chat_list(alice_web, group):
    response = alice_web.get(reverse("groups:detail", args=[group.id]))

    html = response.content.decode()
    row_start = html.index(f'data-group-id="{group.id}"')
    row = html[html.rindex("<li", 0, row_start) : html.index("</li>", row_start)]
    assert "active" in row.split(">", 1)[0]
    assert 'aria-current="page"' in row


def test_creating_a_group_in_the_browser_makes_me_admin(alice_web, alice, bob, alice_contacts):
    response = alice_web.post(reverse("groups:new"), {"group_name": "Trip", "members": [bob.id]})

    group = Group.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("groups:detail", args=[group.id])
    assert GroupMember.objects.get(group=group, user=alice).is_admin
    assert GroupMember.objects.filter(group=group, user=bob).exists()


def test_creating_without_a_name_shows_the_error(alice_web, alice_contacts):
    response = alice_web.post(reverse("groups:new"), {"group_name": "  "})

    assert response.status_code == 400
    assert not Group.objects.exists()


def test_group_page_has_the_conversation_landmarks(alice_web, group, alice, bob):
    services.send_group_message(bob, group=group, content="Hello from Bob")

    response = alice_web.get(reverse("groups:detail", args=[group.id]))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'role="log" aria-label="Messages"' in html
    assert ">Type a message</label>" in html
    assert 'aria-label="Send"' in html
    assert ">Attach</span></label>" in html
    assert "Hello from Bob" in html
    assert 'aria-label="Chats"' in html  # the chat list in the side pane
    assert "Group admin" in html


def test_the_sender_sees_message_info_and_blue_ticks_once_all_read(
    alice_web, group, alice, bob, carol
):
    message = services.send_group_message(alice, group=group, content="Read me")
    services.mark_group_read(bob, group=group)
    services.mark_group_read(carol, group=group)

    page = alice_web.get(reverse("groups:detail", args=[group.id])).content.decode()
    info = alice_web.get(reverse("groups:message_info", args=[group.id, message.id]))

    assert "tick-read" in page
    assert reverse("groups:message_info", args=[group.id, message.id]) in page
    assert info.status_code == 200
    html = info.content.decode()
    assert "Read by" in html and "Bob" in html and "Carol" in html


def test_message_info_is_forbidden_to_other_members(client, group, alice, bob):
    message = services.send_group_message(alice, group=group, content="Mine")
    client.force_login(bob)

    response = client.get(reverse("groups:message_info", args=[group.id, message.id]))

    assert response.status_code == 403


def test_strangers_and_ex_members_get_404(client, group, alice, bob, mallory):
    services.remove_group_member(alice, group=group, member=bob)

    for user in (bob, mallory):
        client.force_login(user)
        assert client.get(reverse("groups:detail", args=[group.id])).status_code == 404


def test_posting_the_composer_sends_without_javascript(bob_web, group):
    response = bob_web.post(reverse("groups:detail", args=[group.id]), {"content": "no js"})

    assert response.status_code == 302
    assert GroupMessage.objects.get().content == "no js"


def test_admin_actions_from_the_info_panel(alice_web, group, alice, bob, carol, make_member):
    dave = make_member("Dave")
    befriend(alice, dave)

    alice_web.post(reverse("groups:rename", args=[group.id]), {"group_name": "Holiday"})
    alice_web.post(reverse("groups:add_member", args=[group.id]), {"user_id": dave.id})
    alice_web.post(reverse("groups:set_admin", args=[group.id, bob.id]), {"is_admin": "on"})
    alice_web.post(reverse("groups:remove_member", args=[group.id, carol.id]))

    group.refresh_from_db()
    members = {m.user_id: m.is_admin for m in GroupMember.objects.filter(group=group)}
    assert group.name == "Holiday"
    assert members == {alice.id: True, bob.id: True, dave.id: False}


def test_a_member_cannot_use_admin_actions(bob_web, group, carol):
    response = bob_web.post(reverse("groups:remove_member", args=[group.id, carol.id]))

    assert response.status_code == 302
    assert GroupMember.objects.filter(group=group, user=carol).exists()


def test_leaving_and_deleting(client, group, alice, bob):
    client.force_login(bob)
    assert client.post(reverse("groups:leave", args=[group.id])).status_code == 302
    assert not GroupMember.objects.filter(group=group, user=bob).exists()

    client.force_login(alice)
    assert client.post(reverse("groups:delete", args=[group.id])).status_code == 302
    assert not Group.objects.filter(pk=group.pk).exists()


def test_a_member_cannot_delete_the_group(bob_web, group):
    response = bob_web.post(reverse("groups:delete", args=[group.id]), follow=True)

    assert response.redirect_chain == [(reverse("groups:detail", args=[group.id]), 302)]
    assert "Only group admins can do this." in response.content.decode()
    assert Group.objects.filter(pk=group.pk).exists()


def test_forwarding_between_groups_in_the_browser(alice_web, group, alice, bob):
    other = services.create_group(alice, name="Work", members=[bob])
    message = services.send_group_message(bob, group=group, content="Pass it on")

    page = alice_web.get(reverse("groups:forward", args=[group.id, message.id]))
    response = alice_web.post(
        reverse("groups:forward", args=[group.id, message.id]), {"group_ids": [other.id]}
    )

    assert page.status_code == 200 and "Work" in page.content.decode()
    assert response.status_code == 302
    copy = GroupMessage.objects.get(group=other)
    assert copy.forwarded_from_id == message.id


def test_the_group_page_lists_in_the_inbox_with_unread_count(client, group, alice, bob):
    services.send_group_message(alice, group=group, content="1")
    services.send_group_message(alice, group=group, content="2")
    client.force_login(bob)

    html = client.get(reverse("chats:home")).content.decode()

    assert f'href="/groups/{group.id}/"' in html
    assert '2<span class="visually-hidden"> unread' in html


def test_forwarded_labels_in_a_group_follow_whatsapp(alice_web, group, bob):
    once = services.send_group_message(bob, group=group, content="pass on")
    viral = services.send_group_message(bob, group=group, content="viral")
    GroupMessage.objects.filter(id=once.id).update(forward_count=FORWARDED_MANY_TIMES - 1)
    GroupMessage.objects.filter(id=viral.id).update(forward_count=FORWARDED_MANY_TIMES)

    page = alice_web.get(reverse("groups:detail", args=[group.id])).content.decode()

    assert page.count('<span class="bubble-forwarded">Forwarded</span>') == 1
    assert (
        page.count('<span class="bubble-forwarded bubble-forwarded-many">Forwarded many times<')
        == 1
    )


def test_group_bubbles_are_the_chat_bubble_with_sender_names(alice_web, group, alice, bob):
    mine = services.send_group_message(alice, group=group, content="mine", client_id="c-7")
    theirs = services.send_group_message(bob, group=group, content="theirs")

    response = alice_web.get(reverse("groups:detail", args=[group.id]))

    assert "chats/_bubble.html" in [t.name for t in response.templates]
    page = response.content.decode()
    assert f'data-group-message-id="{mine.id}"' in page
    assert 'data-client-id="c-7"' in page
    assert '<span class="bubble-sender">Bob</span>' in page
    assert f'href="/report/?kind=group_message&amp;id={theirs.id}"' in page
    info = reverse("groups:message_info", args=[group.id, mine.id])
    assert f'<a class="message-info-link" href="{info}">Message info</a>' in page


def test_group_bubbles_quote_and_react_by_member_names(alice_web, group, alice, bob):
    asked = services.send_group_message(bob, group=group, content="Pizza tonight?")
    reply = services.send_group_message(alice, group=group, content="Yes", reply_to_id=asked.id)
    actions.react(services.IN_GROUP, bob, message_id=reply.id, emoji="🍕")
    hidden = services.send_group_message(bob, group=group, content="Never mind")
    actions.delete_for_me(services.IN_GROUP, alice, message_id=hidden.id)

    page = alice_web.get(reverse("groups:detail", args=[group.id])).content.decode()

    assert '<span class="bubble-quote-sender">Bob</span>' in page
    assert f'<span class="reaction" data-user-ids="{bob.id}">' in page
    assert f'"{alice.id}": "You"' in page.split('id="chat-names"')[1].split("</script>")[0]
    assert "Never mind" not in page
