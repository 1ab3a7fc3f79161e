"""Send rate per user (socket, REST and pages share one counter) and frame rate per socket."""

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from chats.models import Message
from groups import services as group_services
from groups.models import GroupMessage
from tests.chats.conftest import connect, drain, receive_until
from tests.conftest import token_client
from whatsapp import consumers
from whatsapp.ratelimit import Rate, TokenBucket

pytestmark = pytest.mark.django_db(transaction=True)


def send_frame(receiver, n: int) -> dict:
    return {
        "type": "message.send",
        "receiver_id": receiver.id,
        "content": f"m{n}",
        "client_id": f"c{n}",
    }


@database_sync_to_async
def message_count() -> int:
    return Message.objects.count()


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("30/10s", Rate(30, 10)),
        ("30/10", Rate(30, 10)),
        ("100/min", Rate(100, 60)),
        ("5/h", Rate(5, 3600)),
        ("7/1", Rate(7, 1)),
    ],
)
def test_rates_are_parsed(text, rate):
    assert Rate.parse(text) == rate


@pytest.mark.parametrize("text", ["", "abc", "10/0", "10/5 days", "-1/10"])
def test_malformed_rates_are_refused(text):
    with pytest.raises(ValueError):
        Rate.parse(text)


def test_a_token_bucket_refuses_past_its_burst_and_refills(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("whatsapp.ratelimit.time.monotonic", lambda: clock[0])
    bucket = TokenBucket(Rate(3, 3))

    taken = [bucket.take() for _ in range(4)]
    clock[0] += 1.0
    after_a_second = [bucket.take(), bucket.take()]

    assert taken == [True, True, True, False]
    assert after_a_second == [True, False]


async def test_sends_over_the_rate_get_rate_limited_errors_and_store_nothing(
    settings, private_cache, friends
):
    settings.MESSAGE_SEND_RATE = "3/60"
    alice, bob = friends
    socket = await connect(alice)

    for n in range(4):
        await socket.send_json_to(send_frame(bob, n))
    acks = [await receive_until(socket, "message.ack") for _ in range(3)]
    error = await receive_until(socket, "error")

    assert [ack["client_id"] for ack in acks] == ["c0", "c1", "c2"]
    assert error["code"] == "rate_limited" and error["client_id"] == "c3"
    assert await message_count() == 3
    await socket.disconnect()


async def test_the_send_rate_is_per_user_across_sockets_rest_and_pages(
    settings, private_cache, friends
):
    settings.MESSAGE_SEND_RATE = "4/60"
    alice, bob = friends
    first, second = await connect(alice), await connect(alice)

    await first.send_json_to(send_frame(bob, 1))
    await receive_until(first, "message.ack")
    await second.send_json_to(send_frame(bob, 2))
    await receive_until(second, "message.ack")
    rest = await database_sync_to_async(token_client)(alice)
    created = await database_sync_to_async(rest.post)(
        "/api/v1/messages/", {"receiver_id": bob.id, "content": "rest"}, format="json"
    )
    page = Client()
    await database_sync_to_async(page.force_login)(alice)
    posted = await database_sync_to_async(page.post)(f"/chats/{bob.id}/", {"content": "form"})
    refused_rest = await database_sync_to_async(rest.post)(
        "/api/v1/messages/", {"receiver_id": bob.id, "content": "one more"}, format="json"
    )
    refused_page = await database_sync_to_async(page.post)(f"/chats/{bob.id}/", {"content": "x"})
    await second.send_json_to(send_frame(bob, 3))
    refused_frame = await receive_until(second, "error")

    assert created.status_code == 201 and posted.status_code == 302
    assert refused_rest.status_code == 429 and int(refused_rest["Retry-After"]) >= 1
    assert refused_page.status_code == 429
    assert refused_frame["code"] == "rate_limited"
    assert await message_count() == 4
    await first.disconnect()
    await second.disconnect()


async def test_group_sends_and_forwards_count_too(settings, private_cache, friends):
    settings.MESSAGE_SEND_RATE = "2/60"
    alice, bob = friends
    group = await database_sync_to_async(group_services.create_group)(
        alice, name="Team", members=[bob]
    )
    socket = await connect(alice)
    rest = await database_sync_to_async(token_client)(alice)

    await socket.send_json_to(
        {"type": "group_message.send", "group_id": group.id, "content": "hi", "client_id": "g1"}
    )
    ack = await receive_until(socket, "group_message.ack")
    forwarded = await database_sync_to_async(rest.post)(
        f"/api/v1/groups/{group.id}/messages/{ack['group_message']['group_message_id']}/forward/",
        {"group_ids": [group.id]},
        format="json",
    )
    refused = await database_sync_to_async(rest.post)(
        f"/api/v1/groups/{group.id}/messages/", {"content": "third"}, format="json"
    )

    assert forwarded.status_code == 201
    assert refused.status_code == 429
    assert await database_sync_to_async(GroupMessage.objects.count)() == 2
    await socket.disconnect()


async def test_a_limited_user_does_not_slow_anyone_else(settings, private_cache, friends):
    settings.MESSAGE_SEND_RATE = "1/60"
    alice, bob = friends
    alice_socket, bob_socket = await connect(alice), await connect(bob)

    for n in range(3):
        await alice_socket.send_json_to(send_frame(bob, n))
    await receive_until(alice_socket, "message.ack")
    await bob_socket.send_json_to(send_frame(alice, 9))
    bob_ack = await receive_until(bob_socket, "message.ack")

    assert bob_ack["message"]["content"] == "m9"
    await alice_socket.disconnect()
    await bob_socket.disconnect()


async def test_a_socket_flooding_frames_gets_rate_limited_errors(settings, private_cache, alice):
    settings.WS_FRAME_RATE = "5/60"
    socket = await connect(alice)  # connect() itself spends one frame settling

    for _ in range(10):
        await socket.send_json_to({"type": "typing"})
    frames = await drain(socket)

    codes = [frame["code"] for frame in frames if frame["type"] == "error"]
    assert codes[:4] == ["missing_field"] * 4
    assert codes[4:] == ["rate_limited"] * 6
    await socket.disconnect()


async def test_a_socket_that_ignores_rate_limited_errors_is_closed(
    settings, private_cache, monkeypatch, alice
):
    settings.WS_FRAME_RATE = "2/60"
    monkeypatch.setattr(consumers, "FLOOD_CLOSE_AFTER", 5)
    socket = await connect(alice)

    for _ in range(20):
        await socket.send_to(text_data="{}")
    outputs = []
    while True:
        output = await socket.receive_output(timeout=2)
        outputs.append(output)
        if output["type"] == "websocket.close":
            break

    assert outputs[-1] == {"type": "websocket.close", "code": 4008}
    texts = [o for o in outputs if o["type"] == "websocket.send"]
    assert len(texts) == 1 + 5  # one answered frame, then five rate_limited errors


# --- data exports --------------------------------------------------------------------------


def test_exports_over_the_rate_get_a_429_with_retry_after(settings, private_cache, alice):
    settings.EXPORT_RATE = "2/h"
    api = token_client(alice)

    answers = [api.get("/api/v1/users/me/export/") for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    refused = answers[-1]
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert refused.json()["code"] == "rate_limited"
    assert "Too many data exports" in refused.json()["detail"]


def test_the_profile_pages_export_shares_the_rate_and_says_why_it_refused(
    settings, private_cache, alice, bob
):
    settings.EXPORT_RATE = "2/h"
    page = Client()
    page.force_login(alice)

    first = token_client(alice).get("/api/v1/users/me/export/")
    second = page.get("/profile/export/")
    refused = page.get("/profile/export/")
    bobs = token_client(bob).get("/api/v1/users/me/export/")

    assert (first.status_code, second.status_code, refused.status_code) == (200, 200, 429)
    assert refused["Content-Type"].startswith("text/html")
    assert int(refused["Retry-After"]) >= 1
    assert b"Too many data exports" in refused.content
    assert b"Export my data" in refused.content  # the profile page, with the message on top
    assert bobs.status_code == 200  # per user
