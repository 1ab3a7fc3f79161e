"""Baseline: a bare relay written with the ``websockets`` library alone (no Django, no database).

It speaks just enough of the app's protocol for the load generator: ``Authorization: Token``
handshake, ``ready``, ``message.send`` (answered with ``message.ack`` and pushed to the
receiver as ``message.new``) and ``group_message.send`` (pushed to every member). Receipts are
accepted and ignored. Nothing is stored. Every app figure is also given as a ratio to this.

    python -m bench.relay --port 9001 --tokens tokens.json
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
from collections import defaultdict
from datetime import UTC, datetime

from websockets.asyncio.server import broadcast, serve


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--tokens", required=True, help='{"tokens": {key: user_id}, "groups": {id: [user_ids]}}'
    )
    args = parser.parse_args()
    with open(args.tokens) as f:
        data = json.load(f)
    tokens: dict[str, int] = data["tokens"]
    groups: dict[int, list[int]] = {int(k): v for k, v in data.get("groups", {}).items()}
    sockets: dict[int, set] = defaultdict(set)
    ids = itertools.count(1)

    def now() -> str:
        return datetime.now(UTC).isoformat().replace("+00:00", "Z")

    async def handler(ws):
        kind, _, key = (ws.request.headers.get("Authorization") or "").partition(" ")
        user_id = tokens.get(key.strip()) if kind.lower() == "token" else None
        if user_id is None:
            await ws.close(4401)
            return
        sockets[user_id].add(ws)
        try:
            await ws.send(json.dumps({"type": "ready", "user_id": user_id}))
            async for raw in ws:
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "message.send":
                    message = {
                        "message_id": next(ids),
                        "sender_id": user_id,
                        "receiver_id": frame["receiver_id"],
                        "content": frame["content"],
                        "sent_at": now(),
                        "delivered_at": None,
                        "read_at": None,
                        "client_id": frame.get("client_id"),
                    }
                    await ws.send(
                        json.dumps(
                            {
                                "type": "message.ack",
                                "client_id": message["client_id"],
                                "message": message,
                            }
                        )
                    )
                    new = json.dumps({"type": "message.new", "message": message})
                    broadcast(sockets.get(frame["receiver_id"], ()), new)
                    broadcast([s for s in sockets[user_id] if s is not ws], new)
                elif kind == "group_message.send":
                    message = {
                        "group_message_id": next(ids),
                        "group_id": frame["group_id"],
                        "sender_id": user_id,
                        "content": frame["content"],
                        "sent_at": now(),
                        "client_id": frame.get("client_id"),
                    }
                    new = json.dumps({"type": "group_message.new", "group_message": message})
                    targets = [
                        s
                        for member in groups.get(frame["group_id"], ())
                        for s in sockets.get(member, ())
                        if s is not ws
                    ]
                    broadcast(targets, new)
                    await ws.send(
                        json.dumps(
                            {
                                "type": "group_message.ack",
                                "client_id": message["client_id"],
                                "group_message": message,
                            }
                        )
                    )
        finally:
            sockets[user_id].discard(ws)

    async def serve_forever():
        async with serve(
            handler, args.host, args.port, max_size=2**20, ping_interval=20, compression=None
        ):
            await asyncio.Future()

    try:
        import uvloop
    except ImportError:
        asyncio.run(serve_forever())
    else:
        uvloop.run(serve_forever())


if __name__ == "__main__":
    main()
