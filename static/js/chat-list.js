// The chat list ("Chats", templates/chats/_chat_list.html), on every page that shows it in the
// side pane: rows move to the top with their last message, previews, ticks, unread badges and
// "typing..." follow the frames, and the list is fetched again (`api_chats`) when a row is
// missing or after a reconnect. `renderRow(row)` draws an inbox row from the REST JSON with the
// markup of templates/chats/_chat_row.html (tests/browser/test_renderers.py compares the two).
// Exposed as `window.ChatList` for the conversation pages (static/js/chat.js, groups.js).
(function () {
  "use strict";
  const socket = window.AppSocket;
  const C = window.Conversation;
  const http = window.AppHttp;
  if (!C || !http) { return; }
  const el = C.el;
  const pad = C.pad;
  const hhmm = C.hhmm;
  const isVisible = C.isVisible;

  const shell = document.querySelector(".shell");
  const me = Number(shell && shell.dataset.userId);
  const list = document.getElementById("chat-list");
  // The chat open in the main pane, if any (the list marks its row "active").
  const activePeerId = list && list.dataset.activePeerId ? Number(list.dataset.activePeerId) : null;
  const activeGroupId = list && list.dataset.activeGroupId ? Number(list.dataset.activeGroupId) : null;
  const typingTimers = new Map(); // "user-5" / "group-3" -> timeout id

  // ---- times --------------------------------------------------------------------------------

  function daysAgo(date) {
    const start = function (d) { return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime(); };
    return Math.round((start(new Date()) - start(date)) / 86400000);
  }

  // "14:03" today, "Yesterday", a weekday within the week, else "25/11/2026" (chat_tags.chat_time).
  function chatTime(iso) {
    if (!iso) { return ""; }
    const date = new Date(iso);
    const ago = daysAgo(date);
    if (ago === 0) { return hhmm(date); }
    if (ago === 1) { return "Yesterday"; }
    if (ago < 7) { return date.toLocaleDateString(undefined, { weekday: "long" }); }
    return pad(date.getDate()) + "/" + pad(date.getMonth() + 1) + "/" + date.getFullYear();
  }

  // Server-rendered times are UTC: show them in the reader's time zone.
  function localTimes(root) {
    root.querySelectorAll(".chat-time").forEach(function (time) { time.textContent = chatTime(time.dateTime); });
  }

  // ---- rows ---------------------------------------------------------------------------------

  function row(kind, id) {
    if (!list) { return null; }
    const attr = kind === "user" ? "data-peer-id" : "data-group-id";
    return list.querySelector('.chat-row[data-kind="' + kind + '"][' + attr + '="' + id + '"]');
  }

  function setUnread(item, count) {
    const badge = item.querySelector(".unread-badge");
    item.classList.toggle("is-unread", count > 0);
    if (!badge) { return; }
    badge.textContent = count;
    badge.appendChild(el("span", "visually-hidden", " unread"));
    badge.hidden = count <= 0;
  }

  function unreadOf(item) {
    const badge = item.querySelector(".unread-badge");
    return badge && !badge.hidden ? parseInt(badge.textContent, 10) || 0 : 0;
  }

  // templates/chats/_preview_text.html
  function previewText(m) {
    if (m.removed) { return C.texts.message_removed; }
    if (m.deleted) { return m.sender_id === me ? C.texts.message_deleted_by_me : C.texts.message_deleted; }
    if (m.content) { return m.content.length > 120 ? m.content.slice(0, 119) + "…" : m.content; }
    return "Attachment";
  }

  function tickState(m) {
    if (m.read_at) { return "read"; }
    return m.delivered_at ? "delivered" : "sent";
  }

  // The row's preview of its last message `m` (a 1:1 or group message), and its time.
  function setPreview(item, m) {
    const preview = item.querySelector(".chat-preview");
    preview.textContent = "";
    if (m.group_message_id) {
      preview.appendChild(el("span", "chat-preview-sender", (m.sender_id === me ? "You" : m.sender || "") + ": "));
    } else if (m.message_id && m.sender_id === me && m.receiver_id !== me) {
      preview.append(C.makeTick(tickState(m)), " ");
    }
    preview.appendChild(el("span", "chat-preview-text", previewText(m)));
    const time = item.querySelector(".chat-time");
    time.dateTime = m.sent_at;
    time.textContent = chatTime(m.sent_at);
    item.dataset.lastMessageId = m.message_id || m.group_message_id || 0;
  }

  // accounts/_avatar.html (size "medium") for a peer; the group's initial for a group.
  function avatar(rowJson) {
    const peer = rowJson.peer;
    if (peer && peer.profile_thumbnail) {
      const img = el("img", "avatar avatar-medium");
      const url = new URL(peer.profile_thumbnail, location.href);
      // The API writes absolute URLs; the page's own are paths, as the template writes them.
      img.setAttribute("src", url.origin === location.origin ? url.pathname + url.search : url.href);
      img.alt = "";
      img.width = 48;
      img.height = 48;
      return img;
    }
    const name = peer ? (peer.name || peer.phone_number || "") : rowJson.group.group_name;
    const span = el("span", "avatar avatar-medium avatar-initial" + (peer ? "" : " avatar-group"), name.slice(0, 1).toUpperCase());
    span.setAttribute("aria-hidden", "true");
    return span;
  }

  // One inbox row (the REST `chats/` JSON): the markup of templates/chats/_chat_row.html.
  function renderRow(rowJson) {
    const isUser = rowJson.kind === "user";
    const id = isUser ? rowJson.peer.user_id : rowJson.group.group_id;
    const key = rowJson.kind + "-" + id;
    const active = isUser ? id === activePeerId : id === activeGroupId;
    const name = isUser ? (rowJson.peer.name || rowJson.peer.phone_number) + (id === me ? " (You)" : "") : rowJson.group.group_name;
    const item = el("li", "list-item chat-row" + (rowJson.unread_count ? " is-unread" : "") + (active ? " active" : ""));
    item.dataset.kind = rowJson.kind;
    item.dataset[isUser ? "peerId" : "groupId"] = id;
    item.dataset.lastMessageId = 0;
    const link = el("a", "list-item-link");
    link.href = isUser ? http.url("chat", id) : http.url("group", id);
    link.setAttribute("aria-labelledby", "chat-name-" + key);
    link.setAttribute("aria-describedby", "chat-preview-" + key);
    if (active) { link.setAttribute("aria-current", "page"); }
    const body = el("span", "list-item-body");
    const title = el("span", "list-item-title chat-name", name);
    title.id = "chat-name-" + key;
    const preview = el("span", "list-item-subtitle chat-preview");
    preview.id = "chat-preview-" + key;
    body.append(title, preview);
    const meta = el("span", "list-item-meta");
    const time = el("time", "list-item-time chat-time");
    const badge = el("span", "badge unread-badge");
    meta.append(time, badge);
    link.append(avatar(rowJson), body, meta);
    item.appendChild(link);
    if (rowJson.last_message) { setPreview(item, rowJson.last_message); }
    time.dateTime = rowJson.last_activity_at;
    time.textContent = chatTime(rowJson.last_activity_at);
    setUnread(item, rowJson.unread_count);
    return item;
  }

  function moveToTop(item) {
    if (list.firstElementChild !== item) { list.prepend(item); }
    const empty = document.querySelector(".chat-list-empty");
    if (empty) { empty.hidden = true; }
  }

  let refreshTimer = null;
  function refresh() {
    if (!list || refreshTimer) { return; }
    refreshTimer = setTimeout(function () {
      refreshTimer = null;
      http.getJSON(http.url("api_chats"))
        .then(function (page) {
          const rows = page.results.map(renderRow);
          // Rows beyond the first page keep their place below the fresh ones.
          const keyOf = function (r) { return r.dataset.kind + "-" + (r.dataset.peerId || r.dataset.groupId); };
          const fresh = new Set(rows.map(keyOf));
          const rest = Array.from(list.children).filter(function (r) { return !fresh.has(keyOf(r)); });
          list.replaceChildren.apply(list, rows.concat(rest));
          const empty = document.querySelector(".chat-list-empty");
          if (empty) { empty.hidden = list.children.length > 0; }
          if (isVisible()) {
            const open = activePeerId !== null ? row("user", activePeerId) : activeGroupId !== null ? row("group", activeGroupId) : null;
            if (open) { setUnread(open, 0); }
          }
        })
        .catch(function (err) { console.warn("chat list refresh failed", err); });
    }, 150);
  }

  function onMessage(m) {
    if (!list) { return; }
    const other = m.sender_id === me ? m.receiver_id : m.sender_id;
    const item = row("user", other);
    if (!item) { refresh(); return; }
    // ">=": the same message again (a retry's second push, a sync replay) changes nothing.
    if (Number(item.dataset.lastMessageId || 0) >= m.message_id) { return; }
    setPreview(item, m);
    moveToTop(item);
    const incoming = m.sender_id !== me && !m.read_at;
    const open = other === activePeerId && isVisible();
    if (incoming && !open) { setUnread(item, unreadOf(item) + 1); }
  }

  function onGroupMessage(g) {
    if (!list) { return; }
    const item = row("group", g.group_id);
    if (!item) { refresh(); return; }
    if (Number(item.dataset.lastMessageId || 0) >= g.group_message_id) { return; }
    setPreview(item, g);
    moveToTop(item);
    if (g.sender_id !== me && g.group_id !== activeGroupId) { setUnread(item, unreadOf(item) + 1); }
  }

  // ---- typing -------------------------------------------------------------------------------

  function showTyping(kind, id) {
    const key = kind + "-" + id;
    clearTimeout(typingTimers.get(key));
    const item = row(kind, id);
    const preview = item && item.querySelector(".chat-preview");
    if (preview && !preview.querySelector(".chat-typing")) {
      preview.classList.add("is-typing");
      preview.appendChild(el("span", "chat-typing typing-indicator", "typing..."));
    }
    typingTimers.set(key, setTimeout(function () { hideTyping(kind, id); }, C.TYPING_SHOW_MS));
  }

  function hideTyping(kind, id) {
    const key = kind + "-" + id;
    clearTimeout(typingTimers.get(key));
    typingTimers.delete(key);
    const item = row(kind, id);
    const preview = item && item.querySelector(".chat-preview");
    if (preview) {
      preview.classList.remove("is-typing");
      preview.querySelectorAll(".chat-typing").forEach(function (node) { node.remove(); });
    }
  }

  // ---- socket frames ------------------------------------------------------------------------

  if (socket && list) {
    socket.on("message.new", function (frame) {
      const m = frame.message;
      if (m.sender_id !== me) { hideTyping("user", m.sender_id); }
      onMessage(m);
    });

    socket.on("message.ack", function (frame) { onMessage(frame.message); });

    socket.on("message.status", function (frame) {
      const item = list.querySelector('.chat-row[data-kind="user"][data-last-message-id="' + frame.message_id + '"]');
      const tick = item && item.querySelector(".chat-preview .tick");
      if (tick) { C.setTick(tick, tickState(frame)); return; }
      // Read on another device: the badges change.
      const shown = document.querySelector('.message-row[data-message-id="' + frame.message_id + '"]');
      if (frame.read_at && !shown) { refresh(); }
    });

    socket.on("group_message.new", function (frame) { onGroupMessage(frame.group_message); });

    // An edit or a delete for everyone of a row's last message changes its preview, in place
    // (its time stays the message's); a message I deleted for myself may have been the last.
    function onUpdated(kind, id, m) {
      const key = kind === "user" ? "message_id" : "group_message_id";
      const item = row(kind, id);
      if (item && Number(item.dataset.lastMessageId) === m[key]) { setPreview(item, m); }
    }
    socket.on("message.updated", function (frame) {
      const m = frame.message;
      onUpdated("user", m.sender_id === me ? m.receiver_id : m.sender_id, m);
    });
    socket.on("group_message.updated", function (frame) {
      onUpdated("group", frame.group_message.group_id, frame.group_message);
    });
    socket.on("message.hidden", function (frame) {
      const id = frame.message_id || frame.group_message_id;
      const kind = frame.message_id ? "user" : "group";
      if (list.querySelector('.chat-row[data-kind="' + kind + '"][data-last-message-id="' + Number(id) + '"]')) { refresh(); }
    });

    socket.on("typing", function (frame) {
      if (frame.user_id === me) { return; }
      if (frame.group_id) { showTyping("group", frame.group_id); } else { showTyping("user", frame.user_id); }
    });

    socket.on("ready", function (frame) { if (frame.reconnected) { refresh(); } });
  }

  if (list) {
    localTimes(list);
    if (socket) { socket.seen("message", list.dataset.newestMessageId); }
  }

  window.ChatList = {
    row: row,
    setUnread: setUnread,
    renderRow: renderRow,
    localTimes: localTimes,
    chatTime: chatTime,
    refresh: refresh,
  };
})();
