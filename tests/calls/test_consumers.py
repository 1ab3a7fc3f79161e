"""`call.signal` over /ws/: relayed between the two parties of an answered call, nobody else."""

import asyncio
from contextlib import asynccontextmanager

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.authtoken.models import Token

from calls import services
from calls.models import Call
from whatsapp.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


@asynccontextmanager
async def connected(user):
    token, _ = await database_sync_to_async(Token.objects.get_or_create)(user=user)
    communicator = WebsocketCommunicator(
        application, "/ws/", headers=[(b"authorization", f"Token {token.key}".encode())]
    )
    ok, _ = await communicator.connect()
    assert ok
    assert (await communicator.receive_json_from())["type"] == "ready"
    try:
        yield communicator
    finally:
        await communicator.disconnect()


async def next_frame(communicator, prefix=("call.", "error"), timeout=2.0):
    """The next frame whose type starts with ``prefix`` (other apps' frames are skipped)."""
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        if frame["type"].startswith(prefix):
            return frame


async def no_call_frames(communicator, wait=0.2):
    """Drain what arrives within ``wait`` seconds; return the call/error frames among it."""
    frames = []
    while not await communicator.receive_nothing(timeout=wait):
        frame = await communicator.receive_json_from()
        if frame["type"].startswith(("call.", "error")):
            frames.append(frame)
    return frames


def _start(caller, receiver, answer):
    call = services.start_call(caller, receiver=receiver, call_type=Call.CallType.VIDEO)
    if answer:
        call = services.answer_call(receiver, call=call)
    return call


start = database_sync_to_async(_start)


async def test_answered_call_relays_signals_both_ways(alice, bob):
    async with connected(alice) as alice_ws, connected(bob) as bob_ws:
        call = await start(alice, bob, answer=True)
        assert (await next_frame(bob_ws))["type"] == "call.incoming"
        assert (await next_frame(bob_ws))["type"] == "call.answered"
        assert (await next_frame(alice_ws))["type"] == "call.answered"
        offer = {"type": "offer", "sdp": "v=0 offer"}

        await alice_ws.send_json_to({"type": "call.signal", "call_id": call.id, "signal": offer})
        relayed = await next_frame(bob_ws)
        await bob_ws.send_json_to(
            {"type": "call.signal", "call_id": call.id, "signal": {"type": "answer", "sdp": "a"}}
        )
        back = await next_frame(alice_ws)

        assert relayed == {
            "type": "call.signal",
            "call_id": call.id,
            "signal": offer,
            "from_user_id": alice.id,
        }
        assert back["signal"] == {"type": "answer", "sdp": "a"}
        assert back["from_user_id"] == bob.id
        assert await no_call_frames(alice_ws) == []  # the sender never gets its own signal
        assert await no_call_frames(bob_ws) == []


async def test_incoming_call_rings_every_tab_of_the_receiver(alice, bob):
    async with connected(bob) as tab1, connected(bob) as tab2, connected(alice) as alice_ws:
        call = await start(alice, bob, answer=False)

        rung = [await next_frame(tab1), await next_frame(tab2)]

        assert [frame["type"] for frame in rung] == ["call.incoming", "call.incoming"]
        assert rung[0]["call"]["call_id"] == call.id
        assert rung[0]["call"]["caller"]["user_id"] == alice.id
        assert await no_call_frames(alice_ws) == []


async def test_answer_in_one_tab_tells_the_other_tabs(alice, bob):
    async with connected(bob) as tab1, connected(bob) as tab2:
        call = await start(alice, bob, answer=False)
        await next_frame(tab1)
        await next_frame(tab2)

        await database_sync_to_async(services.answer_call)(bob, call=call)

        assert (await next_frame(tab1))["type"] == "call.answered"
        assert (await next_frame(tab2))["call"]["status"] == "answered"


async def test_third_user_signal_is_refused_and_reaches_nobody(alice, bob, carol):
    async with (
        connected(alice) as alice_ws,
        connected(bob) as bob_ws,
        connected(carol) as carol_ws,
    ):
        call = await start(alice, bob, answer=True)
        await no_call_frames(alice_ws)
        await no_call_frames(bob_ws)

        await carol_ws.send_json_to(
            {"type": "call.signal", "call_id": call.id, "signal": {"type": "offer", "sdp": "x"}}
        )
        error = await next_frame(carol_ws)

        assert error["type"] == "error"
        assert error["code"] == "not_found"
        assert await no_call_frames(alice_ws) == []
        assert await no_call_frames(bob_ws) == []


@pytest.mark.parametrize("answer", [False, True])
async def test_signal_for_a_call_not_in_progress_is_refused(alice, bob, answer):
    async with connected(alice) as alice_ws, connected(bob) as bob_ws:
        call = await start(alice, bob, answer=answer)
        if answer:  # then hung up: ended
            await database_sync_to_async(services.end_call)(bob, call=call)
        await no_call_frames(alice_ws)
        await no_call_frames(bob_ws)

        await alice_ws.send_json_to(
            {"type": "call.signal", "call_id": call.id, "signal": {"type": "offer", "sdp": "x"}}
        )
        error = await next_frame(alice_ws)

        assert error["code"] == "not_active"
        assert await no_call_frames(bob_ws) == []


@pytest.mark.parametrize(
    "frame, code",
    [
        ({"type": "call.signal", "call_id": "1", "signal": {}}, "invalid"),
        ({"type": "call.signal", "call_id": 1, "signal": "offer"}, "invalid"),
        ({"type": "call.signal", "call_id": 1}, "missing_field"),
        ({"type": "call.signal", "call_id": 999999, "signal": {"type": "offer"}}, "not_found"),
    ],
)
async def test_malformed_signal_frames_get_an_error(alice, frame, code):
    async with connected(alice) as alice_ws:
        await alice_ws.send_json_to(frame)

        error = await next_frame(alice_ws)

        assert error["type"] == "error"
        assert error["code"] == code


async def test_closing_the_socket_that_carried_the_call_ends_it(alice, bob):
    async with connected(bob) as bob_ws:
        async with connected(alice) as alice_ws:
            call = await start(alice, bob, answer=True)
            await alice_ws.send_json_to(
                {"type": "call.signal", "call_id": call.id, "signal": {"type": "offer"}}
            )
            await next_frame(bob_ws, prefix="call.signal")

        ended = await next_frame(bob_ws, prefix="call.ended")

        assert ended["call"]["call_id"] == call.id
        assert ended["call"]["status"] == "ended"
        status = await database_sync_to_async(lambda: Call.objects.get(pk=call.pk).status)()
        assert status == Call.Status.ENDED


async def test_closing_another_tab_leaves_the_call_alone(alice, bob):
    async with connected(alice) as alice_ws, connected(bob) as bob_ws:
        call = await start(alice, bob, answer=True)
        await alice_ws.send_json_to(
            {"type": "call.signal", "call_id": call.id, "signal": {"type": "offer"}}
        )
        await next_frame(bob_ws, prefix="call.signal")

        async with connected(alice):
            pass
        await asyncio.sleep(0.1)

        status = await database_sync_to_async(lambda: Call.objects.get(pk=call.pk).status)()
        assert status == Call.Status.ANSWERED
