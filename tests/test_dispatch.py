"""The consumer's loop (whatsapp.consumers.dispatch_each): what Channels' await_many_dispatch
promises, without its asyncio.wait per message."""

import asyncio

import pytest
from channels.exceptions import StopConsumer

from whatsapp.consumers import dispatch_each


class Source:
    """A source of messages as the ASGI server's ``receive`` is one: counts its reads."""

    def __init__(self):
        self.queue: asyncio.Queue = asyncio.Queue()
        self.reads = 0
        self.cancelled = 0

    async def __call__(self):
        self.reads += 1
        try:
            return await self.queue.get()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise


async def test_messages_are_dispatched_as_their_reads_finish_one_read_pending_per_source():
    socket, layer = Source(), Source()
    handled = []
    reads_when_handled = []

    async def dispatch(message):
        handled.append(message["n"])
        reads_when_handled.append(socket.reads)
        await asyncio.sleep(0)  # a handler that awaits: the next frame waits for it
        if message["n"] == 4:
            raise StopConsumer

    loop = asyncio.ensure_future(dispatch_each([socket, layer], dispatch))
    await asyncio.sleep(0)
    socket.queue.put_nowait({"n": 1})
    await asyncio.sleep(0.01)
    layer.queue.put_nowait({"n": 2})
    await asyncio.sleep(0.01)
    for n in (3, 4):  # two frames queued at once: the second is read after the first is handled
        socket.queue.put_nowait({"n": n})

    with pytest.raises(StopConsumer):
        await asyncio.wait_for(loop, 2)

    assert handled == [1, 2, 3, 4]
    # Frame 1 was handled on the first read; frames 3 and 4 each on a read of their own.
    assert reads_when_handled == [1, 2, 2, 3]
    # On the way out the read still pending (the layer's: its receive then unsubscribes the
    # channel) is cancelled; the socket is not read again after the frame that ended it.
    assert (socket.reads, socket.cancelled, layer.cancelled) == (3, 0, 1)


async def test_a_failing_read_ends_the_loop_with_its_error():
    async def broken():
        raise RuntimeError("connection lost")

    idle = Source()

    async def dispatch(message):
        raise AssertionError("nothing to dispatch")

    with pytest.raises(RuntimeError, match="connection lost"):
        await asyncio.wait_for(dispatch_each([broken, idle], dispatch), 2)
    assert idle.cancelled == 1


async def test_attached_messages_are_dispatched_in_turn_with_the_reads():
    socket = Source()
    handled = []
    deliver = []

    async def dispatch(message):
        handled.append(message["n"])
        if message["n"] == 1:
            deliver[0]({"n": 2})  # a push that comes while a frame is being handled waits
            socket.queue.put_nowait({"n": 3})
            await asyncio.sleep(0.01)
        if message["n"] == 3:
            raise StopConsumer

    loop = asyncio.ensure_future(dispatch_each([socket], dispatch, [deliver.append]))
    await asyncio.sleep(0)
    deliver[0]({"n": 1})

    with pytest.raises(StopConsumer):
        await asyncio.wait_for(loop, 2)

    assert handled == [1, 2, 3]


async def test_each_attached_message_is_marked_taken_as_it_is_dispatched():
    """Two attached sources, no reads: ``taken`` runs when its message is taken, in turn."""
    reports, events = [], []

    async def dispatch(message):
        events.append(("dispatch", message["n"]))
        if message["n"] == 1:  # more come while the first is handled: they wait for it
            reports[0]({"n": 2}, lambda: events.append(("taken", 2)))
            reports[1]({"n": 3})
            await asyncio.sleep(0.01)
        if message["n"] == 3:
            raise StopConsumer

    loop = asyncio.ensure_future(dispatch_each([], dispatch, [reports.append, reports.append]))
    await asyncio.sleep(0)
    reports[0]({"n": 1}, lambda: events.append(("taken", 1)))

    with pytest.raises(StopConsumer):
        await asyncio.wait_for(loop, 2)

    assert events == [("taken", 1), ("dispatch", 1), ("taken", 2), ("dispatch", 2), ("dispatch", 3)]


async def test_a_receive_that_returns_an_awaitable_not_a_coroutine_is_read():
    """ASGI lets ``receive`` return any awaitable (granian's is a Rust object)."""
    messages = asyncio.Queue()

    def receive():
        return asyncio.ensure_future(messages.get())

    handled = []

    async def dispatch(message):
        handled.append(message["n"])
        if message["n"] == 2:
            raise StopConsumer

    for n in (1, 2):
        messages.put_nowait({"n": n})
    with pytest.raises(StopConsumer):
        await asyncio.wait_for(dispatch_each([receive], dispatch), 2)

    assert handled == [1, 2]
