// The open 1:1 conversation (templates/chats/conversation.html): sends over the socket with a
// client_id (pending clock, then ticks), renders incoming frames live, sends read receipts for
// what is on screen, typing and presence in the header, older history on scrolling up, and
// forwarding. Server-rendered bubbles (templates/chats/_bubble.html) are the starting point;
// live ones are drawn by `Conversation.messageView` (static/js/conversation.js) with the same
// markup. The chat list beside it is static/js/chat-list.js (`window.ChatList`).
(function () {
  "use strict";
  const socket = window.AppSocket;
  const C = window.Conversation;
  const app = document.getElementById("chat-app");
  if (!socket || !C || !app || !app.dataset.peerId) { return; }
  const el = C.el;
  const pad = C.pad;
  const hhmm = C.hhmm;
  const isVisible = C.isVisible;

  const me = Number(app.dataset.me);
  const peerId = Number(app.dataset.peerId);
  const log = document.getElementById("message-log");
  const composer = document.getElementById("composer");
  const input = document.getElementById("composer-input");
  const files = document.getElementById("composer-files");
  const statusLine = document.getElementById("conversation-status");
  const liveError = composer && composer.querySelector(".composer-live-error");
  const http = window.AppHttp;
  const chatList = window.ChatList;
  let typingTimer = null;

  // ---- dates --------------------------------------------------------------------------------

  function dayKey(date) { return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()); }
  function daysAgo(date) {
    const start = function (d) { return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime(); };
    return Math.round((start(new Date()) - start(date)) / 86400000);
  }

  function dayLabel(date) {
    const ago = daysAgo(date);
    if (ago === 0) { return "Today"; }
    if (ago === 1) { return "Yesterday"; }
    return date.toLocaleDateString(undefined, { day: "numeric", month: "long", year: "numeric" });
  }

  function lastSeenText(iso) {
    const date = new Date(iso);
    const ago = daysAgo(date);
    const day = ago === 0 ? "today" : ago === 1 ? "yesterday" : date.toLocaleDateString();
    return "last seen " + day + " at " + hhmm(date);
  }

  // ---- the conversation ---------------------------------------------------------------------

  function belongsHere(m) {
    return (m.sender_id === me && m.receiver_id === peerId) || (m.sender_id === peerId && m.receiver_id === me);
  }

  function messageRow(id) {
    return log.querySelector('.message-row[data-message-id="' + id + '"]');
  }

  const view = C.messageView({ me: me, kind: "user" });
  const pendingSends = C.liveSends({
    socket: socket, log: log, view: view, liveError: liveError, afterInsert: refreshDividers,
  });

  // Day dividers are rebuilt from the rows' timestamps after every insertion.
  function refreshDividers() {
    log.querySelectorAll(".day-divider").forEach(function (node) { node.remove(); });
    let previous = null;
    log.querySelectorAll(".message-row").forEach(function (row) {
      if (!row.dataset.sentAt) { return; }
      const date = new Date(row.dataset.sentAt);
      const key = dayKey(date);
      if (key !== previous) { row.before(el("div", "day-divider", dayLabel(date))); }
      previous = key;
    });
  }

  let older = null;
  const actions = window.MessageActions.attach({
    kind: "user", me: me, log: log, view: view, input: input, liveError: liveError,
    older: function () { return older; }, afterChange: refreshDividers,
  });

  function appendMessage(m) {
    if (messageRow(m.message_id)) { return; }
    const stick = C.nearBottom(log) || m.sender_id === me;
    if (!C.placeRow(log, view.render(m), m.message_id, view.idData, older)) { return; }
    refreshDividers();
    if (stick) { C.scrollToBottom(log); }
  }

  function sendReadReceipts() {
    if (!isVisible()) { return; }
    const rows = log.querySelectorAll('.message-row[data-unread="true"][data-message-id]');
    const ids = [];
    rows.forEach(function (row) {
      if (Number(row.dataset.senderId) === peerId) { ids.push(Number(row.dataset.messageId)); }
      delete row.dataset.unread;
    });
    if (ids.length) { socket.send({ type: "message.read", message_ids: ids }); }
    const item = chatList && chatList.row("user", peerId);
    if (item) { chatList.setUnread(item, 0); }
  }

  // ---- typing and presence ------------------------------------------------------------------

  function renderPresence() {
    if (!statusLine || statusLine.dataset.typing === "true") { return; }
    statusLine.classList.remove("typing-indicator");
    if (statusLine.dataset.presenceVisible !== "true") { return; }
    if (statusLine.dataset.online === "true") { statusLine.textContent = "online"; }
    else if (statusLine.dataset.lastSeen) { statusLine.textContent = lastSeenText(statusLine.dataset.lastSeen); }
    else { statusLine.textContent = ""; }
  }

  function showTyping() {
    if (!statusLine) { return; }
    clearTimeout(typingTimer);
    statusLine.dataset.typing = "true";
    statusLine.textContent = "typing...";
    statusLine.classList.add("typing-indicator");
    typingTimer = setTimeout(hideTyping, C.TYPING_SHOW_MS);
  }

  function hideTyping() {
    if (!statusLine) { return; }
    clearTimeout(typingTimer);
    typingTimer = null;
    delete statusLine.dataset.typing;
    renderPresence();
  }

  // ---- socket frames ------------------------------------------------------------------------

  socket.on("message.new", function (frame) {
    const m = frame.message;
    if (m.sender_id === peerId) { hideTyping(); }
    if (!belongsHere(m)) { return; }
    const row = m.client_id && m.sender_id === me ? C.pendingRow(log, m) : null;
    if (row) { view.update(row, m); } else { appendMessage(m); }
    if (m.sender_id === peerId) { sendReadReceipts(); }
  });

  socket.on("message.ack", function (frame) {
    const m = frame.message;
    const entry = pendingSends.take(frame.client_id);
    if (entry && !messageRow(m.message_id)) { view.update(entry.row, m); }
    else if (entry) { entry.row.remove(); }
    else if (belongsHere(m)) { appendMessage(m); }
  });

  socket.on("message.status", function (frame) {
    const row = messageRow(frame.message_id);
    if (!row) { return; }
    view.update(row, { message_id: frame.message_id, delivered_at: frame.delivered_at, read_at: frame.read_at });
    if (frame.read_at) { delete row.dataset.unread; }
  });

  socket.on("error", pendingSends.fail);

  // A reaction, an edit or a delete for everyone: the row is drawn again where it is.
  socket.on("message.updated", function (frame) {
    const m = frame.message;
    const row = m && messageRow(m.message_id);
    if (row) { view.replace(row, m); }
  });

  // Deleted for me (here or in another tab); starred in another tab.
  socket.on("message.hidden", function (frame) { if (frame.message_id) { actions.remove(frame.message_id); } });
  socket.on("message.starred", function (frame) {
    if (frame.message_id) { actions.setStar(frame.message_id, frame.starred); }
  });

  socket.on("typing", function (frame) {
    if (frame.user_id === peerId && frame.user_id !== me && !frame.group_id) { showTyping(); }
  });

  socket.on("presence", function (frame) {
    if (!statusLine || frame.user_id !== peerId) { return; }
    statusLine.dataset.presenceVisible = "true";
    statusLine.dataset.online = frame.online ? "true" : "false";
    statusLine.dataset.lastSeen = frame.last_seen || "";
    renderPresence();
  });

  socket.on("ready", function (frame) { if (frame.reconnected) { pendingSends.retry(); } });

  // ---- sending, typing, history, forwarding -------------------------------------------------

  if (composer && input) {
    const typing = C.typingSignal(
      function () { socket.send({ type: "typing", receiver_id: peerId }); },
      function () { return !!input.value.trim(); });
    C.composer({
      form: composer,
      input: input,
      files: files,
      liveError: liveError,
      send: function (content) {
        if (actions.editing()) { actions.submitEdit(content); return; }
        const reply = actions.takeReply();
        pendingSends.send(Object.assign({ type: "message.send", receiver_id: peerId, content: content }, reply && reply.fields),
          { message_id: null, sender_id: me, receiver_id: peerId, content: content, reply_to: reply && reply.quote });
        typing.reset(); // the server forgets its limit for this chat on a send, too
      },
      typing: typing,
    });
  }

  older = C.olderHistory({
    log: log,
    url: app.dataset.olderUrl,
    link: document.getElementById("load-older"),
    hasRow: function (m) { return !!messageRow(m.message_id); },
    render: view.render,
    afterInsert: refreshDividers,
    fill: true,
  });
  C.localTimes(log);
  refreshDividers();
  C.scrollToBottom(log);
  older.fillIfShort();
  actions.jumpToWanted();

  const dialog = document.getElementById("forward-dialog");
  const forwardForm = document.getElementById("forward-form");
  if (dialog && forwardForm && typeof dialog.showModal === "function") {
    const forwardError = forwardForm.querySelector(".forward-error");
    log.addEventListener("click", function (event) {
      const link = event.target.closest(".message-forward");
      if (!link) { return; }
      event.preventDefault();
      const menu = link.closest("details");
      if (menu) { menu.open = false; }
      forwardForm.reset();
      forwardForm.dataset.messageId = link.dataset.messageId;
      forwardForm.action = link.href;
      forwardError.hidden = true;
      dialog.showModal();
    });
    dialog.querySelectorAll("[data-dialog-close]").forEach(function (button) {
      button.addEventListener("click", function () { dialog.close(); });
    });
    forwardForm.addEventListener("submit", function (event) {
      event.preventDefault();
      const ids = Array.from(forwardForm.querySelectorAll("input[name=receiver_ids]:checked")).map(function (box) { return Number(box.value); });
      if (!ids.length) { forwardError.textContent = "Choose at least one chat."; forwardError.hidden = false; return; }
      http.postJSON(http.url("api_message_forward", forwardForm.dataset.messageId), { receiver_ids: ids })
        .then(function (response) {
          return response.json().then(function (body) { return { ok: response.ok, body: body }; });
        })
        .then(function (result) {
          if (result.ok) { dialog.close(); return; }
          const body = result.body || {};
          forwardError.textContent = body.detail || (body.receiver_ids || []).join(" ") || "Could not forward.";
          forwardError.hidden = false;
        })
        .catch(function () { forwardError.textContent = "Could not forward."; forwardError.hidden = false; });
    });
  }

  log.querySelectorAll(".message-row[data-message-id]").forEach(function (row) { socket.seen("message", row.dataset.messageId); });
  renderPresence();
  sendReadReceipts();
  document.addEventListener("visibilitychange", sendReadReceipts);
  window.addEventListener("focus", sendReadReceipts);
})();
