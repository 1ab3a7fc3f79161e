"""A user's own data: export it; deactivating or deleting an account keeps others' chats whole."""

import json

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from account_data import services as account_data_services
from accounts import services as account_services
from accounts.models import Block, Contact, User
from calls import services as call_services
from chats import services as chat_services
from chats.models import Message, MessageHide, MessageReaction, MessageStar
from chats.services import ONE_TO_ONE
from groups import services as group_services
from groups.models import (
    GroupMember,
    GroupMessage,
    GroupMessageHide,
    GroupMessageReaction,
    GroupMessageStar,
)
from groups.services import IN_GROUP
from messaging import actions
from moderation.models import AuditLog
from stories import services as story_services
from stories.models import Story
from tests.conftest import token_client
from tests.media.conftest import png_upload
from tests.reliability.conftest import befriend

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_user):
    user = make_user("Staff", "+14155550190")
    user.is_staff = user.is_superuser = True
    user.save()
    return user


@pytest.fixture
def admin_client(staff):
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def history(alice, bob, carol):
    """Alice and Bob chat (with a photo), share a group Alice runs, and Alice has a story."""
    befriend(alice, bob)
    befriend(alice, carol)
    account_services.block_user(alice, blocked=carol)
    sent = chat_services.send_message(alice, receiver=bob, content="hi Bob", files=[png_upload()])
    received = chat_services.send_message(bob, receiver=alice, content="hi Alice")
    group = group_services.create_group(alice, name="Hikers", members=[bob])
    group_message = group_services.send_group_message(alice, group=group, content="to all")
    group_services.send_group_message(bob, group=group, content="from Bob")
    story = story_services.post_story(alice, content="sunny")
    call = call_services.start_call(alice, receiver=bob, call_type="voice")
    return {
        "sent": sent,
        "received": received,
        "group": group,
        "group_message": group_message,
        "story": story,
        "call": call,
    }


# --- export ------------------------------------------------------------------------------------


def test_the_export_holds_the_users_own_data_and_nobody_elses(alice, bob, carol, mallory, history):
    chat_services.send_message(mallory, receiver=bob, content="not Alice's")

    data = account_data_services.export_user_data(alice)

    assert data["format"] == "whatsapp-export/1"
    assert data["profile"]["user_id"] == alice.id
    assert data["profile"]["phone_number"] == alice.phone_number
    assert {c["user_id"] for c in data["contacts"]} == {bob.id, carol.id}
    assert [b["user_id"] for b in data["blocks"]] == [carol.id]
    assert [m["content"] for m in data["messages"]] == ["hi Bob", "hi Alice"]
    assert [g["group_name"] for g in data["groups"]] == ["Hikers"]
    assert [m["content"] for m in data["group_messages"]] == ["to all"]
    assert [s["content"] for s in data["stories"]] == ["sunny"]
    assert [c["call_id"] for c in data["calls"]] == [history["call"].id]
    assert [m["multimedia_id"] for m in data["media"]] == [history["sent"].media.get().id]
    assert data["media"][0]["download_url"].endswith("/download/")
    assert "not Alice's" not in json.dumps(data)


def test_the_api_serves_the_export_as_a_json_download(alice, history):
    response = token_client(alice).get("/api/v1/users/me/export/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="whatsapp-data-')
    assert json.loads(response.content)["profile"]["user_id"] == alice.id


def test_the_export_needs_authentication(api_client):
    assert api_client.get("/api/v1/users/me/export/").status_code == 401


def test_the_profile_page_links_the_export_download(alice, history):
    client = Client()
    client.force_login(alice)

    page = client.get("/profile/")
    download = client.get("/profile/export/")

    assert b'href="/profile/export/"' in page.content and b"Export my data" in page.content
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert json.loads(download.content)["messages"][0]["content"] == "hi Bob"


# --- deactivating and deleting from the admin --------------------------------------------------


def bobs_view(bob, alice, group) -> dict:
    """What Bob sees of Alice: their history, the group's history, the inbox rows."""
    client = token_client(bob)
    return {
        "history": [
            m["content"] for m in client.get(f"/api/v1/messages/?with={alice.id}").json()["results"]
        ],
        "group": [
            m["content"]
            for m in client.get(f"/api/v1/groups/{group.id}/messages/").json()["results"]
        ],
        "inbox": sorted(
            (
                row["kind"],
                (row.get("peer") or row.get("group"))[
                    "name" if row["kind"] == "user" else "group_name"
                ],
            )
            for row in client.get("/api/v1/chats/").json()["results"]
        ),
    }


def test_deactivating_from_the_admin_keeps_everyones_conversations(
    admin_client, alice, bob, history
):
    before = bobs_view(bob, alice, history["group"])

    response = admin_client.post(
        "/admin/accounts/user/",
        {"action": "deactivate_users", "_selected_action": [alice.id]},
    )

    alice.refresh_from_db()
    assert response.status_code == 302 and alice.is_active is False
    assert bobs_view(bob, alice, history["group"]) == before
    assert Message.objects.count() == 2 and GroupMessage.objects.count() == 2


def test_deleting_from_the_admin_erases_the_account_but_not_the_conversations(
    admin_client, staff, alice, bob, carol, history, django_capture_on_commit_callbacks
):
    before = bobs_view(bob, alice, history["group"])
    picture_owner = account_services.update_profile(alice, picture=png_upload())
    picture_name = picture_owner.profile_picture.name

    confirm = admin_client.get(f"/admin/accounts/user/{alice.id}/delete/")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/accounts/user/{alice.id}/delete/", {"post": "yes"})

    alice.refresh_from_db()
    after = bobs_view(bob, alice, history["group"])
    assert confirm.status_code == 200 and b"hi Bob" not in confirm.content
    assert response.status_code == 302
    # Bob's side is whole: the same messages, in the same order, now from "Deleted account".
    assert after["history"] == before["history"]
    assert after["group"] == before["group"]
    assert ("user", "Deleted account") in after["inbox"]
    assert Message.objects.count() == 2 and GroupMessage.objects.count() == 2
    # Alice's identity and what was hers alone are gone.
    assert (alice.name, alice.status, alice.is_active) == ("Deleted account", "", False)
    assert alice.phone_number == f"deleted-{alice.id}" and not alice.has_usable_password()
    assert not alice.profile_picture
    assert not default_storage.exists(picture_name)
    assert not Contact.objects.filter(user=alice).exists()
    assert not Contact.objects.filter(contact_user=alice).exists()
    assert not Block.objects.filter(blocker=alice).exists()
    assert not Story.objects.filter(user=alice).exists()
    # She left the group as a member would: Bob, the longest-standing member, is now its admin.
    assert list(
        GroupMember.objects.filter(group=history["group"]).values_list("user_id", "is_admin")
    ) == [(bob.id, True)]
    # Staff see it in the audit log, under the name she has now.
    audit = AuditLog.objects.get()
    assert (audit.action, audit.actor, audit.target_id) == ("delete_account", staff, alice.id)
    assert audit.target_label == f"Deleted account (deleted-{alice.id})"
    # Her number is free again, and her old credentials open nothing.
    assert token_client(bob).get(f"/api/v1/users/{alice.id}/").status_code == 404
    assert (
        Client().login(phone_number="+14155550101", password="correct-horse-battery-staple")
        is False
    )


def test_the_delete_action_erases_each_selected_account(admin_client, alice, bob, history):
    response = admin_client.post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "_selected_action": [alice.id], "post": "yes"},
    )

    assert response.status_code == 302
    assert User.objects.get(id=alice.id).name == "Deleted account"
    assert User.objects.get(id=bob.id).is_active
    assert Message.objects.filter(sender=alice).count() == 1
    assert AuditLog.objects.filter(action="delete_account", target_id=alice.id).count() == 1


def test_staff_cannot_delete_their_own_account(admin_client, staff):
    response = admin_client.post(f"/admin/accounts/user/{staff.id}/delete/", {"post": "yes"})

    staff.refresh_from_db()
    assert response.status_code in (200, 403)
    assert staff.is_active and staff.name == "Staff"


def test_only_staff_erase_accounts(alice, bob):
    from whatsapp.errors import Forbidden

    with pytest.raises(Forbidden):
        account_data_services.erase_user(bob, user=alice)


# --- the message actions in the export and on erasure -----------------------------------------


@pytest.fixture
def acted(alice, bob, carol, history):
    """On top of ``history``: Bob's reply to Alice (which she reacted to and starred), her edit
    and her delete for everyone, her reaction to Bob's group message, and one she hid."""
    reply = chat_services.send_message(
        bob, receiver=alice, content="about that photo", reply_to_id=history["sent"].id
    )
    actions.react(ONE_TO_ONE, alice, message_id=reply.id, emoji="👍")
    actions.react(ONE_TO_ONE, bob, message_id=reply.id, emoji="😂")
    actions.star(ONE_TO_ONE, alice, message_id=reply.id, starred=True)
    actions.edit(ONE_TO_ONE, alice, message_id=history["sent"].id, content="hi Bob!")
    gone = chat_services.send_message(alice, receiver=bob, content="oops")
    actions.delete_for_everyone(ONE_TO_ONE, alice, message_id=gone.id)
    bobs = GroupMessage.objects.get(sender=bob)
    actions.react(IN_GROUP, alice, message_id=bobs.id, emoji="🎉")
    actions.star(IN_GROUP, alice, message_id=bobs.id, starred=True)
    actions.delete_for_me(IN_GROUP, alice, message_id=bobs.id)
    return {"reply": reply, "gone": gone, "bobs_group_message": bobs}


def test_the_export_holds_replies_edits_deletions_and_my_reactions_and_stars(
    alice, bob, history, acted
):
    data = account_data_services.export_user_data(alice)

    by_id = {m["message_id"]: m for m in data["messages"]}
    reply, gone, bobs = acted["reply"], acted["gone"], acted["bobs_group_message"]
    assert by_id[reply.id]["reply_to"]["message_id"] == history["sent"].id
    assert sorted(r["emoji"] for r in by_id[reply.id]["reactions"]) == ["👍", "😂"]
    assert by_id[reply.id]["starred"] is True
    assert by_id[history["sent"].id]["edited_at"] is not None
    assert by_id[history["sent"].id]["content"] == "hi Bob!"
    assert (by_id[gone.id]["deleted"], by_id[gone.id]["content"]) == (True, "")
    assert [
        (r["kind"], r.get("message_id") or r.get("group_message_id"), r["emoji"])
        for r in data["reactions"]
    ] == [
        ("message", reply.id, "👍"),
        ("group_message", bobs.id, "🎉"),
    ]
    assert [
        (s["kind"], s.get("message_id") or s.get("group_message_id")) for s in data["starred"]
    ] == [
        ("message", reply.id),
        ("group_message", bobs.id),
    ]
    assert data["hidden"] == [
        {"kind": "group_message", "group_message_id": bobs.id, "at": data["hidden"][0]["at"]}
    ]
    assert "from Bob" not in json.dumps(data)  # Bob's group message is his, not in my export


def test_the_export_costs_the_same_queries_for_few_or_many_messages(
    alice, bob, history, acted, django_assert_max_num_queries, settings
):
    settings.EXPORT_RATE = "100/h"
    with django_assert_max_num_queries(40) as few:
        account_data_services.export_user_data(alice)
    for i in range(10):
        sent = chat_services.send_message(
            alice, receiver=bob, content=f"m{i}", reply_to_id=acted["reply"].id
        )
        actions.react(ONE_TO_ONE, bob, message_id=sent.id, emoji="🔥")

    with django_assert_max_num_queries(len(few.captured_queries)):
        account_data_services.export_user_data(alice)


def test_erasing_an_account_takes_its_reactions_stars_and_hidden_marks(staff, alice, bob, acted):
    account_data_services.erase_user(staff, user=alice)

    for model in (MessageReaction, MessageStar, MessageHide):
        assert not model.objects.filter(user=alice).exists()
    for model in (GroupMessageReaction, GroupMessageStar, GroupMessageHide):
        assert not model.objects.filter(user=alice).exists()
    # Bob's reaction to the same message is his, and stays.
    assert list(MessageReaction.objects.values_list("user_id", "emoji")) == [(bob.id, "😂")]
