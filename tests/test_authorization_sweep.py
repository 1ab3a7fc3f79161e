"""Nobody is let in: every route and frame that takes an id, tried by people who may not see it.

The world: Alice (owner) chats with Bob, runs the group "SECRET-GROUP" (Bob in it; Carol was,
and left), the community around it, a story and a call, each with an attachment. Then:

- Mallory is a **stranger**: no contact, no shared group;
- Carol is an **ex-member**: she left the group (so the community too), and Alice removed her
  from her contacts (so she no longer sees Alice's stories);
- Dave is **blocked**: a mutual contact of Alice whom Alice blocked.

Each of them gets a 404 (REST and pages) or an ``error`` frame (WebSocket) for everything of
Alice's, never a byte of it, and nothing changes. The route list is checked against the URL
resolver, and the frame list against the frame registry: a new route or frame that takes an
id fails here until it is added to the sweep.
"""

import json
from dataclasses import dataclass, field

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts import services as account_services
from accounts.models import Block, Contact
from calls import services as call_services
from calls.models import Call
from chats import services as chat_services
from chats.models import Message, MessageHide, MessageReaction, MessageStar, Multimedia
from communities import services as community_services
from communities.models import Community, CommunityGroup
from groups import services as group_services
from groups.models import (
    Group,
    GroupMember,
    GroupMessage,
    GroupMessageHide,
    GroupMessageReaction,
    GroupMessageStar,
)
from stories import services as story_services
from stories.models import Story, StoryView
from tests.chats.conftest import connect, drain
from tests.conftest import token_client
from tests.media.conftest import png_upload
from whatsapp.frames import HANDLERS

SECRETS = (
    "SECRET-DM",
    "SECRET-GROUP",
    "SECRET-GM",
    "SECRET-COMMUNITY",
    "SECRET-ANN",
    "SECRET-STORY",
)
OUTSIDERS = ("stranger", "ex_member", "blocked")


@dataclass
class World:
    users: dict
    ids: dict = field(default_factory=dict)

    def snapshot(self) -> dict:
        """Everything an outsider's request could have changed."""
        group = Group.objects.get(id=self.ids["group_id"])
        return {
            "messages": Message.objects.count(),
            "group_messages": GroupMessage.objects.count(),
            "group_name": group.name,
            "members": sorted(
                GroupMember.objects.filter(group=group).values_list("user_id", "is_admin")
            ),
            "community": list(Community.objects.values_list("id", "name")),
            "community_groups": CommunityGroup.objects.count(),
            "stories": Story.objects.count(),
            "story_views": StoryView.objects.count(),
            "calls": list(Call.objects.values_list("id", "status")),
            "contacts": Contact.objects.count(),
            "blocks": Block.objects.count(),
            "media": Multimedia.objects.count(),
            "read": list(Message.objects.values_list("id", "delivered_at", "read_at")),
            "texts": [
                list(model.objects.values_list("id", "content", "edited_at", "deleted_at"))
                for model in (Message, GroupMessage)
            ],
            "reactions_stars_hides": [
                model.objects.count()
                for model in (
                    MessageReaction,
                    MessageStar,
                    MessageHide,
                    GroupMessageReaction,
                    GroupMessageStar,
                    GroupMessageHide,
                )
            ],
        }


@pytest.fixture
def world(alice, bob, carol, mallory, make_user):
    dave = make_user("Dave", "+14155550104")
    for friend in (bob, carol, dave):
        account_services.add_contact(alice, contact_user=friend)
        account_services.add_contact(friend, contact_user=alice)
    message = chat_services.send_message(
        alice, receiver=bob, content="SECRET-DM", files=[png_upload()]
    )
    group = group_services.create_group(alice, name="SECRET-GROUP", members=[bob, carol])
    group_message = group_services.send_group_message(
        alice, group=group, content="SECRET-GM", files=[png_upload()]
    )
    community = community_services.create_community(alice, name="SECRET-COMMUNITY")
    community_services.add_community_group(alice, community=community, group=group)
    announcement = community_services.post_announcement(
        alice, community=community, content="SECRET-ANN", files=[png_upload()]
    )
    story = story_services.post_story(alice, content="SECRET-STORY", file=png_upload())
    call = call_services.start_call(alice, receiver=bob, call_type="voice")
    group_services.leave_group(carol, group=group)
    account_services.remove_contact(
        alice, contact=Contact.objects.get(user=alice, contact_user=carol)
    )
    account_services.block_user(alice, blocked=dave)
    world = World(
        users={
            "owner": alice,
            "peer": bob,
            "stranger": mallory,
            "ex_member": carol,
            "blocked": dave,
        }
    )
    world.ids = {
        "user_id": alice.id,
        "peer_id": bob.id,
        "blocked_id": dave.id,
        "contact_id": Contact.objects.get(user=alice, contact_user=bob).id,
        "message_id": message.id,
        "group_id": group.id,
        "group_message_id": group_message.id,
        "community_id": community.id,
        "story_id": story.id,
        "call_id": call.id,
        "media": {
            "dm": message.media.get().id,
            "group": group_message.media.get().id,
            "announcement": announcement.media.get().id,
        },
    }
    return world


# --- the routes --------------------------------------------------------------------------------


def id_routes(prefix: str) -> set[str]:
    """Names of the URL patterns under ``prefix`` that take an id (``namespace:name``)."""

    def walk(patterns, route, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace or namespace
                yield from walk(pattern.url_patterns, route + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern) and pattern.pattern.converters:
                yield route + str(pattern.pattern), f"{namespace}:{pattern.name}"

    return {
        name
        for route, name in walk(get_resolver().url_patterns, "", None)
        if route.startswith(prefix) and not route.startswith("admin/")
    }


@dataclass(frozen=True)
class Case:
    """One request to try: a route name, its kwargs (keys into World.ids) and a method."""

    route: str
    kwargs: tuple[tuple[str, str], ...]
    method: str
    body: dict | None = None

    def url(self, world: World) -> str:
        values = {}
        for name, key in self.kwargs:
            values[name] = (
                world.ids["media"][key[6:]] if key.startswith("media:") else world.ids[key]
            )
        return reverse(self.route, kwargs=values)


def case(route, method, body=None, **kwargs):
    return Case(route, tuple(kwargs.items()), method, body)


MEDIA_CASES = [
    case(f"media_api:{name}", "GET", multimedia_id=f"media:{kind}")
    for name in ("media-detail", "media-download", "media-thumbnail")
    for kind in ("dm", "group", "announcement")
]
GROUP = {"group_id": "group_id"}
COMMUNITY = {"community_id": "community_id"}
STORY = {"story_id": "story_id"}
# REST routes hidden from outsiders: 404 for each of them, whatever the method.
API_CASES = [
    case("accounts_api:contact_detail", "GET", contact_id="contact_id"),
    case("accounts_api:contact_detail", "DELETE", contact_id="contact_id"),
    case("accounts_api:block_detail", "DELETE", user_id="blocked_id"),
    case("chats_api:message_forward", "POST", {"receiver_ids": "SELF"}, message_id="message_id"),
    case("chats_api:message_detail", "PATCH", {"content": "pwned"}, message_id="message_id"),
    case("chats_api:message_detail", "DELETE", message_id="message_id"),
    case("chats_api:message_reaction", "PUT", {"emoji": "👍"}, message_id="message_id"),
    case("chats_api:message_reaction", "DELETE", message_id="message_id"),
    case("chats_api:message_star", "POST", message_id="message_id"),
    case("chats_api:message_star", "DELETE", message_id="message_id"),
    *MEDIA_CASES,
    case("groups_api:group_detail", "GET", **GROUP),
    case("groups_api:group_detail", "PATCH", {"group_name": "pwned"}, **GROUP),
    case("groups_api:group_detail", "DELETE", **GROUP),
    case("groups_api:member_list", "GET", **GROUP),
    case("groups_api:member_list", "POST", {"user_id": "SELF_ID"}, **GROUP),
    case("groups_api:member_detail", "PATCH", {"is_admin": True}, user_id="peer_id", **GROUP),
    case("groups_api:member_detail", "DELETE", user_id="peer_id", **GROUP),
    case("groups_api:message_list", "GET", **GROUP),
    case("groups_api:message_list", "POST", {"content": "pwned"}, **GROUP),
    case(
        "groups_api:message_forward",
        "POST",
        {"group_ids": "GROUP"},
        group_message_id="group_message_id",
        **GROUP,
    ),
    case("groups_api:message_receipts", "GET", group_message_id="group_message_id", **GROUP),
    case(
        "groups_api:message_detail",
        "PATCH",
        {"content": "pwned"},
        group_message_id="group_message_id",
        **GROUP,
    ),
    case("groups_api:message_detail", "DELETE", group_message_id="group_message_id", **GROUP),
    case(
        "groups_api:message_reaction",
        "PUT",
        {"emoji": "👍"},
        group_message_id="group_message_id",
        **GROUP,
    ),
    case("groups_api:message_reaction", "DELETE", group_message_id="group_message_id", **GROUP),
    case("groups_api:message_star", "POST", group_message_id="group_message_id", **GROUP),
    case("groups_api:message_star", "DELETE", group_message_id="group_message_id", **GROUP),
    case("groups_api:group_read", "POST", **GROUP),
    case("communities_api:community_detail", "GET", **COMMUNITY),
    case("communities_api:community_detail", "PATCH", {"community_name": "pwned"}, **COMMUNITY),
    case("communities_api:community_detail", "DELETE", **COMMUNITY),
    case("communities_api:group_list", "GET", **COMMUNITY),
    case("communities_api:group_list", "POST", {"group_id": "GROUP"}, **COMMUNITY),
    case(
        "communities_api:group_detail", "DELETE", group_id="group_id", community_id="community_id"
    ),
    case("communities_api:announcement_list", "GET", **COMMUNITY),
    case("communities_api:announcement_list", "POST", {"content": "pwned"}, **COMMUNITY),
    case("stories_api:story-detail", "GET", **STORY),
    case("stories_api:story-detail", "DELETE", **STORY),
    case("stories_api:story-view", "POST", **STORY),
    case("stories_api:story-views", "GET", **STORY),
    case("stories_api:story-file", "GET", **STORY),
    case("stories_api:story-thumbnail", "GET", **STORY),
    case("calls_api:answer", "POST", call_id="call_id"),
    case("calls_api:decline", "POST", call_id="call_id"),
    case("calls_api:end", "POST", call_id="call_id"),
]
# Profiles: 404 to a stranger only (the ex-member and the blocked still have Alice as a
# contact, so they know her); checked separately below.
API_OPEN = {"accounts_api:user_detail"}

# HTML pages and form actions hidden from outsiders.
PAGE_CASES = [
    case("accounts:remove_contact", "POST", contact_id="contact_id"),
    case("chats:forward", "GET", message_id="message_id"),
    case("chats:forward", "POST", {"receiver_ids": "SELF"}, message_id="message_id"),
    case("groups:detail", "GET", **GROUP),
    case("groups:detail", "POST", {"content": "pwned"}, **GROUP),
    case("groups:rename", "POST", {"group_name": "pwned"}, **GROUP),
    case("groups:delete", "POST", **GROUP),
    case("groups:leave", "POST", **GROUP),
    case("groups:add_member", "POST", {"user_id": "SELF_ID"}, **GROUP),
    case("groups:remove_member", "POST", user_id="peer_id", **GROUP),
    case("groups:set_admin", "POST", {"is_admin": "on"}, user_id="peer_id", **GROUP),
    case("groups:message_info", "GET", group_message_id="group_message_id", **GROUP),
    case("groups:forward", "GET", group_message_id="group_message_id", **GROUP),
    case(
        "groups:forward",
        "POST",
        {"group_ids": "GROUP"},
        group_message_id="group_message_id",
        **GROUP,
    ),
    case("communities:detail", "GET", **COMMUNITY),
    case("communities:detail", "POST", {"content": "pwned"}, **COMMUNITY),
    case("communities:update", "POST", {"community_name": "pwned"}, **COMMUNITY),
    case("communities:delete", "POST", **COMMUNITY),
    case("communities:add_group", "POST", {"group_id": "GROUP"}, **COMMUNITY),
    case("communities:remove_group", "POST", group_id="group_id", community_id="community_id"),
]
# Pages about the caller's own relations, or open to anyone by design: checked below.
PAGE_OPEN = {
    "accounts:block",  # anyone may block a user they know (404 to a stranger): checked below
    "accounts:unblock",  # lifts the caller's own block (404 when there is none)
    "accounts:profile_picture",  # as users/{user_id}/: 404 to a stranger, checked below
    "chats:conversation",  # anyone may open a chat with any active user: their own history
}


def body_for(case_: Case, world: World, actor) -> dict | None:
    if case_.body is None:
        return None
    replacements = {"SELF": [actor.id], "SELF_ID": actor.id, "GROUP": world.ids["group_id"]}
    body = {}
    for key, value in case_.body.items():
        replaced = replacements.get(value, value) if isinstance(value, str) else value
        if key in {"group_ids"}:
            replaced = [world.ids["group_id"]]
        body[key] = replaced
    return body


def assert_no_secret(response) -> None:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = content.decode("utf-8", errors="replace")
    leaked = [secret for secret in SECRETS if secret in text]
    assert leaked == [], f"{response.request['PATH_INFO']} leaked {leaked}"


def test_every_api_route_with_an_id_is_swept():
    swept = {c.route for c in API_CASES} | API_OPEN

    assert id_routes("api/v1/") == swept


def test_every_page_with_an_id_is_swept():
    pages = {name for name in id_routes("") if not name.split(":")[0].endswith("_api")}

    assert pages == {c.route for c in PAGE_CASES} | PAGE_OPEN


@pytest.mark.django_db
@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_outsiders_get_404_from_every_api_route_and_change_nothing(world, outsider):
    actor = world.users[outsider]
    client = token_client(actor)
    before = world.snapshot()
    wrong = []

    for c in API_CASES:
        url = c.url(world)
        body = body_for(c, world, actor)
        response = getattr(client, c.method.lower())(url, body, format="json")
        if response.status_code != 404:
            wrong.append((c.method, url, response.status_code))
        assert_no_secret(response)

    assert wrong == []
    assert world.snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_outsiders_get_404_from_every_page_and_change_nothing(world, outsider):
    client = Client()
    actor = world.users[outsider]
    client.force_login(actor)
    before = world.snapshot()
    wrong = []

    for c in PAGE_CASES:
        url = c.url(world)
        body = body_for(c, world, actor)
        response = client.post(url, body or {}) if c.method == "POST" else client.get(url)
        if response.status_code != 404:
            wrong.append((c.method, url, response.status_code))
        assert_no_secret(response)

    assert wrong == []
    assert world.snapshot() == before


@pytest.mark.django_db
def test_the_owner_and_the_peer_do_see_what_the_sweep_hides(world):
    """The sweep's 404s come from visibility, not from broken URLs or bodies."""
    alice, bob = world.users["owner"], world.users["peer"]
    owner, peer = token_client(alice), token_client(bob)
    media = world.ids["media"]

    assert owner.get(f"/api/v1/groups/{world.ids['group_id']}/").status_code == 200
    assert peer.get(f"/api/v1/groups/{world.ids['group_id']}/messages/").status_code == 200
    assert peer.get(f"/api/v1/communities/{world.ids['community_id']}/").status_code == 200
    assert peer.get(f"/api/v1/stories/{world.ids['story_id']}/file/").status_code == 200
    for kind in ("dm", "group", "announcement"):
        assert peer.get(f"/api/v1/media/{media[kind]}/download/").status_code == 200
    assert owner.get(f"/api/v1/contacts/{world.ids['contact_id']}/").status_code == 200
    page = Client()
    page.force_login(bob)
    assert page.get(f"/groups/{world.ids['group_id']}/").status_code == 200
    assert page.get(f"/chats/messages/{world.ids['message_id']}/forward/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_a_profile_shows_no_status_to_the_blocked_and_no_chats_to_anyone(world, outsider):
    actor = world.users[outsider]
    client = token_client(actor)
    alice, bob = world.users["owner"], world.users["peer"]

    profile = client.get(f"/api/v1/users/{alice.id}/")
    picture = client.get(f"/users/{alice.id}/picture/")
    history = client.get(f"/api/v1/messages/?with={bob.id}")
    marked = client.post("/api/v1/messages/read/", {"with": bob.id}, format="json")
    page = Client()
    page.force_login(actor)
    conversation = page.get(f"/chats/{bob.id}/")
    unblock = page.post(f"/users/{world.ids['blocked_id']}/unblock/")

    if outsider == "stranger":  # no directory by id
        assert profile.status_code == picture.status_code == 404
        assert alice.phone_number not in profile.content.decode()
    else:  # Carol and Dave still have Alice as a contact
        assert profile.status_code == 200
        assert profile.json()["phone_number"] == alice.phone_number
        assert (profile.json()["status"] is None) == (outsider == "blocked")
    assert history.status_code == 200 and history.json()["results"] == []
    assert marked.json()["read_count"] == 0
    assert conversation.status_code == 200
    assert_no_secret(conversation)
    assert unblock.status_code in (302, 404)
    assert Block.objects.filter(blocker=alice, blocked_id=world.ids["blocked_id"]).exists()
    assert Message.objects.get(id=world.ids["message_id"]).read_at is None


# Reports name their target in the body (REST) or the query (the page): what the reporter cannot
# see does not exist for them either.
REPORT_TARGETS = {
    "message": "message_id",
    "group_message": "group_message_id",
    "story": "story_id",
    "group": "group_id",
}


@pytest.mark.django_db
@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_outsiders_cannot_report_what_they_cannot_see(world, outsider):
    from moderation.models import Report

    actor = world.users[outsider]
    api = token_client(actor)
    page = Client()
    page.force_login(actor)
    reason = Report.Reason.values[0]
    codes = {}

    for kind, key in REPORT_TARGETS.items():
        target_id = world.ids[key]
        body = {"kind": kind, "target_id": target_id, "reason": reason}
        response = api.post("/api/v1/reports/", body, format="json")
        shown = page.get(f"/report/?kind={kind}&id={target_id}")
        posted = page.post("/report/", {"kind": kind, "id": target_id, "reason": reason})
        codes[kind] = (response.status_code, shown.status_code, posted.status_code)
        for answer in (response, shown, posted):
            assert_no_secret(answer)

    assert codes == {kind: (404, 404, 404) for kind in REPORT_TARGETS}
    assert Report.objects.count() == 0


@pytest.mark.django_db
def test_no_route_turns_alices_id_into_her_number_for_a_stranger(world, alice):
    """Not the profile, picture, contact or block routes, nor writing to or calling her first:
    the inbox row and the call then carry her name, never her number."""
    mallory = world.users["stranger"]
    api = token_client(mallory)
    page = Client()
    page.force_login(mallory)
    call_services.end_call(alice, call=Call.objects.get(id=world.ids["call_id"]))
    chat_services.send_message(mallory, receiver=alice, content="hi")

    answers = {
        "profile": api.get(f"/api/v1/users/{alice.id}/"),
        "picture": api.get(f"/users/{alice.id}/picture/"),
        "contact": api.post("/api/v1/contacts/", {"contact_user_id": alice.id}, format="json"),
        "block": api.post("/api/v1/blocks/", {"user_id": alice.id}, format="json"),
        "block page": page.post(f"/users/{alice.id}/block/"),
        "unblock page": page.post(f"/users/{alice.id}/unblock/"),
        "report": api.post(
            "/api/v1/reports/",
            {"kind": "user", "target_id": alice.id, "reason": "spam"},
            format="json",
        ),
        "report page": page.get(f"/report/?kind=user&id={alice.id}"),
        "call": api.post("/api/v1/calls/", {"receiver_id": alice.id, "call_type": "voice"}),
        "inbox": api.get("/api/v1/chats/"),
        "calls": api.get("/api/v1/calls/"),
        "chat page": page.get(f"/chats/{alice.id}/"),
        "contacts page": page.get("/contacts/"),
        "calls page": page.get("/calls/"),
        "export": api.get("/api/v1/users/me/export/"),
    }

    codes = {name: response.status_code for name, response in answers.items()}
    assert codes == {
        "profile": 404,
        "picture": 404,
        "contact": 400,
        "block": 400,
        "block page": 404,
        "unblock page": 404,
        "report": 404,
        "report page": 404,
        "call": 201,
        "inbox": 200,
        "calls": 200,
        "chat page": 200,
        "contacts page": 200,
        "calls page": 200,
        "export": 200,
    }
    for name, response in answers.items():
        content = b"".join(response.streaming_content) if response.streaming else response.content
        assert alice.phone_number not in content.decode(), name
    [row] = answers["inbox"].json()["results"]
    assert row["peer"]["name"] == "Alice"
    assert row["peer"]["phone_number"] is None
    assert not Contact.objects.filter(user=mallory).exists()
    assert not Block.objects.filter(blocker=mallory).exists()


@pytest.mark.django_db
def test_a_deactivated_users_profile_is_404(world, alice):
    stranger = token_client(world.users["stranger"])
    world.users["peer"].is_active = False
    world.users["peer"].save(update_fields=["is_active"])

    assert stranger.get(f"/api/v1/users/{world.ids['peer_id']}/").status_code == 404
    assert stranger.get(f"/users/{world.ids['peer_id']}/picture/").status_code == 404


# --- the WebSocket frames ----------------------------------------------------------------------

# Every frame type that takes an id, and what an outsider sends in it. "error" means the frame
# must be answered with an error frame; "silent" that the server drops it without an answer
# (receipts of group messages: socket.js acknowledges every group_message.new, the sender's own
# included, so ids the caller has no receipt for are ignored, docs/groups.md) - never data.
FRAMES = {
    "message.send": (
        "error",
        lambda w: {"receiver_id": w.ids["user_id"], "content": "x", "client_id": "sweep"},
    ),
    "message.delivered": ("error", lambda w: {"message_ids": [w.ids["message_id"]]}),
    "message.read": ("error", lambda w: {"message_ids": [w.ids["message_id"]]}),
    "group_message.send": (
        "error",
        lambda w: {"group_id": w.ids["group_id"], "content": "pwned", "client_id": "sweep"},
    ),
    "group_message.delivered": (
        "silent",
        lambda w: {"group_message_ids": [w.ids["group_message_id"]]},
    ),
    "group_message.read": ("silent", lambda w: {"group_message_ids": [w.ids["group_message_id"]]}),
    "typing": ("error", lambda w: {"group_id": w.ids["group_id"]}),
    "call.signal": ("error", lambda w: {"call_id": w.ids["call_id"], "signal": {"type": "offer"}}),
    "sync": ("replay", lambda w: {"after_message_id": 0, "after_group_message_id": 0}),
    **{
        f"{prefix}.{action}": (
            "error",
            lambda w, key=f"{prefix}_id", fields=fields: {
                key: w.ids[key],
                **fields,
            },
        )
        for prefix in ("message", "group_message")
        for action, fields in (
            ("react", {"emoji": "👍"}),
            ("edit", {"content": "pwned"}),
            ("delete", {"for": "me"}),
            ("star", {"starred": True}),
        )
    },
}
# message.send to Alice is refused only to the blocked: anyone else may message anyone.
ERROR_ONLY_FOR = {"message.send": {"blocked"}}


def test_every_frame_type_is_swept():
    assert set(FRAMES) == set(HANDLERS)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("outsider", OUTSIDERS)
async def test_outsiders_get_error_frames_never_data(world, outsider):
    actor = world.users[outsider]
    before = await database_sync_to_async(world.snapshot)()
    socket = await connect(actor)
    answers = {}

    for frame_type, (expected, build) in FRAMES.items():
        if outsider not in ERROR_ONLY_FOR.get(frame_type, set(OUTSIDERS)):
            continue
        await socket.send_json_to({"type": frame_type, **build(world)})
        answers[frame_type] = (expected, await drain(socket, timeout=0.3))
    await socket.disconnect()

    for frame_type, (expected, frames) in answers.items():
        text = json.dumps(frames)
        assert not any(secret in text for secret in SECRETS), (frame_type, frames)
        kinds = [f["type"] for f in frames]
        if expected == "error":
            assert kinds == ["error"], (frame_type, frames)
            assert frames[0]["code"] in {"not_found", "blocked"}, (frame_type, frames)
        elif expected == "silent":
            assert kinds == [], (frame_type, frames)
        else:  # sync: only the outsider's own items, here none of Alice's
            assert all(k in {"message.new", "group_message.new"} for k in kinds)
    assert await database_sync_to_async(world.snapshot)() == before


@pytest.mark.django_db(transaction=True)
async def test_a_stranger_may_message_alice_but_sees_nothing_of_hers(world):
    mallory = world.users["stranger"]
    socket = await connect(mallory)

    await socket.send_json_to(
        {
            "type": "message.send",
            "receiver_id": world.ids["user_id"],
            "content": "hi",
            "client_id": "m1",
        }
    )
    frames = await drain(socket, timeout=0.5)
    await socket.disconnect()

    assert [f["type"] for f in frames] == ["message.ack"]
    assert frames[0]["message"]["sender_id"] == mallory.id
    assert not any(secret in json.dumps(frames) for secret in SECRETS)
