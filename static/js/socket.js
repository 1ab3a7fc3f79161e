// The page's one WebSocket to /ws/: reconnects with backoff, replays missed frames with `sync`,
// and dispatches every incoming frame by its `type` to the handlers pages register.
(function () {
  "use strict";
  const handlers = {};
  const pending = [];
  const lastSeen = { message: 0, group_message: 0 };
  let ws = null;
  let backoff = 500;
  let connectedOnce = false;

  function dispatch(frame) {
    (handlers[frame.type] || []).concat(handlers["*"] || []).forEach(function (fn) {
      try { fn(frame); } catch (err) { console.error(err); }
    });
  }

  function track(frame) {
    if (frame.message && frame.message.message_id) {
      lastSeen.message = Math.max(lastSeen.message, frame.message.message_id);
    }
    if (frame.group_message && frame.group_message.group_message_id) {
      lastSeen.group_message = Math.max(lastSeen.group_message, frame.group_message.group_message_id);
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + "/ws/");
    ws.addEventListener("message", function (event) {
      let frame;
      try { frame = JSON.parse(event.data); } catch (err) { return; }
      if (frame.type === "ready") {
        backoff = 500;
        if (connectedOnce) {
          ws.send(JSON.stringify({
            type: "sync",
            after_message_id: lastSeen.message,
            after_group_message_id: lastSeen.group_message,
          }));
        }
        connectedOnce = true;
        while (pending.length) { ws.send(JSON.stringify(pending.shift())); }
      }
      track(frame);
      dispatch(frame);
    });
    ws.addEventListener("close", function () {
      dispatch({ type: "_disconnected" });
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    });
  }

  window.AppSocket = {
    on: function (type, fn) { (handlers[type] = handlers[type] || []).push(fn); },
    send: function (frame) {
      if (ws && ws.readyState === WebSocket.OPEN && connectedOnce) { ws.send(JSON.stringify(frame)); }
      else { pending.push(frame); }
    },
    // Pages tell the client the newest ids they rendered, so a reconnect syncs from there.
    seen: function (kind, id) { lastSeen[kind] = Math.max(lastSeen[kind] || 0, Number(id) || 0); },
    isOpen: function () { return !!ws && ws.readyState === WebSocket.OPEN; },
  };
  connect();
})();
