"""HTML chat pages: the chat list, an open conversation, the no-JS composer and forwarding."""

import json
import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from chats import selectors, services
from chats.models import Message
from groups import services as group_services
from messaging import actions
from messaging.texts import PAGE_TEXTS
from tests.accounts.conftest import image_bytes, upload
from tests.chats.test_selectors import group_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_browser(client, alice):
    client.force_login(alice)
    return client


def conversation_url(user) -> str:
    return reverse("chats:conversation", args=[user.id])


def html(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("url", ["/", "/chats/1/", "/chats/messages/1/forward/"])
def test_the_chat_pages_need_a_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_home_lists_chats_newest_first_with_unread_badges(alice_browser, alice, bob, carol):
    services.send_message(carol, receiver=alice, content="older from Carol")
    group = group_with(alice, bob, name="Hikers", messages=[(bob, "trail at 9?")])
    services.send_message(bob, receiver=alice, content="Hi <Alice>")

    page = html(alice_browser.get("/"))

    chat_list = re.search(r'<ul[^>]*aria-label="Chats".*?</ul>\s*<p', page, re.S).group(0)
    names = re.findall(r'class="list-item-title chat-name"[^>]*>([^<]+)<', chat_list)
    assert names == ["Bob", "Hikers", "Carol"]
    assert f'href="{conversation_url(bob)}"' in chat_list
    assert f'href="/groups/{group.id}/"' in chat_list
    assert "Hi &lt;Alice&gt;" in chat_list  # escaped preview
    assert re.search(r'class="badge unread-badge">1<', chat_list)


def test_home_shows_ticks_on_my_last_message(alice_browser, alice, bob):
    message = services.send_message(alice, receiver=bob, content="seen?")
    services.mark_read(bob, message_ids=[message.id])

    page = html(alice_browser.get("/"))

    assert 'class="tick tick-read" role="img" aria-label="Read"' in page


def test_the_conversation_has_the_log_and_the_composer(alice_browser, alice, bob):
    first = services.send_message(bob, receiver=alice, content="first")
    second = services.send_message(alice, receiver=bob, content="second")

    response = alice_browser.get(conversation_url(bob))

    assert response.status_code == 200
    page = html(response)
    assert 'role="log" aria-label="Messages"' in page
    assert '<label for="composer-input" class="visually-hidden">Type a message</label>' in page
    assert 'aria-label="Send"' in page
    # The paperclip is the file input's label; its text, for screen readers, is "Attach".
    assert re.search(
        r'<label for="composer-files"[^>]*>(?:(?!</label>).)*>Attach</span></label>', page
    )
    assert 'type="file" id="composer-files" name="files"' in page
    assert page.index(f'data-message-id="{first.id}"') < page.index(
        f'data-message-id="{second.id}"'
    )
    assert 'class="tick tick-sent" role="img" aria-label="Sent"' in page
    assert "chat.js" in page and "<script>" not in page


def test_opening_a_conversation_delivers_what_it_shows(alice_browser, alice, bob):
    message = services.send_message(bob, receiver=alice, content="hi")

    alice_browser.get(conversation_url(bob))

    message.refresh_from_db()
    assert message.delivered_at is not None and message.read_at is None


def test_forwarded_labels_follow_whatsapp(alice_browser, alice, bob):
    original = services.send_message(bob, receiver=alice, content="pass on")
    [once] = services.forward_message(bob, message=original, receivers=[alice])
    viral = services.send_message(bob, receiver=alice, content="viral")
    Message.objects.filter(id=viral.id).update(forward_count=5)

    page = html(alice_browser.get(conversation_url(bob)))

    assert page.count(">Forwarded<") == 1
    assert page.count(">Forwarded many times<") == 1


def test_removed_messages_show_no_content(alice_browser, alice, bob):
    message = services.send_message(bob, receiver=alice, content="rude words")
    Message.objects.filter(id=message.id).update(removed_at=timezone.now())

    page = html(alice_browser.get(conversation_url(bob)))

    assert "rude words" not in page
    assert "This message was removed" in page


def test_the_page_gives_its_scripts_the_message_texts(alice_browser):
    page = html(alice_browser.get("/"))

    found = re.search(r'<script id="message-texts" type="application/json">(.*?)</script>', page)
    assert found and json.loads(found.group(1)) == PAGE_TEXTS


def test_an_unknown_conversation_is_404(alice_browser):
    assert alice_browser.get("/chats/999999/").status_code == 404


def test_the_form_sends_through_the_service_and_redirects(
    alice_browser, alice, bob, pushes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_browser.post(conversation_url(bob), {"content": "no JS needed"})

    assert response.status_code == 302 and response.url == conversation_url(bob)
    message = Message.objects.get()
    assert (message.sender, message.receiver, message.content) == (alice, bob, "no JS needed")
    assert pushes.frames("message.new", user=bob)


def test_the_form_honours_a_client_id(alice_browser, bob):
    alice_browser.post(conversation_url(bob), {"content": "once", "client_id": "form-1"})
    alice_browser.post(conversation_url(bob), {"content": "once", "client_id": "form-1"})

    assert Message.objects.count() == 1


def test_a_blank_message_shows_an_error(alice_browser, bob):
    response = alice_browser.post(conversation_url(bob), {"content": "  "})

    assert response.status_code == 400
    assert "Type a message or attach a file." in html(response)
    assert Message.objects.count() == 0


def test_a_blocked_chat_shows_why_it_cannot_send(alice_browser, alice, bob):
    account_services.block_user(alice, blocked=bob)

    response = alice_browser.post(conversation_url(bob), {"content": "hi"})

    assert response.status_code == 403
    assert "You cannot message this user." in html(response)
    assert "You blocked this contact." in html(response)
    assert Message.objects.count() == 0


def test_the_form_attaches_files(alice_browser, bob):
    upload = SimpleUploadedFile("list.txt", b"milk\neggs\n", content_type="text/plain")

    response = alice_browser.post(conversation_url(bob), {"content": "", "files": [upload]})

    assert response.status_code == 302
    assert [m.original_name for m in Message.objects.get().media.all()] == ["list.txt"]


def test_long_histories_link_to_older_messages(alice_browser, alice, bob):
    for i in range(55):
        services.send_message(bob, receiver=alice, content=f"m{i}")

    page = html(alice_browser.get(conversation_url(bob)))
    older = re.search(r'href="(\?cursor=[^"]+)"', page).group(1)
    api = re.search(r'data-older-url="([^"]+)"', page).group(1)
    older_page = html(alice_browser.get(conversation_url(bob) + older.replace("&amp;", "&")))

    def bubble(text):
        return f'class="bubble-text">{text}<'

    assert bubble("m54") in page and bubble("m4") not in page
    assert bubble("m4") in older_page and bubble("m54") not in older_page
    assert api.startswith("/api/v1/messages/?") and f"with={bob.id}" in api
    assert alice_browser.get(api.replace("&amp;", "&")).status_code == 200


def test_the_header_shows_online_to_contacts(client, friends):
    alice, bob = friends
    cache.set(selectors.presence_key(bob.id), 1, timeout=None)
    client.force_login(alice)

    page = html(client.get(conversation_url(bob)))

    assert re.search(r'id="conversation-status"[^>]*>online<', page)


def test_the_header_shows_last_seen_to_contacts(client, friends):
    alice, bob = friends
    bob.last_seen = timezone.now()
    bob.save()
    client.force_login(alice)

    page = html(client.get(conversation_url(bob)))

    assert "last seen today at" in page


def test_strangers_see_no_presence(alice_browser, bob):
    cache.set(selectors.presence_key(bob.id), 1, timeout=None)

    page = html(alice_browser.get(conversation_url(bob)))

    assert not re.search(r'id="conversation-status"[^>]*>online<', page)


def test_the_forward_page_forwards_and_returns_to_the_chat(alice_browser, alice, bob, carol):
    account_services.add_contact(alice, contact_user=carol)
    original = services.send_message(bob, receiver=alice, content="fwd me")
    url = reverse("chats:forward", args=[original.id])

    assert "Carol" in html(alice_browser.get(url))
    response = alice_browser.post(url, {"receiver_ids": [carol.id]})

    assert response.status_code == 302 and response.url == conversation_url(carol)
    copy = Message.objects.get(receiver=carol)
    assert copy.forwarded_from == original and copy.sender == alice


def test_the_forward_page_of_someone_elses_message_is_404(client, alice, bob, mallory):
    message = services.send_message(alice, receiver=bob, content="private")
    client.force_login(mallory)

    assert client.get(reverse("chats:forward", args=[message.id])).status_code == 404


def test_a_chat_i_started_with_a_stranger_shows_no_picture_of_theirs(alice_browser, alice, bob):
    account_services.update_profile(bob, picture=upload(image_bytes()))
    services.send_message(alice, receiver=bob, content="hello, stranger")
    picture = f"/users/{bob.id}/picture/"

    before = html(alice_browser.get(conversation_url(bob)))
    services.send_message(bob, receiver=alice, content="hi, Bob here")
    after = html(alice_browser.get(conversation_url(bob)))

    assert picture not in before and bob.phone_number not in before
    assert picture in after


def test_a_bubble_carries_what_the_live_renderer_draws(alice_browser, alice, bob):
    mine = services.send_message(alice, receiver=bob, content="mine", client_id="c-42")
    theirs = services.send_message(bob, receiver=alice, content="theirs")

    response = alice_browser.get(conversation_url(bob))

    assert "chats/_bubble.html" in [t.name for t in response.templates]
    page = html(response)
    # Times as the API writes them; my client_id, for a pending send to find its row.
    sent_at = mine.sent_at.isoformat().replace("+00:00", "Z")
    assert f'data-sent-at="{sent_at}" data-client-id="c-42"' in page
    assert f'<time class="bubble-time" datetime="{sent_at}">' in page
    # Others' messages can be reported from the bubble's menu; mine cannot.
    assert f'href="/report/?kind=message&amp;id={theirs.id}"' in page
    assert f"kind=message&amp;id={mine.id}" not in page


def test_a_chat_with_myself_shows_no_ticks(alice_browser, alice):
    services.send_message(alice, receiver=alice, content="note to self")

    page = html(alice_browser.get(conversation_url(alice)))

    log = page.split('aria-label="Messages"')[1].split("</section>")[0]
    assert "note to self" in log
    assert 'class="tick' not in log


def test_a_bubble_shows_its_quote_reactions_edit_and_star(alice_browser, alice, bob):
    asked = services.send_message(bob, receiver=alice, content="Dinner at 8?")
    reply = services.send_message(alice, receiver=bob, content="Yes", reply_to_id=asked.id)
    actions.react(services.ONE_TO_ONE, bob, message_id=reply.id, emoji="👍")
    actions.edit(services.ONE_TO_ONE, alice, message_id=reply.id, content="Yes!")
    actions.star(services.ONE_TO_ONE, alice, message_id=asked.id, starred=True)

    page = html(alice_browser.get(conversation_url(bob)))

    assert (
        f'<button type="button" class="bubble-quote" data-quote-id="{asked.id}">'
        '<span class="bubble-quote-sender">Bob</span>'
        '<span class="bubble-quote-text">Dinner at 8?</span></button>'
    ) in page
    assert (
        f'<span class="reaction" data-user-ids="{bob.id}"><span class="reaction-emoji">👍</span>'
        '<span class="reaction-count">1</span></span>'
    ) in page
    assert '<span class="bubble-edited">Edited</span>' in page
    assert page.count('<span class="bubble-star" role="img" aria-label="Starred">') == 1
    for item in ("Reply", "React", "Edit", "Delete", "Star", "Unstar", "Forward", "Report"):
        assert f">{item}</" in page
    assert json.loads(page.split('id="chat-names" type="application/json">')[1].split("<")[0]) == {
        str(alice.id): "You",
        str(bob.id): "Bob",
    }


def test_a_message_deleted_for_everyone_is_a_tombstone(alice_browser, alice, bob):
    mine = services.send_message(alice, receiver=bob, content="Wrong chat")
    theirs = services.send_message(bob, receiver=alice, content="Oops")
    for user, message in ((alice, mine), (bob, theirs)):
        actions.delete_for_everyone(services.ONE_TO_ONE, user, message_id=message.id)

    page = html(alice_browser.get(conversation_url(bob)))

    assert "Wrong chat" not in page.split('aria-label="Messages"')[1]
    assert '<span class="bubble-text bubble-deleted-text">You deleted this message</span>' in page
    assert '<span class="bubble-text bubble-deleted-text">This message was deleted</span>' in page


def test_starred_messages_lists_both_kinds_and_links_to_their_chats(alice_browser, alice, bob):
    account_services.add_contact(alice, contact_user=bob)
    older = services.send_message(bob, receiver=alice, content="The door code is 4521")
    group = group_services.create_group(alice, name="Trip", members=[bob])
    in_group = group_services.send_group_message(bob, group=group, content="Flights at 6")
    actions.star(services.ONE_TO_ONE, alice, message_id=older.id, starred=True)
    actions.star(group_services.IN_GROUP, alice, message_id=in_group.id, starred=True)

    response = alice_browser.get(reverse("chats:starred"))

    page = html(response)
    assert response.status_code == 200
    assert page.index("Flights at 6") < page.index("The door code is 4521")
    assert f'href="/groups/{group.id}/?message={in_group.id}"' in page
    assert f'href="/chats/{bob.id}/?message={older.id}"' in page
    assert 'href="/starred/"' in page  # from the chat list's header


def test_starred_messages_needs_a_login(client):
    response = client.get(reverse("chats:starred"))

    assert response.status_code == 302
