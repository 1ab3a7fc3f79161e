"""Baseline: an ASGI app that answers every WebSocket frame, served by the app's own ASGI server.

``bench.run`` serves it with the same server, flags and CPU as the app (``--only frames``): the
CPU a frame in and a frame out cost there is the server's own (its WebSocket parsing and
writing, the event loop, the system calls), the floor under every figure of the app's. It takes
any ``Authorization`` header, sends ``ready`` and answers each text frame with an ``error``
frame (its ``client_id`` included), as the app answers a frame of unknown type.
"""

import json

READY = json.dumps({"type": "ready", "user_id": 0})


async def app(scope, receive, send):
    if scope["type"] != "websocket":
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": READY})
    while True:
        event = await receive()
        if event["type"] != "websocket.receive":
            return
        frame = json.loads(event["text"])
        answer = {
            "type": "error",
            "code": "unknown_type",
            "detail": f"Unknown frame type {frame.get('type')!r}.",
            "client_id": frame.get("client_id"),
        }
        await send({"type": "websocket.send", "text": json.dumps(answer)})
