// The page's one WebSocket to /ws/: reconnects with backoff, replays missed frames with `sync`,
// acknowledges every incoming message as delivered, and dispatches each frame by its `type`
// to the handlers pages register (`AppSocket.on(type, fn)`; "*" receives every frame).
(function () {
  "use strict";
  const handlers = {};
  const pending = [];
  const lastSeen = { message: 0, group_message: 0 };
  const deliveries = { message: [], group_message: [] };
  let ws = null;
  let backoff = 500;
  let connectedOnce = false;
  let userId = null;
  let deliveryTimer = null;

  function dispatch(frame) {
    (handlers[frame.type] || []).concat(handlers["*"] || []).forEach(function (fn) {
      try { fn(frame); } catch (err) { console.error(err); }
    });
  }

  function sendNow(frame) {
    if (ws && ws.readyState === WebSocket.OPEN && connectedOnce) {
      ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function flushDeliveries() {
    deliveryTimer = null;
    if (deliveries.message.length) {
      AppSocket.send({ type: "message.delivered", message_ids: deliveries.message.splice(0) });
    }
    if (deliveries.group_message.length) {
      AppSocket.send({
        type: "group_message.delivered",
        group_message_ids: deliveries.group_message.splice(0),
      });
    }
  }

  // WhatsApp's double grey tick: a message counts as delivered once a client of the receiver
  // has it, whichever page that client is on. Batched, as a sync can bring many at once.
  function acknowledge(frame) {
    if (frame.type === "message.new" && frame.message) {
      const m = frame.message;
      if (m.receiver_id === userId && m.sender_id !== userId && !m.delivered_at) {
        deliveries.message.push(m.message_id);
      }
    } else if (frame.type === "group_message.new" && frame.group_message) {
      const g = frame.group_message;
      if (g.sender_id !== userId) { deliveries.group_message.push(g.group_message_id); }
    } else {
      return;
    }
    if (!deliveryTimer) { deliveryTimer = setTimeout(flushDeliveries, 50); }
  }

  function track(frame) {
    if (frame.message && frame.message.message_id) {
      lastSeen.message = Math.max(lastSeen.message, frame.message.message_id);
    }
    if (frame.group_message && frame.group_message.group_message_id) {
      lastSeen.group_message = Math.max(lastSeen.group_message, frame.group_message.group_message_id);
    }
  }

  function syncFrame() {
    // Only the kinds this page has a watermark for: `after_message_id: 0` would replay the
    // whole history. What arrived while offline is pushed by the server on connect anyway.
    const frame = { type: "sync" };
    if (lastSeen.message > 0) { frame.after_message_id = lastSeen.message; }
    if (lastSeen.group_message > 0) { frame.after_group_message_id = lastSeen.group_message; }
    return Object.keys(frame).length > 1 ? frame : null;
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + AppHttp.url("socket"));
    ws.addEventListener("message", function (event) {
      let frame;
      try { frame = JSON.parse(event.data); } catch (err) { return; }
      if (frame.type === "ready") {
        backoff = 500;
        userId = frame.user_id;
        const reconnect = connectedOnce;
        connectedOnce = true;
        const sync = reconnect ? syncFrame() : null;
        if (sync) { ws.send(JSON.stringify(sync)); }
        while (pending.length) { ws.send(JSON.stringify(pending.shift())); }
        frame.reconnected = reconnect;
      }
      track(frame);
      acknowledge(frame);
      dispatch(frame);
      // Signed out elsewhere (a password change, a revoked token): leave instead of
      // reconnecting with a session that no longer holds.
      if (frame.type === "session.revoked") { window.location.assign(AppHttp.url("login")); }
    });
    ws.addEventListener("close", function () {
      dispatch({ type: "_disconnected" });
      // A random 50-150% of the backoff: a server that loses Redis closes all its sockets at
      // once, and their pages should not all come back in the same instant.
      setTimeout(connect, Math.round(backoff * (0.5 + Math.random())));
      backoff = Math.min(backoff * 2, 10000);
    });
  }

  const AppSocket = {
    on: function (type, fn) { (handlers[type] = handlers[type] || []).push(fn); },
    send: function (frame) {
      if (!sendNow(frame)) { pending.push(frame); }
    },
    // Pages tell the client the newest ids they rendered, so a reconnect syncs from there.
    seen: function (kind, id) { lastSeen[kind] = Math.max(lastSeen[kind] || 0, Number(id) || 0); },
    isOpen: function () { return !!ws && ws.readyState === WebSocket.OPEN; },
    userId: function () { return userId; },
  };
  window.AppSocket = AppSocket;
  connect();
})();
