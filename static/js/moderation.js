// Moderation on every page of the app (loaded by shell.html):
// - a message staff removed turns into "This message was removed" at once, in the open chat
//   and in the chat list (frames `message.removed` {message_id} and `group_message.removed`
//   {group_message_id, group_id});
// - a suspended account leaves the app (`account.suspended`, sent just before the server
//   closes the socket), instead of reconnecting in a loop.
// The "Report" entry of a message's menu is part of the bubble (templates/chats/_bubble.html and
// `Conversation.messageView`).
(function () {
  "use strict";
  const socket = window.AppSocket;
  const REMOVED = JSON.parse(document.getElementById("message-texts").textContent).message_removed;

  function tombstone(row) {
    const bubble = row && row.querySelector(".bubble");
    if (!bubble || bubble.querySelector(".bubble-removed-text")) { return; }
    bubble.classList.add("bubble-removed");
    bubble.querySelectorAll(".message-menu, .bubble-forwarded, .bubble-quote, .bubble-text, .bubble-edited, [data-multimedia-id]")
      .forEach(function (node) { node.remove(); });
    row.querySelectorAll(".message-reactions").forEach(function (node) { node.remove(); });
    bubble.classList.remove("bubble-deleted");
    const text = document.createElement("span");
    text.className = "bubble-text bubble-removed-text";
    text.textContent = REMOVED;
    bubble.insertBefore(text, bubble.querySelector(".bubble-meta"));
  }

  function clearPreview(selector) {
    document.querySelectorAll(selector).forEach(function (item) {
      const text = item.querySelector(".chat-preview-text");
      if (text) { text.textContent = REMOVED; }
    });
  }

  if (socket) {
    socket.on("message.removed", function (frame) {
      const id = Number(frame.message_id);
      document.querySelectorAll('.message-row[data-message-id="' + id + '"]').forEach(tombstone);
      clearPreview('.chat-row[data-kind="user"][data-last-message-id="' + id + '"]');
    });

    socket.on("group_message.removed", function (frame) {
      const id = Number(frame.group_message_id);
      document.querySelectorAll('.message-row[data-group-message-id="' + id + '"]').forEach(tombstone);
      clearPreview('.chat-row[data-kind="group"][data-group-id="' + Number(frame.group_id) +
        '"][data-last-message-id="' + id + '"]');
    });

    socket.on("account.suspended", function () {
      window.location.assign(window.AppHttp.url("login"));
    });
  }
})();
