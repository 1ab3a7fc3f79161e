"""One markup per face: a bubble and an inbox row look the same whether the server rendered them
(templates/chats/_bubble.html, templates/chats/_chat_row.html) or the page's JS drew them from
the REST JSON (``Conversation.messageView``, ``ChatList.renderRow``), as it does for every
message that arrives live.

Each page is fetched again and parsed in the browser, its times localized as the page does
(``Conversation.localTimes``, ``ChatList.localTimes``); the same messages and rows fetched from
the API are drawn by the JS renderers; both are normalized (attributes sorted by name, runs of
whitespace collapsed, whitespace between tags dropped) and compared row by row.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from chats import services as chat_services
from chats.models import Message
from communities import services as community_services
from communities.models import CommunityAnnouncement
from groups import services as group_services
from groups.models import GroupMessage
from messaging import actions
from tests.accounts.conftest import image_bytes, upload
from tests.browser.conftest import open_as
from whatsapp import realtime

pytestmark = pytest.mark.browser

# In the page: a node as a string with its attributes sorted by name, runs of whitespace
# collapsed and whitespace-only text (between tags) dropped.
NORMALIZE = """
function norm(node) {
  if (node.nodeType === Node.TEXT_NODE) {
    const text = node.textContent.replace(/\\s+/g, " ");
    return text.trim() ? text : "";
  }
  if (node.nodeType !== Node.ELEMENT_NODE) { return ""; }
  const attrs = Array.from(node.attributes)
    .map(function (a) { return [a.name, a.value]; })
    .sort(function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0; })
    .map(function (a) { return " " + a[0] + '="' + a[1] + '"'; }).join("");
  return "<" + node.localName + attrs + ">" + Array.from(node.childNodes).map(norm).join("") +
    "</" + node.localName + ">";
}
"""

# In the page: the server's rows of `path` and the JS renderers' rows of the same messages and
# inbox rows, normalized, as {key: markup}.
RENDER_BOTH_WAYS = (
    """
async ({ path, historyUrl, kind }) => {
"""
    + NORMALIZE
    + """
  const C = window.Conversation;
  const me = Number(document.querySelector(".shell").dataset.userId);
  const idData = kind === "group" ? "groupMessageId" : "messageId";
  const idField = kind === "group" ? "group_message_id" : "message_id";
  const rowKey = function (row) {
    return row.dataset.kind + "-" + (row.dataset.peerId || row.dataset.groupId);
  };

  const html = await (await fetch(path, { credentials: "same-origin" })).text();
  const doc = new DOMParser().parseFromString(html, "text/html");
  const log = doc.querySelector('[role="log"][aria-label="Messages"]');
  const list = doc.getElementById("chat-list");
  C.localTimes(log);
  window.ChatList.localTimes(list);

  const server = { bubbles: {}, rows: {} };
  log.querySelectorAll(".message-row").forEach(function (row) {
    server.bubbles[row.dataset[idData]] = norm(row);
  });
  list.querySelectorAll(".chat-row").forEach(function (row) {
    server.rows[rowKey(row)] = norm(row);
  });

  const js = { bubbles: {}, rows: {} };
  const view = C.messageView({ me: me, kind: kind });
  const history = await window.AppHttp.getJSON(historyUrl);
  history.results.forEach(function (m) { js.bubbles[m[idField]] = norm(view.render(m)); });
  const inbox = await window.AppHttp.getJSON(window.AppHttp.url("api_chats"));
  inbox.results.forEach(function (r) {
    const row = window.ChatList.renderRow(r);
    js.rows[rowKey(row)] = norm(row);
  });
  return { server: server, js: js };
}
"""
)


@pytest.fixture(autouse=True)
def _no_pushes_from_the_test_process(monkeypatch):
    """Data made here through services would push on this process's in-memory channel layer,
    which reaches no live server, from a thread where Playwright's loop counts as running."""
    monkeypatch.setattr(realtime, "_send", lambda *args: None)


def befriend(*users):
    for user in users:
        for other in users:
            if other != user:
                account_services.add_contact(user, contact_user=other)


def files():
    return [
        upload(image_bytes(size=(320, 240)), "beach.jpg", "image/jpeg"),
        SimpleUploadedFile("notes.txt", b"meeting at noon\n" * 100, content_type="text/plain"),
    ]


def every_kind_of_bubble(send, *, me, other, forward, kind):
    """Plain, outgoing, forwarded, forwarded many times, removed, with an image and a document;
    then the message actions: replies (to text, to media only, to a deleted message), reacted
    (two emoji, one of them mine), edited, deleted for everyone (mine and theirs), starred."""
    hello = send(other, "Hello from the other side")
    mine = send(me, "Mine, with ticks")
    forward(mine)
    many = send(other, "Chain letter")
    forward(many)
    type(many).objects.filter(id=many.id).update(forward_count=5)
    removed = send(other, "Something rude")
    type(removed).objects.filter(id=removed.id).update(removed_at=timezone.now())
    send(me, "Holiday pictures", files=files())
    document = send(other, "", files=files()[1:])

    send(me, "Same to you", reply_to_id=hello.id)
    send(other, "What is this?", reply_to_id=document.id)
    reacted = send(other, "Dinner at 8?")
    actions.react(kind, me, message_id=reacted.id, emoji="👍")
    actions.react(kind, other, message_id=reacted.id, emoji="❤️")
    edited = send(me, "See you tomorow")
    actions.edit(kind, me, message_id=edited.id, content="See you tomorrow")
    taken_back = send(me, "Wrong chat")
    send(other, "Why?", reply_to_id=taken_back.id)
    actions.delete_for_everyone(kind, me, message_id=taken_back.id)
    theirs = send(other, "Oops")
    actions.delete_for_everyone(kind, other, message_id=theirs.id)
    starred = send(other, "The door code is 4521")
    actions.star(kind, me, message_id=starred.id, starred=True)


# In the page: the server's announcements and the JS renderer's, normalized, as {id: markup}.
ANNOUNCEMENTS_BOTH_WAYS = (
    """
async ({ listUrl }) => {
"""
    + NORMALIZE
    + """
  const html = await (await fetch(location.href)).text();
  const doc = new DOMParser().parseFromString(html, "text/html");
  const log = doc.getElementById("announcement-log");
  window.Announcements.localTimes(log);
  const server = {};
  log.querySelectorAll(".announcement").forEach(function (a) {
    server[a.dataset.announcementId] = norm(a);
  });
  const js = {};
  (await window.AppHttp.getJSON(listUrl)).results.forEach(function (a) {
    js[a.announcement_id] = norm(window.Announcements.render(a));
  });
  return { server: server, js: js };
}
"""
)


def render_both_ways(page, base_url: str, path: str, history_url: str, kind: str) -> dict:
    page.goto(f"{base_url}{path}")
    return page.evaluate(RENDER_BOTH_WAYS, {"path": path, "historyUrl": history_url, "kind": kind})


def assert_same_markup(result: dict, *, bubbles: int, rows: int) -> None:
    for face, count in (("bubbles", bubbles), ("rows", rows)):
        server, js = result["server"][face], result["js"][face]
        assert len(server) == count, server
        assert sorted(js) == sorted(server)
        for key, markup in server.items():
            assert js[key] == markup, f"{face} {key} differ"


def test_bubbles_and_chat_rows_drawn_by_js_equal_the_server_ones(
    live_server_url, new_page, alice, bob, carol
):
    befriend(alice, bob, carol)
    account_services.update_profile(bob, picture=upload(image_bytes()))
    group = group_services.create_group(alice, name="Trip", members=[bob, carol])
    unread_group = group_services.create_group(bob, name="Book club", members=[alice])

    def send_chat(sender, content, files=(), reply_to_id=None):
        receiver = bob if sender == alice else alice
        return chat_services.send_message(
            sender, receiver=receiver, content=content, files=files, reply_to_id=reply_to_id
        )

    def send_group(sender, content, files=(), reply_to_id=None):
        return group_services.send_group_message(
            sender, group=group, content=content, files=files, reply_to_id=reply_to_id
        )

    every_kind_of_bubble(
        send_chat,
        me=alice,
        other=bob,
        forward=lambda m: chat_services.forward_message(alice, message=m, receivers=[carol]),
        kind=chat_services.ONE_TO_ONE,
    )
    every_kind_of_bubble(
        send_group,
        me=alice,
        other=bob,
        forward=lambda m: group_services.forward_group_message(alice, message=m, groups=[group]),
        kind=group_services.IN_GROUP,
    )
    chat_services.send_message(alice, receiver=alice, content="Note to self", client_id="c-1")
    chat_services.send_message(carol, receiver=alice, content="Unread, from Carol")
    group_services.send_group_message(bob, group=unread_group, content="Chapter 3 tonight")
    # What opening the pages marks read is read already: the two fetches see the same state.
    chat_services.mark_read(
        alice, message_ids=Message.objects.filter(sender=bob).values_list("id", flat=True)
    )
    group_services.mark_group_read(alice, group=group)
    assert GroupMessage.objects.filter(group=group).exists()

    page = open_as(new_page, live_server_url, alice, "/")
    history = reverse("chats_api:message_list")
    group_history = reverse("groups_api:message_list", args=[group.id])
    # 1:1 rows: Bob, Carol, Alice herself; group rows: Trip, Book club.
    chat_rows = 5

    one_to_one = render_both_ways(
        page, live_server_url, f"/chats/{bob.id}/", f"{history}?with={bob.id}", "user"
    )
    assert_same_markup(one_to_one, bubbles=14, rows=chat_rows)
    drawn = "".join(one_to_one["server"]["bubbles"].values())
    for part in (
        "bubble-quote",
        "bubble-quote-media",
        "bubble-quote-deleted",
        "reaction-mine",
        "bubble-edited",
        "You deleted this message",
        "This message was deleted",
        "bubble-star",
    ):
        assert part in drawn, part

    to_self = render_both_ways(
        page, live_server_url, f"/chats/{alice.id}/", f"{history}?with={alice.id}", "user"
    )
    assert_same_markup(to_self, bubbles=1, rows=chat_rows)
    assert "tick" not in to_self["server"]["bubbles"][next(iter(to_self["server"]["bubbles"]))]

    in_group = render_both_ways(
        page, live_server_url, f"/groups/{group.id}/", group_history, "group"
    )
    assert_same_markup(in_group, bubbles=16, rows=chat_rows)


def test_announcements_drawn_by_js_equal_the_server_ones(live_server_url, new_page, alice, bob):
    befriend(alice, bob)
    group = group_services.create_group(alice, name="Trip", members=[bob])
    community = community_services.create_community(alice, name="Travellers")
    community_services.add_community_group(alice, community=community, group=group)
    community_services.post_announcement(alice, community=community, content="Meet at 8")
    community_services.post_announcement(alice, community=community, content="", files=files())
    removed = community_services.post_announcement(alice, community=community, content="Oops")
    CommunityAnnouncement.objects.filter(id=removed.id).update(removed_at=timezone.now())

    page = open_as(
        new_page, live_server_url, bob, reverse("communities:detail", args=[community.id])
    )
    result = page.evaluate(
        ANNOUNCEMENTS_BOTH_WAYS,
        {"listUrl": reverse("communities_api:announcement_list", args=[community.id])},
    )

    assert len(result["server"]) == 3
    assert result["js"] == result["server"]
