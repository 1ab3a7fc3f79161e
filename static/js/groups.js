// The open group conversation: sends over the socket with a client_id (pending clock, then
// ticks), renders group_message.new live, marks what is on screen read, turns ticks blue when
// group_message.status says every other member read, shows who is typing, and loads older
// history. Delivery receipts are sent by socket.js for every page. Server-rendered bubbles
// (templates/chats/_bubble.html) are the starting point; live ones are drawn by
// `Conversation.messageView` (static/js/conversation.js) with the same markup.
(function () {
  "use strict";
  const socket = window.AppSocket;
  const C = window.Conversation;
  const app = document.getElementById("group-app");
  if (!socket || !C || !app) { return; }

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
  const http = window.AppHttp;
  const typists = new Map(); // user_id -> timeout id
  const subtitleText = subtitle ? subtitle.textContent : "";
  let unreadWhileHidden = false;

  // ---- rendering ----------------------------------------------------------------------------

  function messageRow(id) {
    return log.querySelector('.message-row[data-group-message-id="' + id + '"]');
  }

  const view = C.messageView({
    me: me,
    kind: "group",
    senderName: function (m) { return names[m.sender_id] || ""; },
  });
  const pendingSends = C.liveSends({ socket: socket, log: log, view: view, liveError: liveError });

  let older = null;
  const actions = window.MessageActions.attach({
    kind: "group", groupId: groupId, me: me, log: log, view: view, input: input, liveError: liveError,
    older: function () { return older; },
  });

  function appendMessage(m) {
    if (messageRow(m.group_message_id)) { return; }
    const stick = C.nearBottom(log) || m.sender_id === me;
    if (!C.placeRow(log, view.render(m), m.group_message_id, "groupMessageId", older)) { return; }
    if (stick) { C.scrollToBottom(log); }
  }

  // ---- read receipts ------------------------------------------------------------------------

  function markAllRead() {
    if (!C.isVisible()) { unreadWhileHidden = true; return; }
    unreadWhileHidden = false;
    http.send(http.url("api_group_read", groupId), { method: "POST" })
      .catch(function (err) { console.warn("marking the group read failed", err); });
    clearListBadge();
  }

  function clearListBadge() {
    const item = window.ChatList && window.ChatList.row("group", groupId);
    if (item) { window.ChatList.setUnread(item, 0); }
  }

  function readNow(ids) {
    if (!ids.length) { return; }
    if (!C.isVisible()) { unreadWhileHidden = true; return; }
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
    const pending = m.client_id && m.sender_id === me ? C.pendingRow(log, m) : null;
    if (pending) { view.update(pending, m); } else { appendMessage(m); }
    if (m.sender_id !== me) { readNow([m.group_message_id]); }
    socket.seen("group_message", m.group_message_id);
  });

  socket.on("group_message.ack", function (frame) {
    const m = frame.group_message;
    const entry = pendingSends.take(frame.client_id);
    if (!m || m.group_id !== groupId) { return; }
    if (entry && !messageRow(m.group_message_id)) { view.update(entry.row, m); }
    else if (entry) { entry.row.remove(); }
    else { appendMessage(m); }
  });

  socket.on("group_message.status", function (frame) {
    const row = messageRow(frame.group_message_id);
    if (row) {
      view.update(row, { group_message_id: frame.group_message_id, delivered_at: frame.delivered_at, read_at: frame.read_at });
    }
  });

  socket.on("error", pendingSends.fail);

  // A reaction, an edit or a delete for everyone: the row is drawn again where it is.
  socket.on("group_message.updated", function (frame) {
    const m = frame.group_message;
    const row = m && m.group_id === groupId && messageRow(m.group_message_id);
    if (row) { view.replace(row, m); }
  });

  // Deleted for me (here or in another tab); starred in another tab.
  socket.on("message.hidden", function (frame) {
    if (frame.group_message_id) { actions.remove(frame.group_message_id); }
  });
  socket.on("message.starred", function (frame) {
    if (frame.group_message_id) { actions.setStar(frame.group_message_id, frame.starred); }
  });

  socket.on("typing", function (frame) {
    if (frame.group_id !== groupId || frame.user_id === me) { return; }
    clearTimeout(typists.get(frame.user_id));
    typists.set(frame.user_id, setTimeout(function () { hideTypist(frame.user_id); }, C.TYPING_SHOW_MS));
    renderTypists();
  });

  socket.on("ready", function (frame) {
    if (!frame.reconnected) { return; }
    pendingSends.retry();
  });

  // ---- sending, typing, history -------------------------------------------------------------

  if (composer && input) {
    C.composer({
      form: composer,
      input: input,
      files: files,
      liveError: liveError,
      send: function (content) {
        if (actions.editing()) { actions.submitEdit(content); return; }
        const reply = actions.takeReply();
        pendingSends.send(Object.assign({ type: "group_message.send", group_id: groupId, content: content }, reply && reply.fields),
          { group_message_id: null, group_id: groupId, sender_id: me, content: content, reply_to: reply && reply.quote });
      },
      // No reset on a send: the server keeps its limit for the group then.
      typing: C.typingSignal(
        function () { socket.send({ type: "typing", group_id: groupId }); },
        function () { return !!input.value.trim(); }),
    });
  }

  older = C.olderHistory({
    log: log,
    url: app.dataset.olderUrl,
    link: document.getElementById("group-load-older"),
    hasRow: function (m) { return !!messageRow(m.group_message_id); },
    render: view.render,
  });
  C.localTimes(log);
  log.querySelectorAll(".message-row[data-group-message-id]").forEach(function (row) {
    socket.seen("group_message", row.dataset.groupMessageId);
  });
  C.scrollToBottom(log);
  actions.jumpToWanted();

  markAllRead();
  document.addEventListener("visibilitychange", function () { if (unreadWhileHidden) { markAllRead(); } });
  window.addEventListener("focus", function () { if (unreadWhileHidden) { markAllRead(); } });
})();
