// Chat pages (the chat list, and the open 1:1 conversation): renders incoming frames live,
// sends over the socket with a client_id (pending clock, then ticks), sends read receipts for
// what is on screen, typing and presence in the header, older history on scrolling up, and
// forwarding. Server-rendered markup (templates/chats/) is the starting point; the markup built
// here (with the shared helpers of static/js/conversation.js) mirrors it.
(function () {
  "use strict";
  const socket = window.AppSocket;
  const C = window.Conversation;
  const list = document.getElementById("chat-list");
  const app = document.getElementById("chat-app");
  if (!socket || !C || (!list && !app)) { return; }
  const el = C.el;
  const pad = C.pad;
  const hhmm = C.hhmm;
  const isVisible = C.isVisible;

  const shell = document.querySelector(".shell");
  const me = Number((app && app.dataset.me) || (shell && shell.dataset.userId));
  const peerId = app && app.dataset.peerId ? Number(app.dataset.peerId) : null;
  const log = document.getElementById("message-log");
  const composer = document.getElementById("composer");
  const input = document.getElementById("composer-input");
  const files = document.getElementById("composer-files");
  const statusLine = document.getElementById("conversation-status");
  const liveError = composer && composer.querySelector(".composer-live-error");
  const http = window.AppHttp;
  const typingTimers = new Map(); // "user-5" / "group-3" -> timeout id

  // ---- dates --------------------------------------------------------------------------------

  function dayKey(date) { return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()); }
  function daysAgo(date) {
    const start = function (d) { return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime(); };
    return Math.round((start(new Date()) - start(date)) / 86400000);
  }

  function chatTime(iso) {
    if (!iso) { return ""; }
    const date = new Date(iso);
    const ago = daysAgo(date);
    if (ago === 0) { return hhmm(date); }
    if (ago === 1) { return "Yesterday"; }
    if (ago < 7) { return date.toLocaleDateString(undefined, { weekday: "long" }); }
    return pad(date.getDate()) + "/" + pad(date.getMonth() + 1) + "/" + date.getFullYear();
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
    return peerId !== null && (
      (m.sender_id === me && m.receiver_id === peerId) || (m.sender_id === peerId && m.receiver_id === me)
    );
  }

  function messageRow(id) {
    return log ? log.querySelector('.message-row[data-message-id="' + id + '"]') : null;
  }

  const view = C.messageView({
    me: me,
    idField: "message_id",
    idData: "messageId",
    menu: function (m) {
      return C.messageMenu([{ className: "message-forward", text: "Forward",
        href: http.url("message_forward", m.message_id), data: { messageId: m.message_id } }]);
    },
    hasTick: function (m) { return m.receiver_id !== m.sender_id; },
    decorate: function (row, m, out) {
      row.dataset.receiverId = m.receiver_id;
      if (!out && !m.read_at) { row.dataset.unread = "true"; }
    },
  });
  const pendingSends = C.liveSends({
    socket: socket, log: log, view: view, liveError: liveError, afterInsert: refreshDividers,
  });

  // Day dividers are rebuilt from the rows' timestamps after every insertion.
  function refreshDividers() {
    if (!log) { return; }
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

  function appendMessage(m) {
    if (!log || messageRow(m.message_id)) { return; }
    const stick = C.nearBottom(log) || m.sender_id === me;
    if (!C.placeRow(log, view.render(m), m.message_id, "messageId", older)) { return; }
    refreshDividers();
    if (stick) { C.scrollToBottom(log); }
  }

  function sendReadReceipts() {
    if (!log || peerId === null || !isVisible()) { return; }
    const rows = log.querySelectorAll('.message-row[data-unread="true"][data-message-id]');
    const ids = [];
    rows.forEach(function (row) {
      if (Number(row.dataset.senderId) === peerId) { ids.push(Number(row.dataset.messageId)); }
      delete row.dataset.unread;
    });
    if (ids.length) { socket.send({ type: "message.read", message_ids: ids }); }
    const item = listRow("user", peerId);
    if (item) { setUnread(item, 0); }
  }

  // ---- the chat list ------------------------------------------------------------------------

  function listRow(kind, id) {
    if (!list) { return null; }
    const attr = kind === "user" ? "data-peer-id" : "data-group-id";
    return list.querySelector('.chat-row[data-kind="' + kind + '"][' + attr + '="' + id + '"]');
  }

  function setUnread(item, count) {
    const badge = item.querySelector(".unread-badge");
    item.classList.toggle("is-unread", count > 0);
    if (!badge) { return; }
    badge.dataset.count = count;
    badge.textContent = count;
    badge.appendChild(el("span", "visually-hidden", " unread"));
    badge.hidden = count <= 0;
  }

  function unreadOf(item) {
    const badge = item.querySelector(".unread-badge");
    return badge && !badge.hidden ? parseInt(badge.textContent, 10) || 0 : 0;
  }

  function previewText(m) {
    if (m.removed) { return C.texts.message_removed; }
    if (m.content) { return m.content.length > 120 ? m.content.slice(0, 119) + "…" : m.content; }
    return "Attachment";
  }

  function setPreview(item, m, senderName) {
    const preview = item.querySelector(".chat-preview");
    preview.textContent = "";
    if (senderName) { preview.appendChild(el("span", "chat-preview-sender", senderName + ": ")); }
    if (m.message_id && m.sender_id === me && m.receiver_id !== me) {
      preview.append(C.makeTick(view.tickState(m)), " ");
    }
    preview.appendChild(el("span", "chat-preview-text", previewText(m)));
    const time = item.querySelector(".chat-time");
    time.dateTime = m.sent_at;
    time.textContent = chatTime(m.sent_at);
    item.dataset.lastMessageId = m.message_id || m.group_message_id || 0;
  }

  function moveToTop(item) {
    if (list.firstElementChild !== item) { list.prepend(item); }
    const empty = document.querySelector(".chat-list-empty");
    if (empty) { empty.hidden = true; }
  }

  function onListMessage(m) {
    if (!list) { return; }
    const other = m.sender_id === me ? m.receiver_id : m.sender_id;
    const item = listRow("user", other);
    if (!item) { refreshList(); return; }
    // ">=": the same message again (a retry's second push, a sync replay) changes nothing.
    if (Number(item.dataset.lastMessageId || 0) >= m.message_id) { return; }
    setPreview(item, m, null);
    moveToTop(item);
    const incoming = m.sender_id !== me && !m.read_at;
    const open = other === peerId && isVisible();
    if (incoming && !open && Number(item.dataset.lastMessageId) === m.message_id) {
      setUnread(item, unreadOf(item) + 1);
    }
  }

  function avatarFor(person, size) {
    const thumb = person && person.profile_thumbnail;
    if (thumb) {
      const img = el("img", "avatar avatar-" + size);
      img.src = thumb;
      img.alt = "";
      return img;
    }
    const span = el("span", "avatar avatar-" + size + " avatar-initial", ((person && person.name) || "?").slice(0, 1).toUpperCase());
    span.setAttribute("aria-hidden", "true");
    return span;
  }

  function renderListRow(row) {
    const isUser = row.kind === "user";
    const id = isUser ? row.peer.user_id : row.group.group_id;
    const key = row.kind + "-" + id;
    const name = isUser ? (row.peer.name || row.peer.phone_number) + (id === me ? " (You)" : "") : row.group.group_name;
    const item = el("li", "list-item chat-row" + (isUser && id === peerId ? " active" : ""));
    item.dataset.kind = row.kind;
    item.dataset[isUser ? "peerId" : "groupId"] = id;
    const link = el("a", "list-item-link");
    link.href = isUser ? http.url("chat", id) : http.url("group", id);
    link.setAttribute("aria-labelledby", "chat-name-" + key);
    link.setAttribute("aria-describedby", "chat-preview-" + key);
    if (isUser && id === peerId) { link.setAttribute("aria-current", "page"); }
    const avatar = isUser ? avatarFor(row.peer, "medium") : avatarFor({ name: row.group.group_name }, "medium");
    const body = el("span", "list-item-body");
    const title = el("span", "list-item-title chat-name", name);
    title.id = "chat-name-" + key;
    const preview = el("span", "list-item-subtitle chat-preview");
    preview.id = "chat-preview-" + key;
    body.append(title, preview);
    const meta = el("span", "list-item-meta");
    const time = el("time", "list-item-time chat-time", chatTime(row.last_activity_at));
    time.dateTime = row.last_activity_at;
    const badge = el("span", "badge unread-badge");
    meta.append(time, badge);
    link.append(avatar, body, meta);
    item.appendChild(link);
    const m = row.last_message;
    if (m) {
      const sender = !isUser ? (m.sender_id === me ? "You" : m.sender || null) : null;
      setPreview(item, m, sender);
    }
    time.textContent = chatTime(row.last_activity_at);
    setUnread(item, row.unread_count);
    return item;
  }

  let refreshTimer = null;
  function refreshList() {
    if (!list || refreshTimer) { return; }
    refreshTimer = setTimeout(function () {
      refreshTimer = null;
      http.getJSON(http.url("api_chats"))
        .then(function (page) {
          const rows = page.results.map(renderListRow);
          // Rows beyond the first page keep their place below the fresh ones.
          const fresh = new Set(rows.map(function (r) { return r.dataset.kind + "-" + (r.dataset.peerId || r.dataset.groupId); }));
          const rest = Array.from(list.children).filter(function (r) {
            return !fresh.has(r.dataset.kind + "-" + (r.dataset.peerId || r.dataset.groupId));
          });
          list.replaceChildren.apply(list, rows.concat(rest));
          const empty = document.querySelector(".chat-list-empty");
          if (empty) { empty.hidden = list.children.length > 0; }
          if (peerId !== null && isVisible()) { const open = listRow("user", peerId); if (open) { setUnread(open, 0); } }
        })
        .catch(function (err) { console.warn("chat list refresh failed", err); });
    }, 150);
  }

  function onListGroupMessage(g) {
    if (!list) { return; }
    const item = listRow("group", g.group_id);
    if (!item) { refreshList(); return; }
    if (Number(item.dataset.lastMessageId || 0) >= g.group_message_id) { return; }
    setPreview(item, g, g.sender_id === me ? "You" : g.sender || null);
    moveToTop(item);
    if (g.sender_id !== me && location.pathname !== http.url("group", g.group_id)) {
      setUnread(item, unreadOf(item) + 1);
    }
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

  function showTyping(key, userId) {
    clearTimeout(typingTimers.get(key));
    const item = key.indexOf("user-") === 0 ? listRow("user", userId) : listRow("group", Number(key.slice(6)));
    if (item) {
      const preview = item.querySelector(".chat-preview");
      if (!preview.querySelector(".chat-typing")) {
        preview.classList.add("is-typing");
        preview.appendChild(el("span", "chat-typing typing-indicator", "typing..."));
      }
    }
    if (key === "user-" + peerId && statusLine) {
      statusLine.dataset.typing = "true";
      statusLine.textContent = "typing...";
      statusLine.classList.add("typing-indicator");
    }
    typingTimers.set(key, setTimeout(function () { hideTyping(key, userId); }, C.TYPING_SHOW_MS));
  }

  function hideTyping(key, userId) {
    clearTimeout(typingTimers.get(key));
    typingTimers.delete(key);
    const item = key.indexOf("user-") === 0 ? listRow("user", userId) : listRow("group", Number(key.slice(6)));
    if (item) {
      const preview = item.querySelector(".chat-preview");
      preview.classList.remove("is-typing");
      preview.querySelectorAll(".chat-typing").forEach(function (node) { node.remove(); });
    }
    if (key === "user-" + peerId && statusLine) {
      delete statusLine.dataset.typing;
      renderPresence();
    }
  }

  // ---- socket frames ------------------------------------------------------------------------

  socket.on("message.new", function (frame) {
    const m = frame.message;
    if (m.sender_id !== me) { hideTyping("user-" + m.sender_id, m.sender_id); }
    if (belongsHere(m)) {
      const row = m.client_id && m.sender_id === me ? C.pendingRow(log, m) : null;
      if (row) { view.update(row, m); } else { appendMessage(m); }
      if (m.sender_id === peerId) { sendReadReceipts(); }
    }
    onListMessage(m);
  });

  socket.on("message.ack", function (frame) {
    const m = frame.message;
    const entry = pendingSends.take(frame.client_id);
    if (entry && !messageRow(m.message_id)) { view.update(entry.row, m); }
    else if (entry) { entry.row.remove(); }
    else if (belongsHere(m)) { appendMessage(m); }
    onListMessage(m);
  });

  socket.on("message.status", function (frame) {
    const row = messageRow(frame.message_id);
    if (row) {
      view.update(row, { message_id: frame.message_id, delivered_at: frame.delivered_at, read_at: frame.read_at });
      if (frame.read_at) { delete row.dataset.unread; }
    }
    if (!list) { return; }
    const item = list.querySelector('.chat-row[data-kind="user"][data-last-message-id="' + frame.message_id + '"]');
    const tick = item && item.querySelector(".chat-preview .tick");
    if (tick) { C.setTick(tick, frame.read_at ? "read" : frame.delivered_at ? "delivered" : "sent"); }
    else if (frame.read_at && !row) { refreshList(); } // read on another device: badges change
  });

  socket.on("error", pendingSends.fail);

  socket.on("typing", function (frame) {
    if (frame.user_id === me) { return; }
    if (frame.group_id) { showTyping("group-" + frame.group_id, frame.user_id); }
    else { showTyping("user-" + frame.user_id, frame.user_id); }
  });

  socket.on("presence", function (frame) {
    if (!statusLine || frame.user_id !== peerId) { return; }
    statusLine.dataset.presenceVisible = "true";
    statusLine.dataset.online = frame.online ? "true" : "false";
    statusLine.dataset.lastSeen = frame.last_seen || "";
    renderPresence();
  });

  socket.on("group_message.new", function (frame) { onListGroupMessage(frame.group_message); });

  socket.on("ready", function (frame) {
    if (!frame.reconnected) { return; }
    pendingSends.retry();
    refreshList();
  });

  // ---- sending, typing, history, forwarding -------------------------------------------------

  if (composer && input && peerId !== null) {
    const typing = C.typingSignal(
      function () { socket.send({ type: "typing", receiver_id: peerId }); },
      function () { return !!input.value.trim(); });
    C.composer({
      form: composer,
      input: input,
      files: files,
      liveError: liveError,
      send: function (content) {
        pendingSends.send({ type: "message.send", receiver_id: peerId, content: content },
          { message_id: null, sender_id: me, receiver_id: peerId, content: content });
        typing.reset(); // the server forgets its limit for this chat on a send, too
      },
      typing: typing,
    });
  }

  if (log) {
    older = C.olderHistory({
      log: log,
      url: app && app.dataset.olderUrl,
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
  }

  const dialog = document.getElementById("forward-dialog");
  const forwardForm = document.getElementById("forward-form");
  if (log && dialog && forwardForm && typeof dialog.showModal === "function") {
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

  if (list) {
    // Server-rendered times are UTC: show them in the reader's time zone.
    list.querySelectorAll(".chat-time").forEach(function (time) { time.textContent = chatTime(time.dateTime); });
    socket.seen("message", list.dataset.newestMessageId);
  }
  if (log) {
    log.querySelectorAll(".message-row[data-message-id]").forEach(function (row) { socket.seen("message", row.dataset.messageId); });
  }
  renderPresence();
  sendReadReceipts();
  document.addEventListener("visibilitychange", sendReadReceipts);
  window.addEventListener("focus", sendReadReceipts);
})();
