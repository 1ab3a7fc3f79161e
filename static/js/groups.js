// The open group conversation: sends over the socket with a client_id (pending clock, then
// ticks), renders group_message.new live, marks what is on screen read, turns ticks blue when
// group_message.status says every other member read, shows who is typing, and loads older
// history. Delivery receipts are sent by socket.js for every page. Server-rendered markup
// (templates/groups/_message.html) is the starting point; the markup built here mirrors it.
(function () {
  "use strict";
  const socket = window.AppSocket;
  const app = document.getElementById("group-app");
  if (!socket || !app) { return; }

  const me = Number(app.dataset.me);
  const groupId = Number(app.dataset.groupId);
  const log = document.getElementById("group-log");
  const composer = document.getElementById("group-composer");
  const input = document.getElementById("group-composer-input");
  const files = document.getElementById("group-composer-files");
  const subtitle = document.getElementById("group-subtitle");
  const liveError = composer && composer.querySelector(".group-live-error");
  const namesNode = document.getElementById("group-member-names");
  const names = namesNode ? JSON.parse(namesNode.textContent) : {};
  const TYPING_SHOW_MS = 5000;
  const TYPING_SEND_MS = 2500;
  const TICK_LABELS = { pending: "Pending", sent: "Sent", delivered: "Delivered", read: "Read", failed: "Not sent" };
  const pendingSends = new Map(); // client_id -> { frame, row }
  const typists = new Map(); // user_id -> timeout id
  const subtitleText = subtitle ? subtitle.textContent : "";
  let olderUrl = app.dataset.olderUrl || null;
  let loadingOlder = false;
  let lastTypingSent = 0;
  let unreadWhileHidden = false;

  // ---- helpers ------------------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function pad(n) { return String(n).padStart(2, "0"); }
  function hhmm(date) { return pad(date.getHours()) + ":" + pad(date.getMinutes()); }

  function cookie(name) {
    const match = document.cookie.split("; ").find(function (part) { return part.indexOf(name + "=") === 0; });
    return match ? decodeURIComponent(match.slice(name.length + 1)) : "";
  }

  function csrfToken() {
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return cookie("csrftoken") || (field ? field.value : "");
  }

  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") { return window.crypto.randomUUID(); }
    return "c-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  function isVisible() { return document.visibilityState === "visible"; }

  function tickState(m) {
    if (m.read_at) { return "read"; }
    if (m.delivered_at) { return "delivered"; }
    return m.group_message_id ? "sent" : "pending";
  }

  function setTick(tick, state) {
    tick.className = "tick tick-" + state;
    tick.setAttribute("role", "img");
    tick.setAttribute("aria-label", TICK_LABELS[state]);
  }

  // ---- rendering ----------------------------------------------------------------------------

  function messageRow(id) {
    return log.querySelector('.message-row[data-group-message-id="' + id + '"]');
  }

  function menuFor(m) {
    const details = el("details", "message-menu");
    const summary = el("summary", "message-menu-button");
    summary.title = "Message options";
    summary.appendChild(el("span", "visually-hidden", "Message options"));
    const items = el("div", "message-menu-items");
    const base = "/groups/" + m.group_id + "/messages/" + m.group_message_id + "/";
    if (m.sender_id === me) {
      const info = el("a", "message-info-link", "Message info");
      info.href = base + "info/";
      items.appendChild(info);
    }
    const forward = el("a", "message-forward", "Forward");
    forward.href = base + "forward/";
    items.appendChild(forward);
    details.append(summary, items);
    return details;
  }

  function renderMedia(bubble, media) {
    if (window.AppMedia) { window.AppMedia.render(bubble, media); return; }
    (media || []).forEach(function (item) {
      const url = item.download_url || item.url;
      const file = el(url ? "a" : "span", "bubble-file", item.original_name || item.file_type || "File");
      if (url) { file.href = url; }
      file.dataset.multimediaId = item.multimedia_id;
      bubble.appendChild(file);
    });
  }

  function renderMessage(m) {
    const out = m.sender_id === me;
    const row = el("div", "message-row" + (out ? " message-row-out" : ""));
    if (m.group_message_id) { row.dataset.groupMessageId = m.group_message_id; }
    if (m.client_id && out) { row.dataset.clientId = m.client_id; }
    row.dataset.senderId = m.sender_id;
    row.dataset.sentAt = m.sent_at;
    const bubble = el("div", "bubble " + (out ? "bubble-out" : "bubble-in") + (m.removed ? " bubble-removed" : ""));
    if (m.group_message_id && !m.removed) { bubble.appendChild(menuFor(m)); }
    if (!out) { bubble.appendChild(el("span", "bubble-sender", m.sender || names[m.sender_id] || "")); }
    if (m.forwarded && !m.removed) {
      bubble.appendChild(el("span", "bubble-forwarded" + (m.forwarded_many_times ? " bubble-forwarded-many" : ""),
        m.forwarded_many_times ? "Forwarded many times" : "Forwarded"));
    }
    if (m.removed) {
      bubble.appendChild(el("span", "bubble-text bubble-removed-text", "This message was removed"));
    } else {
      renderMedia(bubble, m.media);
      if (m.content) { bubble.appendChild(el("span", "bubble-text", m.content)); }
    }
    const meta = el("span", "bubble-meta");
    const time = el("time", "bubble-time", hhmm(new Date(m.sent_at)));
    time.dateTime = m.sent_at;
    meta.appendChild(time);
    if (out) {
      const tick = el("span");
      setTick(tick, tickState(m));
      meta.appendChild(tick);
    }
    bubble.appendChild(meta);
    row.appendChild(bubble);
    return row;
  }

  function updateRow(row, m) {
    if (m.group_message_id && !row.dataset.groupMessageId) {
      row.dataset.groupMessageId = m.group_message_id;
      const bubble = row.querySelector(".bubble");
      if (bubble && !bubble.querySelector(".message-menu") && !m.removed) {
        bubble.insertBefore(menuFor(m), bubble.firstChild);
      }
    }
    const tick = row.querySelector(".bubble-meta .tick");
    if (tick) { setTick(tick, tickState(m)); }
  }

  function nearBottom() { return log.scrollHeight - log.scrollTop - log.clientHeight < 120; }
  function scrollToBottom() { log.scrollTop = log.scrollHeight; }

  function appendMessage(m) {
    if (messageRow(m.group_message_id)) { return; }
    const stick = nearBottom() || m.sender_id === me;
    log.appendChild(renderMessage(m));
    if (stick) { scrollToBottom(); }
  }

  // ---- read receipts ------------------------------------------------------------------------

  function markAllRead() {
    if (!isVisible()) { unreadWhileHidden = true; return; }
    unreadWhileHidden = false;
    fetch(app.dataset.readUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    }).catch(function (err) { console.warn("marking the group read failed", err); });
    clearListBadge();
  }

  function clearListBadge() {
    const item = document.querySelector('.chat-row[data-kind="group"][data-group-id="' + groupId + '"]');
    const badge = item && item.querySelector(".unread-badge");
    if (item) { item.classList.remove("is-unread"); }
    if (badge) { badge.hidden = true; badge.textContent = "0"; }
  }

  function readNow(ids) {
    if (!ids.length) { return; }
    if (!isVisible()) { unreadWhileHidden = true; return; }
    socket.send({ type: "group_message.read", group_message_ids: ids });
    clearListBadge();
  }

  // ---- typing -------------------------------------------------------------------------------

  function renderTypists() {
    if (!subtitle) { return; }
    if (!typists.size) {
      subtitle.textContent = subtitleText;
      subtitle.classList.remove("typing-indicator");
      return;
    }
    const who = Array.from(typists.keys()).map(function (id) { return names[id] || "Someone"; });
    subtitle.textContent = who.join(", ") + (who.length > 1 ? " are typing..." : " is typing...");
    subtitle.classList.add("typing-indicator");
  }

  function hideTypist(userId) {
    clearTimeout(typists.get(userId));
    typists.delete(userId);
    renderTypists();
  }

  // ---- socket frames ------------------------------------------------------------------------

  socket.on("group_message.new", function (frame) {
    const m = frame.group_message;
    if (!m || m.group_id !== groupId) { return; }
    hideTypist(m.sender_id);
    const pending = m.client_id && m.sender_id === me
      ? log.querySelector('.message-row[data-client-id="' + CSS.escape(m.client_id) + '"]') : null;
    if (pending) { updateRow(pending, m); } else { appendMessage(m); }
    if (m.sender_id !== me) { readNow([m.group_message_id]); }
    socket.seen("group_message", m.group_message_id);
  });

  socket.on("group_message.ack", function (frame) {
    const m = frame.group_message;
    const entry = pendingSends.get(frame.client_id);
    pendingSends.delete(frame.client_id);
    if (!m || m.group_id !== groupId) { return; }
    if (entry && !messageRow(m.group_message_id)) { updateRow(entry.row, m); }
    else if (entry) { entry.row.remove(); }
    else { appendMessage(m); }
  });

  socket.on("group_message.status", function (frame) {
    const row = messageRow(frame.group_message_id);
    if (row) {
      updateRow(row, { group_message_id: frame.group_message_id, delivered_at: frame.delivered_at, read_at: frame.read_at });
    }
  });

  socket.on("error", function (frame) {
    if (!frame.client_id || !pendingSends.has(frame.client_id)) { return; }
    const entry = pendingSends.get(frame.client_id);
    pendingSends.delete(frame.client_id);
    const tick = entry.row.querySelector(".tick");
    if (tick) { setTick(tick, "failed"); }
    entry.row.classList.add("message-failed");
    if (liveError) { liveError.textContent = frame.detail; liveError.hidden = false; }
  });

  socket.on("typing", function (frame) {
    if (frame.group_id !== groupId || frame.user_id === me) { return; }
    clearTimeout(typists.get(frame.user_id));
    typists.set(frame.user_id, setTimeout(function () { hideTypist(frame.user_id); }, TYPING_SHOW_MS));
    renderTypists();
  });

  socket.on("ready", function (frame) {
    if (!frame.reconnected) { return; }
    // A send may have been lost with the old socket: retry it; the client_id makes it safe.
    pendingSends.forEach(function (entry) { socket.send(entry.frame); });
  });

  // ---- sending, typing, history -------------------------------------------------------------

  if (composer && input) {
    composer.addEventListener("submit", function (event) {
      if (files && files.files.length) { return; } // attachments go through the form post
      event.preventDefault();
      const content = input.value;
      if (!content.trim()) { return; }
      if (liveError) { liveError.hidden = true; }
      const clientId = newClientId();
      const frame = { type: "group_message.send", group_id: groupId, content: content, client_id: clientId };
      const draft = { group_message_id: null, group_id: groupId, sender_id: me, content: content,
        sent_at: new Date().toISOString(), client_id: clientId, media: [] };
      const row = renderMessage(draft);
      log.appendChild(row);
      scrollToBottom();
      pendingSends.set(clientId, { frame: frame, row: row });
      socket.send(frame);
      input.value = "";
      input.style.height = "";
      input.focus();
    });

    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        composer.requestSubmit();
      }
    });

    input.addEventListener("input", function () {
      input.style.height = "";
      input.style.height = Math.min(input.scrollHeight, 140) + "px";
      const now = Date.now();
      if (input.value.trim() && now - lastTypingSent > TYPING_SEND_MS) {
        lastTypingSent = now;
        socket.send({ type: "typing", group_id: groupId });
      }
    });
  }

  function loadOlder() {
    if (!olderUrl || loadingOlder) { return; }
    loadingOlder = true;
    fetch(olderUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response); })
      .then(function (page) {
        const before = log.scrollHeight;
        const anchor = log.querySelector(".message-row");
        const fragment = document.createDocumentFragment();
        page.results.slice().reverse().forEach(function (m) {
          if (!messageRow(m.group_message_id)) { fragment.appendChild(renderMessage(m)); }
        });
        if (anchor) { anchor.before(fragment); } else { log.appendChild(fragment); }
        log.scrollTop += log.scrollHeight - before;
        olderUrl = page.next;
        const link = document.getElementById("group-load-older");
        if (link && !olderUrl) { link.remove(); }
        loadingOlder = false;
      })
      .catch(function (err) { loadingOlder = false; console.warn("older messages failed", err); });
  }

  const olderLink = document.getElementById("group-load-older");
  if (olderLink) {
    olderLink.addEventListener("click", function (event) { event.preventDefault(); loadOlder(); });
  }
  log.addEventListener("scroll", function () { if (log.scrollTop < 80) { loadOlder(); } });
  // Server-rendered times are UTC: show them in the reader's time zone.
  log.querySelectorAll(".bubble-time").forEach(function (time) { time.textContent = hhmm(new Date(time.dateTime)); });
  log.querySelectorAll(".message-row[data-group-message-id]").forEach(function (row) {
    socket.seen("group_message", row.dataset.groupMessageId);
  });
  scrollToBottom();

  markAllRead();
  document.addEventListener("visibilitychange", function () { if (unreadWhileHidden) { markAllRead(); } });
  window.addEventListener("focus", function () { if (unreadWhileHidden) { markAllRead(); } });
})();
