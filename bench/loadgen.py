"""Open-loop load generator of the bench suite: asyncio + websockets, no Django.

Run by ``bench.run`` as ``python -m bench.loadgen CONFIG.json OUT.json``, pinned to its own core
with ``taskset``. Every send is scheduled at a fixed time whether or not earlier replies came
(open loop), and latency is measured from that scheduled time, so a stall on the server shows
up in full instead of slowing the generator down (no coordinated omission). Percentiles come
from HDR histograms (1 µs to 60 s, 3 significant digits).

Each step also reports the generator's own CPU use and how late it was against its schedule;
a step whose generator used more than ``GEN_CPU_LIMIT`` of its core is marked invalid.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from typing import Any

from hdrh.histogram import HdrHistogram
from websockets.client import ClientProtocol
from websockets.frames import Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.uri import parse_uri

# Client ids are unique per (sender, client_id) for good: a later run against the same database
# (the next server of a --compare) would otherwise resend ids already stored, which the server
# answers as retries (the stored message, sent again), not as new messages.
RUN = os.urandom(4).hex() + "-"

GEN_CPU_LIMIT = 0.90
# uvloop's loop.time() ticks in whole milliseconds: measure with the high-resolution clock.
clock = time.perf_counter
MAX_US = 60_000_000


def hist() -> HdrHistogram:
    return HdrHistogram(1, MAX_US, 3)


def record(h: HdrHistogram, seconds: float) -> None:
    h.record_value(min(MAX_US, max(1, int(seconds * 1e6))))


def summary(h: HdrHistogram) -> dict[str, Any]:
    n = h.get_total_count()
    if not n:
        return {"count": 0}
    ms = lambda p: round(h.get_value_at_percentile(p) / 1000, 3)  # noqa: E731
    return {
        "count": n,
        "p50_ms": ms(50),
        "p90_ms": ms(90),
        "p99_ms": ms(99),
        "p999_ms": ms(99.9),
        "max_ms": round(h.get_max_value() / 1000, 3),
        "mean_ms": round(h.get_mean_value() / 1000, 3),
    }


class CpuMeter:
    """Share of one core this process used since it was made (1.0 = a whole core)."""

    def __init__(self):
        self.wall = time.monotonic()
        self.cpu = time.process_time()

    def read(self) -> float:
        return round((time.process_time() - self.cpu) / max(1e-9, time.monotonic() - self.wall), 3)


class Lag:
    """Event-loop lag of the generator: how late a 5 ms ticker wakes up."""

    def __init__(self):
        self.h = hist()
        self.task = asyncio.create_task(self._tick())

    async def _tick(self):
        while True:
            due = clock() + 0.005
            await asyncio.sleep(0.005)
            record(self.h, clock() - due)

    def reset(self) -> HdrHistogram:
        old, self.h = self.h, hist()
        return old


async def open_loop(t0: float, rate: float, count: int):
    """Yield ``(i, start)`` for ``i`` in ``range(count)`` at ``t0 + i / rate``: the open-loop
    schedule, which sleeps until each send is due and never waits for a reply.

    ``start`` is what the send's latency is measured from: the time it was due, or the time it
    is yielded if that is earlier. A send can be early: one due within half a millisecond is
    not slept for, and uvloop's timers, which tick in whole milliseconds, wake up to a
    millisecond early. Measured from its due time, an early send's latency would read short,
    or as nothing (the 1 µs floor) where the server answers within that millisecond."""
    for i in range(count):
        due = t0 + i / rate
        delay = due - clock()
        if delay > 0.0005:
            await asyncio.sleep(delay)
        yield i, min(due, clock())


class Conn(asyncio.Protocol):
    """One authenticated socket on websockets' sans-I/O protocol, driven by asyncio callbacks.

    Each text frame is decoded and handed to ``on_frame`` as it is parsed, and :meth:`send`
    writes at once: no reader task, no task per send, no message queue. websockets' asyncio
    client cost the generator about 0.35 ms of CPU per 1:1 message (its five frames) at 1,000
    msg/s, a third of it in those tasks and queues; the generator shares the machine with the
    database and Redis, so its cost is taken from the server's (docs/performance.md, item 44).
    """

    handler_errors = 0

    def __init__(self, url: str, token: str):
        self.protocol = ClientProtocol(parse_uri(url), max_size=None)
        self.request = self.protocol.connect()
        self.request.headers["Authorization"] = f"Token {token}"
        loop = asyncio.get_running_loop()
        self.ready: asyncio.Future[int] = loop.create_future()  # the user id, from "ready"
        self.closed: asyncio.Future[None] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self.user_id = 0
        self.on_frame = None  # frames before it is set (presence, undelivered) are dropped
        self.fragments: list[bytes] = []
        self.deliveries: list[int] = []
        self.delivery_kind = ""
        self.flush_scheduled = False

    @property
    def open(self) -> bool:
        return self.protocol.state is State.OPEN

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.protocol.send_request(self.request)
        self._write()

    def data_received(self, data: bytes) -> None:
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Response):
                if self.protocol.handshake_exc is not None and not self.ready.done():
                    self.ready.set_exception(self.protocol.handshake_exc)
            elif event.opcode in (Opcode.TEXT, Opcode.CONT):
                self.fragments.append(event.data)
                if event.fin:
                    raw, self.fragments = b"".join(self.fragments), []
                    self._frame(json.loads(raw))
        self._write()

    def _frame(self, frame: dict[str, Any]) -> None:
        if not self.ready.done():
            if frame.get("type") == "ready":
                self.user_id = frame["user_id"]
                self.ready.set_result(self.user_id)
            return
        if self.on_frame is None:
            return
        # A frame the handler chokes on must not stop the socket's bookkeeping.
        try:
            self.on_frame(self, frame)
        except Exception:
            Conn.handler_errors += 1

    def _write(self) -> None:
        for data in self.protocol.data_to_send():
            if data:
                self.transport.write(data)
            elif self.transport.can_write_eof():
                self.transport.write_eof()
        if self.protocol.close_expected():
            self.transport.close()

    def connection_lost(self, exc) -> None:
        self.protocol.receive_eof()
        if not self.ready.done():
            self.ready.set_exception(exc or ConnectionError("closed during the handshake"))
        if not self.closed.done():
            self.closed.set_result(None)

    def start(self, on_frame) -> None:
        self.on_frame = on_frame

    def send(self, frame: dict[str, Any]) -> None:
        """Write ``frame`` now; on a socket closed meanwhile it is dropped (the caller counts
        what never arrived as lost)."""
        if self.protocol.state is State.OPEN:
            self.protocol.send_text(json.dumps(frame).encode())
            self._write()

    async def close(self) -> None:
        if self.protocol.state is State.OPEN:
            self.protocol.send_close()
            self._write()
        try:
            await asyncio.wait_for(asyncio.shield(self.closed), 2)
        except TimeoutError:
            self.transport.abort()

    def acknowledge(self, kind: str, item_id: int) -> None:
        """Batch delivery receipts the way static/js/socket.js does (one frame per 50 ms)."""
        self.deliveries.append(item_id)
        self.delivery_kind = kind
        if not self.flush_scheduled:
            self.flush_scheduled = True
            asyncio.get_running_loop().call_later(0.05, self._flush)

    def _flush(self) -> None:
        self.flush_scheduled = False
        ids, self.deliveries = self.deliveries, []
        if not ids:
            return
        if self.delivery_kind == "message":
            self.send({"type": "message.delivered", "message_ids": ids})
        else:
            self.send({"type": "group_message.delivered", "group_message_ids": ids})


async def open_conn(url: str, token: str) -> Conn:
    uri = parse_uri(url)
    loop = asyncio.get_running_loop()
    _, conn = await asyncio.wait_for(
        loop.create_connection(lambda: Conn(url, token), uri.host, uri.port), 120
    )
    try:
        await asyncio.wait_for(asyncio.shield(conn.ready), 120)
    except BaseException:
        conn.transport.abort()
        raise
    return conn


async def open_many(targets: list[tuple[str, str]], concurrency: int = 64) -> list[Conn]:
    gate = asyncio.Semaphore(concurrency)

    async def one(url, token):
        async with gate:
            for attempt in range(3):
                try:
                    return await open_conn(url, token)
                except Exception:
                    if attempt == 2:
                        raise
                    await asyncio.sleep(0.5)

    return list(await asyncio.gather(*(one(u, t) for u, t in targets)))


async def close_all(conns: list[Conn]) -> None:
    await asyncio.gather(*(c.close() for c in conns), return_exceptions=True)


# --- scenario: 1:1 pairs at rising fixed rates ---------------------------------------------


async def scenario_pairs(cfg: dict[str, Any]) -> dict[str, Any]:
    pairs = cfg["pairs"]  # [sender_token, receiver_token, receiver_user_id]
    receipts = cfg.get("receipts", True)
    n = len(pairs)
    conns = await open_many(
        [(cfg["url_send"], p[0]) for p in pairs] + [(cfg["url_recv"], p[1]) for p in pairs]
    )
    senders, receivers = conns[:n], conns[n:]
    servers = process_tree(cfg.get("server_pids", []))
    scheduled: dict[str, float] = {}
    ack_wait: dict[str, float] = {}
    step_state: dict[str, Any] = {}

    def on_sender(conn: Conn, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "message.ack":
            due = ack_wait.pop(frame.get("client_id"), None)
            if due is not None:
                record(step_state["ack"], clock() - due)
        elif kind == "error":
            step_state["errors"] += 1
            step_state.setdefault("error_samples", []).append(frame)

    def on_receiver(conn: Conn, frame: dict[str, Any]) -> None:
        if frame.get("type") != "message.new":
            return
        message = frame["message"]
        due = scheduled.pop(message.get("client_id"), None)
        if due is None:
            return
        now = clock()
        record(step_state["e2e"], now - due)
        step_state["last_rx"] = now
        if receipts:
            conn.acknowledge("message", message["message_id"])

    for c in senders:
        c.start(on_sender)
    for c in receivers:
        c.start(on_receiver)
    step_state.update(e2e=hist(), ack=hist(), errors=0, last_rx=0.0)  # the probes record too
    settle = await settle_server(senders[0], pairs[0][2], scheduled)

    lag = Lag()
    steps = []
    content_pad = "x" * max(0, int(cfg.get("content_bytes", 64)) - 24)
    for step_no, rate in enumerate(cfg["rates"]):
        count = int(rate * cfg["step_seconds"])
        step_state.clear()
        step_state.update(e2e=hist(), ack=hist(), errors=0, last_rx=0.0)
        late = hist()
        lag.reset()
        cpu = CpuMeter()
        server_ticks = cpu_ticks(servers)
        t0 = clock() + 0.05
        async for i, start in open_loop(t0, rate, count):
            record(late, clock() - start)
            sender, (_, _, receiver_id) = senders[i % n], pairs[i % n]
            client_id = f"{RUN}s{step_no}r{rate}-{i}"
            scheduled[client_id] = start
            ack_wait[client_id] = start
            payload = {
                "type": "message.send",
                "receiver_id": receiver_id,
                "content": f"bench {client_id} {content_pad}",
                "client_id": client_id,
            }
            sender.send(payload)
        send_end = clock()
        deadline = send_end + cfg.get("drain_seconds", 5)
        while scheduled and clock() < deadline:
            await asyncio.sleep(0.02)
        gen_cpu = cpu.read()
        server_ms = (cpu_ticks(servers) - server_ticks) * 1000 / os.sysconf("SC_CLK_TCK")
        lost = len(scheduled)
        lost_samples = sorted(scheduled)[:5]
        scheduled.clear()
        ack_wait.clear()
        e2e = summary(step_state["e2e"])
        step = {
            "offered_rate": rate,
            "sent": count,
            "received": e2e["count"],
            "lost": lost,
            "errors": step_state["errors"],
            "error_samples": step_state.get("error_samples", [])[:3],
            "lost_samples": lost_samples,
            "achieved_rate": round(e2e["count"] / max(1e-9, step_state["last_rx"] - t0), 1)
            if e2e["count"]
            else 0,
            "e2e": e2e,
            "ack": summary(step_state["ack"]),
            "send_lateness": summary(late),
            "loop_lag": summary(lag.reset()),
            "gen_cpu": gen_cpu,
            "valid": gen_cpu < GEN_CPU_LIMIT,
            # CPU of the server processes from the step's first send until its last message
            # arrived (or the drain ended), per message sent: with its ack, push and receipt.
            "server_cpu_ms_per_message": round(server_ms / count, 3),
        }
        steps.append(step)
        print(
            f"  pairs rate={rate}/s recv={step['received']}/{count} lost={lost} "
            f"err={step['errors']} p50={e2e.get('p50_ms')} p99={e2e.get('p99_ms')} "
            f"p99.9={e2e.get('p999_ms')} gen_cpu={gen_cpu} "
            f"server_cpu={step['server_cpu_ms_per_message']} ms/msg",
            flush=True,
        )
        stop = cfg.get("stop_p99_ms", 300)
        if lost > count * 0.01 or e2e.get("p99_ms", 1e9) > stop:
            break
        await asyncio.sleep(cfg.get("pause_seconds", 1.5))
    lag.task.cancel()
    await close_all(conns)
    return {"pairs": n, "receipts": receipts, "settle_seconds": settle, "steps": steps}


async def settle_server(sender: Conn, receiver_id: int, scheduled: dict[str, float]) -> float:
    """Wait until the server has worked off the connect storm (every socket's connect hooks).

    Probe messages go through one pair until one arrives within 200 ms; the steps measure
    the steady state, not the queue the connects left behind (the idle scenario times those).
    """
    start = clock()
    for i in range(600):
        client_id = f"{RUN}probe-{i}"
        scheduled[client_id] = clock()
        sender.send(
            {
                "type": "message.send",
                "receiver_id": receiver_id,
                "content": "probe",
                "client_id": client_id,
            }
        )
        await asyncio.sleep(0.2)
        if client_id not in scheduled:
            break
    await asyncio.sleep(1.0)
    scheduled.clear()
    return round(clock() - start, 2)


# --- scenario: frames, the CPU of one frame in and one frame out ------------------------------


async def scenario_frames(cfg: dict[str, Any]) -> dict[str, Any]:
    """Frames of an unknown type at a fixed rate over a few sockets, each answered with one
    ``error`` frame: the server's CPU per round trip, and how long each answer took."""
    conns = await open_many([(cfg["url"], token) for token in cfg["tokens"]])
    servers = process_tree(cfg["server_pids"])
    sent: dict[int, float] = {}
    answered = [0]
    lat = hist()

    def on_frame(conn: Conn, frame: dict[str, Any]) -> None:
        if frame.get("type") == "error":
            due = sent.pop(frame.get("client_id"), None)
            if due is not None:
                answered[0] += 1
                record(lat, clock() - due)

    for c in conns:
        c.start(on_frame)
    await asyncio.sleep(1.0)
    rate, count = cfg["rate"], int(cfg["rate"] * cfg["seconds"])
    cpu = CpuMeter()
    server_ticks = cpu_ticks(servers)
    async for i, start in open_loop(clock() + 0.05, rate, count):
        sent[i] = start
        conns[i % len(conns)].send({"type": "bench.frame", "client_id": i})
    deadline = clock() + 5
    while sent and clock() < deadline:
        await asyncio.sleep(0.02)
    gen_cpu = cpu.read()
    server_ms = (cpu_ticks(servers) - server_ticks) * 1000 / os.sysconf("SC_CLK_TCK")
    await close_all(conns)
    result = {
        "rate": rate,
        "sent": count,
        "answered": answered[0],
        "latency": summary(lat),
        "server_cpu_us_per_round_trip": round(server_ms * 1000 / count, 1),
        "gen_cpu": gen_cpu,
        "valid": gen_cpu < GEN_CPU_LIMIT,
    }
    print(
        f"  frames rate={rate}/s answered={answered[0]}/{count} "
        f"p50={result['latency'].get('p50_ms')} p99={result['latency'].get('p99_ms')} "
        f"server_cpu={result['server_cpu_us_per_round_trip']} µs a round trip",
        flush=True,
    )
    return result


# --- scenario: fan-out to one big group ------------------------------------------------------


async def scenario_fanout(cfg: dict[str, Any]) -> dict[str, Any]:
    receipts = cfg.get("receipts", True)
    kind = cfg.get("kind", "group")  # "group" (the app) or "relay" (the bare baseline)
    members = cfg["member_tokens"]
    sender = await open_conn(cfg["url"], cfg["sender_token"])
    conns = await open_many([(cfg["url"], t) for t in members])
    expected = len(conns)
    await asyncio.sleep(1.0)  # let the connect-time hooks (group subscriptions) settle
    scheduled: dict[str, float] = {}
    got: dict[str, list[float]] = defaultdict(list)
    errors: list[dict[str, Any]] = []

    def on_member(conn: Conn, frame: dict[str, Any]) -> None:
        if frame.get("type") != "group_message.new":
            return
        message = frame["group_message"]
        client_id = message.get("client_id")
        due = scheduled.get(client_id)
        if due is None:
            return
        got[client_id].append(clock() - due)
        if receipts:
            conn.acknowledge("group_message", message["group_message_id"])

    def on_sender(conn: Conn, frame: dict[str, Any]) -> None:
        if frame.get("type") == "error":
            errors.append(frame)

    for c in conns:
        c.start(on_member)
    sender.start(on_sender)
    cpu = CpuMeter()
    last, median, every = hist(), hist(), hist()
    per_message = []
    schedule = open_loop(clock() + 0.1, 1 / cfg["interval_seconds"], cfg["messages"])
    async for i, start in schedule:
        client_id = f"fan-{i}"
        scheduled[client_id] = start
        frame = {
            "type": "group_message.send",
            "group_id": cfg["group_id"],
            "content": f"fan-out {i}",
            "client_id": client_id,
        }
        sender.send(frame)
    deadline = clock() + cfg.get("drain_seconds", 10)
    while clock() < deadline and any(len(got[c]) < expected for c in scheduled):
        await asyncio.sleep(0.05)
    gen_cpu = cpu.read()
    lost = 0
    for client_id in scheduled:
        times = sorted(got[client_id])
        lost += expected - len(times)
        for t in times:
            record(every, t)
        if times:
            record(median, times[len(times) // 2])
        if len(times) == expected:
            record(last, times[-1])
        per_message.append(
            {
                "received": len(times),
                "first_ms": round(times[0] * 1000, 2) if times else None,
                "last_ms": round(times[-1] * 1000, 2) if times else None,
            }
        )
    await close_all(conns + [sender])
    result = {
        "kind": kind,
        "members": expected + 1,
        "messages": cfg["messages"],
        "interval_seconds": cfg["interval_seconds"],
        "receipts": receipts,
        "last_member": summary(last),
        "median_member": summary(median),
        "every_delivery": summary(every),
        "lost_deliveries": lost,
        "errors": len(errors),
        "error_samples": errors[:3],
        "per_message": per_message,
        "gen_cpu": gen_cpu,
        "valid": gen_cpu < GEN_CPU_LIMIT,
    }
    print(
        f"  fanout members={expected + 1} last p50={result['last_member'].get('p50_ms')} "
        f"max={result['last_member'].get('max_ms')} lost={lost} gen_cpu={gen_cpu}",
        flush=True,
    )
    return result


# --- scenario: reactions into one group -----------------------------------------------------

# A reaction replaces the reactor's earlier one on that message: each emoji differs from the
# reactor's previous one there, so every reaction changes the message.
REACTION_EMOJIS = ["👍", "❤️", "😂", "😮", "😢", "🙏", "🔥", "🎉"]


async def scenario_reactions(cfg: dict[str, Any]) -> dict[str, Any]:
    """Reactions at a fixed rate into one group, each from a member's socket
    (``group_message.react``); latency from the reaction's due time until the LAST member's
    socket has the ``group_message.updated`` that carries it.

    Reaction ``i`` goes to message ``i % M`` from reactor ``(i // M) % R`` with the emoji
    ``(i // (M * R)) % E``: a message is reacted to every ``M / rate`` seconds, by at most
    ``R`` members (frames stay small, as a real chat's), and each ``(message, reactor,
    emoji)`` is unique in a run. The reaction just made is the last of the frame's
    ``reactions`` (ordered by reacted_at), which identifies it.
    """
    message_ids = cfg["message_ids"]
    reactors = cfg["reactors"]
    rate = cfg["rate"]
    count = min(int(rate * cfg["seconds"]), len(message_ids) * reactors * len(REACTION_EMOJIS))
    servers = process_tree(cfg.get("server_pids", []))
    conns = await open_many([(cfg["url"], t) for t in cfg["member_tokens"]])
    expected = len(conns)
    await asyncio.sleep(1.0)  # let the connect-time hooks (group subscriptions) settle
    scheduled: dict[tuple[int, int, str], float] = {}
    got: dict[tuple[int, int, str], list[float]] = defaultdict(list)
    errors: list[dict[str, Any]] = []

    def on_member(conn: Conn, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "error":
            errors.append(frame)
            return
        if kind != "group_message.updated":
            return
        message = frame["group_message"]
        reactions = message["reactions"]
        if not reactions:
            return
        last = reactions[-1]
        key = (message["group_message_id"], last["user_id"], last["emoji"])
        due = scheduled.get(key)
        if due is not None:
            got[key].append(clock() - due)

    for c in conns:
        c.start(on_member)
    senders = conns[1 : 1 + reactors]  # the first member (the group's admin) only watches
    lag = Lag()
    cpu = CpuMeter()
    server_ticks = cpu_ticks(servers)
    late = hist()
    per_message = len(message_ids)
    async for i, start in open_loop(clock() + 0.1, rate, count):
        record(late, clock() - start)
        sender = senders[(i // per_message) % reactors]
        message_id = message_ids[i % per_message]
        emoji = REACTION_EMOJIS[(i // (per_message * reactors)) % len(REACTION_EMOJIS)]
        scheduled[(message_id, sender.user_id, emoji)] = start
        sender.send({"type": "group_message.react", "group_message_id": message_id, "emoji": emoji})
    sent_cpu = cpu.read()
    deadline = clock() + cfg.get("drain_seconds", 10)
    while clock() < deadline and any(len(got[k]) < expected for k in scheduled):
        await asyncio.sleep(0.05)
    server_ms = (cpu_ticks(servers) - server_ticks) * 1000 / os.sysconf("SC_CLK_TCK")
    loop_lag = summary(lag.reset())
    lag.task.cancel()
    last, median, every = hist(), hist(), hist()
    lost = 0
    for key in scheduled:
        times = sorted(got[key])
        lost += expected - len(times)
        for t in times:
            record(every, t)
        if times:
            record(median, times[len(times) // 2])
        if len(times) == expected:
            record(last, times[-1])
    await close_all(conns)
    result = {
        "members": expected,
        "reactors": reactors,
        "messages": per_message,
        "offered_rate": rate,
        "reactions": count,
        "last_member": summary(last),
        "median_member": summary(median),
        "every_delivery": summary(every),
        "lost_deliveries": lost,
        "errors": len(errors),
        "error_samples": errors[:3],
        "server_cpu_ms_per_reaction": round(server_ms / max(1, count), 3),
        "gen_cpu": sent_cpu,
        "loop_lag": loop_lag,
        "send_lateness": summary(late),
        "valid": sent_cpu < GEN_CPU_LIMIT,
    }
    print(
        f"  reactions {rate}/s members={expected} n={count} "
        f"last p50={result['last_member'].get('p50_ms')} "
        f"p99={result['last_member'].get('p99_ms')} max={result['last_member'].get('max_ms')} "
        f"lost={lost} errors={len(errors)} server_cpu={result['server_cpu_ms_per_reaction']} "
        f"ms/reaction gen_cpu={sent_cpu}",
        flush=True,
    )
    return result


# --- scenario: idle authenticated sockets and memory per connection --------------------------


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def process_tree(pids: list[int]) -> list[int]:
    seen, todo = [], list(pids)
    while todo:
        pid = todo.pop()
        if pid not in seen:
            seen.append(pid)
            todo += _children(pid)
    return seen


def cpu_ticks(pids: list[int]) -> int:
    """User and system CPU of the processes so far, in clock ticks (``/proc/<pid>/stat``)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total


def memory_kib(pids: list[int]) -> dict[str, int]:
    """Resident (RSS) and proportional (PSS) memory of the processes, in KiB."""
    rss = pss = 0
    for pid in process_tree(pids):
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            pass
    return {"rss_kib": rss, "pss_kib": pss}


def redis_memory(cli: list[str] | None) -> int | None:
    if not cli:
        return None
    try:
        out = subprocess.run(cli + ["info", "memory"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in out.stdout.splitlines():
        if line.startswith("used_memory:"):
            return int(line.split(":")[1]) // 1024
    return None


async def scenario_idle(cfg: dict[str, Any]) -> dict[str, Any]:
    tokens = cfg["tokens"]
    pids = cfg["server_pids"]
    redis_cli = cfg.get("redis_cli")
    await asyncio.sleep(1.0)
    base = memory_kib(pids)
    base_redis = redis_memory(redis_cli)
    levels = []
    conns: list[Conn] = []
    for level in cfg["levels"]:
        if level > len(tokens):
            break
        start = time.monotonic()
        try:
            conns += await open_many(
                [(cfg["url"], t) for t in tokens[len(conns) : level]], cfg.get("concurrency", 64)
            )
        except Exception as exc:  # e.g. out of file descriptors on either side
            levels.append({"connections": level, "failed": repr(exc)[:300]})
            print(f"  idle level {level} failed: {exc!r}", flush=True)
            break
        took = time.monotonic() - start
        await asyncio.sleep(cfg.get("settle_seconds", 3))
        mem = memory_kib(pids)
        rmem = redis_memory(redis_cli)
        open_now = sum(1 for c in conns if c.open)
        per_conn = (mem["rss_kib"] - base["rss_kib"]) / max(1, len(conns))
        per_conn_pss = (mem["pss_kib"] - base["pss_kib"]) / max(1, len(conns))
        entry = {
            "connections": len(conns),
            "open": open_now,
            "connect_seconds": round(took, 2),
            "connects_per_second": round(
                (level - (levels[-1]["connections"] if levels else 0)) / took, 1
            ),
            "server_rss_kib": mem["rss_kib"],
            "server_pss_kib": mem["pss_kib"],
            "rss_per_conn_kib": round(per_conn, 2),
            "pss_per_conn_kib": round(per_conn_pss, 2),
            "redis_kib": rmem,
            "redis_per_conn_kib": round((rmem - base_redis) / len(conns), 2)
            if rmem is not None and base_redis is not None
            else None,
        }
        levels.append(entry)
        print(
            f"  idle {len(conns)} open={open_now} rss/conn={entry['rss_per_conn_kib']} KiB "
            f"pss/conn={entry['pss_per_conn_kib']} KiB connect/s={entry['connects_per_second']}",
            flush=True,
        )
    await close_all(conns)
    return {"base": base, "base_redis_kib": base_redis, "levels": levels}


# --- scenario: HTTP GETs at a fixed rate -----------------------------------------------------


class HttpConn:
    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    async def get(self, host: str, path: str, headers: dict[str, str]) -> int:
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin1"))
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin1").split("\r\n")
        status = int(status_line.split()[1])
        fields = {}
        for line in header_lines:
            if ":" in line:
                k, _, v = line.partition(":")
                fields[k.strip().lower()] = v.strip()
        if "content-length" in fields:
            await self.reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        return status


async def scenario_http(cfg: dict[str, Any]) -> dict[str, Any]:
    host, port = cfg["host"], cfg["port"]
    results = {}
    for target in cfg["targets"]:  # {"name", "requests": [[path, token], ...]}
        pool: asyncio.Queue[HttpConn] = asyncio.Queue()
        for _ in range(cfg.get("connections", 16)):
            reader, writer = await asyncio.open_connection(host, port)
            pool.put_nowait(HttpConn(reader, writer))
        lat, errors, statuses = hist(), [0], defaultdict(int)
        requests = target["requests"]
        rate, count = cfg["rate"], int(cfg["rate"] * cfg["seconds"])
        warm = cfg.get("warmup", 20)
        cpu = CpuMeter()

        async def one(
            i: int,
            start: float,
            requests=requests,
            pool=pool,
            statuses=statuses,
            warm=warm,
            lat=lat,
            errors=errors,
        ) -> None:
            path, token = requests[i % len(requests)]
            conn = await pool.get()
            try:
                status = await conn.get(
                    f"{host}:{port}",
                    path,
                    {"Authorization": f"Token {token}", "X-Forwarded-Proto": "https"},
                )
                statuses[status] += 1
                if i >= warm:
                    record(lat, clock() - start)
                if status != 200:
                    errors[0] += 1
            except Exception:
                errors[0] += 1
                reader, writer = await asyncio.open_connection(host, port)
                conn = HttpConn(reader, writer)
            finally:
                pool.put_nowait(conn)

        tasks = []
        async for i, start in open_loop(clock() + 0.05, rate, count + warm):
            tasks.append(asyncio.create_task(one(i, start)))
        await asyncio.gather(*tasks)
        gen_cpu = cpu.read()
        while not pool.empty():
            pool.get_nowait().writer.close()
        results[target["name"]] = {
            "rate": rate,
            "requests": count,
            "errors": errors[0],
            "statuses": dict(statuses),
            "latency": summary(lat),
            "gen_cpu": gen_cpu,
            "valid": gen_cpu < GEN_CPU_LIMIT,
        }
        s = results[target["name"]]["latency"]
        print(
            f"  http {target['name']}: p50={s.get('p50_ms')} p99={s.get('p99_ms')} "
            f"errors={errors[0]} statuses={dict(statuses)}",
            flush=True,
        )
    return results


SCENARIOS = {
    "pairs": scenario_pairs,
    "frames": scenario_frames,
    "fanout": scenario_fanout,
    "reactions": scenario_reactions,
    "idle": scenario_idle,
    "http": scenario_http,
}


def main() -> None:
    config_path, out_path = sys.argv[1], sys.argv[2]
    with open(config_path) as f:
        cfg = json.load(f)
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(SCENARIOS[cfg["scenario"]](cfg))
    else:
        result = uvloop.run(SCENARIOS[cfg["scenario"]](cfg))
    result["generator"] = {
        "pid": os.getpid(),
        "frame_handler_errors": Conn.handler_errors,
        "cpus": sorted(os.sched_getaffinity(0)),
        "max_rss_kib": __import__("resource").getrusage(0).ru_maxrss,
    }
    with open(out_path, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
