// What a message's menu does in an open conversation, 1:1 or group (`window.MessageActions`,
// loaded before static/js/chat.js and groups.js, which attach it to their log):
// - "Reply": a banner above the composer quotes the message (cancel with its button or Escape);
//   the next send carries its id (`reply_to_message_id` / `reply_to_group_message_id`);
// - "React": a palette of common emoji under the bubble; my current one again takes it back;
// - "Edit": the composer edits the text (the same banner), sent as PATCH;
// - "Delete": "Delete for me", and "Delete for everyone" on my own messages within the window;
// - "Star" / "Unstar".
// Clicking a quote scrolls to the quoted message (loading older history until it is there) and
// highlights it, as `?message=<id>` in the page's address does on load (Starred messages).
// Clicking a bubble's reactions lists who reacted with what. Requests go through AppHttp to the
// URLs of the page (whatsapp/context_processors.py); the server's answers and the `*.updated`
// frames redraw rows with `Conversation.messageView(...).replace`. The markup is the page's
// (templates/chats/_message_actions.html).
(function () {
  "use strict";
  const C = window.Conversation;
  const http = window.AppHttp;
  if (!C || !http) { return; }
  const windowsNode = document.getElementById("message-windows");
  const WINDOWS = windowsNode ? JSON.parse(windowsNode.textContent) : { edit: 900, delete: 172800 };
  const QUOTE_LENGTH = 200;
  const HIGHLIGHT_MS = 4000;

  function closeMenus(except) {
    document.querySelectorAll(".message-menu[open]").forEach(function (menu) {
      if (menu !== except) { menu.open = false; }
    });
  }

  function ageSeconds(row) { return (Date.now() - new Date(row.dataset.sentAt).getTime()) / 1000; }

  // Options: kind ("user" or "group"), groupId, me, log, view (a messageView), older() (the
  // log's olderHistory), input (the composer's textarea), liveError, afterChange() (after rows
  // went or came: day dividers).
  function attach(options) {
    const group = options.kind === "group";
    const log = options.log;
    const view = options.view;
    const idData = view.idData;
    const idAttr = group ? "data-group-message-id" : "data-message-id";
    const replyField = group ? "reply_to_group_message_id" : "reply_to_message_id";
    const banner = document.getElementById("composer-banner");
    const palette = document.getElementById("react-palette");
    const deleteDialog = document.getElementById("delete-dialog");
    const reactionsDialog = document.getElementById("reactions-dialog");
    const input = options.input;
    let reply = null; // { id, quote } while replying
    let editing = null; // the id being edited

    // The REST routes of a message of this chat, by action ("message", "reaction", "star").
    const routes = group ? {
      message: function (id) { return http.url("api_group_message", options.groupId, id); },
      reaction: function (id) { return http.url("api_group_message_reaction", options.groupId, id); },
      star: function (id) { return http.url("api_group_message_star", options.groupId, id); },
    } : {
      message: function (id) { return http.url("api_message", id); },
      reaction: function (id) { return http.url("api_message_reaction", id); },
      star: function (id) { return http.url("api_message_star", id); },
    };

    function rowOf(id) { return log.querySelector(".message-row[" + idAttr + '="' + Number(id) + '"]'); }
    function idOf(row) { return Number(row.dataset[idData]); }
    function isMine(row) { return Number(row.dataset.senderId) === options.me; }

    function showError(text) {
      const line = options.liveError;
      if (line) { line.textContent = text; line.hidden = false; } else { console.warn(text); }
    }

    function failed(response, fallback) {
      return response.json().then(function (body) { showError((body && body.detail) || fallback); },
        function () { showError(fallback); });
    }

    // A request whose answer is the message as it is now: its row is drawn again.
    function act(target, init, fallback) {
      return http.send(target, init).then(function (response) {
        if (response.status === 204) { return null; }
        if (!response.ok) { return failed(response, fallback).then(function () { return null; }); }
        return response.json().then(function (m) { redraw(m); return m; });
      }).catch(function () { showError(fallback); return null; });
    }

    function redraw(m) {
      const row = rowOf(m[view.idField]);
      if (row) { view.replace(row, m); }
    }

    // ---- the banner above the composer: replying or editing ------------------------------

    function showBanner(title, text, className) {
      if (!banner) { return; }
      banner.className = "composer-banner " + className;
      banner.querySelector(".composer-banner-title").textContent = title;
      banner.querySelector(".composer-banner-text").textContent = text;
      banner.hidden = false;
    }

    function cancel() {
      if (editing !== null && input) { input.value = ""; }
      reply = null;
      editing = null;
      if (banner) { banner.hidden = true; }
    }

    function quoteOf(row) {
      const text = row.querySelector(".bubble > .bubble-text");
      const content = Array.from(text ? text.textContent : "").slice(0, QUOTE_LENGTH).join("");
      const media = row.querySelector(".bubble [data-multimedia-id]");
      const kind = media ? ["image", "video", "audio", "document"].find(function (k) {
        return media.classList.contains("media-" + k);
      }) : null;
      const quote = { sender_id: Number(row.dataset.senderId), content: content,
        has_media: !!media, media_kind: kind || null, deleted: false };
      quote[view.idField] = idOf(row);
      return quote;
    }

    function startReply(row) {
      editing = null;
      reply = { id: idOf(row), quote: quoteOf(row) };
      const names = C.chatNames();
      showBanner(names[reply.quote.sender_id] || "", reply.quote.content || C.texts["quote_" + reply.quote.media_kind] || "", "composer-banner-reply");
      if (input) { input.focus(); }
    }

    function startEdit(row) {
      reply = null;
      editing = idOf(row);
      const text = row.querySelector(".bubble > .bubble-text");
      showBanner("Edit message", text ? text.textContent : "", "composer-banner-edit");
      if (input) {
        input.value = text ? text.textContent : "";
        input.dispatchEvent(new Event("input"));
        input.focus();
      }
    }

    if (banner) { banner.querySelector(".composer-banner-cancel").addEventListener("click", cancel); }
    if (input) {
      input.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && banner && !banner.hidden) { cancel(); }
      });
    }

    // What the page's send adds to its frame and its pending draft; the reply is used once.
    function takeReply() {
      if (!reply) { return null; }
      const taken = { fields: {}, quote: reply.quote };
      taken.fields[replyField] = reply.id;
      reply = null;
      if (banner) { banner.hidden = true; }
      return taken;
    }

    function submitEdit(content) {
      const id = editing;
      cancel();
      return act(routes.message(id), { method: "PATCH", json: { content: content } }, "Could not edit the message.");
    }

    // ---- react ---------------------------------------------------------------------------

    function myReaction(row) {
      const mine = row.querySelector(".reaction-mine .reaction-emoji");
      return mine ? mine.textContent : null;
    }

    function openPalette(row) {
      if (!palette) { return; }
      palette.dataset.target = idOf(row);
      row.appendChild(palette);
      palette.hidden = false;
      const first = palette.querySelector("button");
      if (first) { first.focus(); }
    }

    // Back out of the row, which a redraw replaces.
    function closePalette() {
      if (!palette) { return; }
      palette.hidden = true;
      document.body.appendChild(palette);
    }

    function react(row, emoji) {
      const id = idOf(row);
      if (myReaction(row) === emoji) {
        return act(routes.reaction(id), { method: "DELETE" }, "Could not take the reaction back.");
      }
      return act(routes.reaction(id), { method: "PUT", json: { emoji: emoji } }, "Could not react.");
    }

    if (palette) {
      palette.addEventListener("click", function (event) {
        const choice = event.target.closest(".react-choice");
        if (!choice) { return; }
        const row = rowOf(palette.dataset.target);
        closePalette();
        if (row) { react(row, choice.dataset.emoji); }
      });
      palette.addEventListener("keydown", function (event) { if (event.key === "Escape") { closePalette(); } });
      document.addEventListener("click", function (event) {
        if (!palette.hidden && !palette.contains(event.target) && !event.target.closest('[data-action="react"]')) {
          closePalette();
        }
      });
    }

    // ---- delete --------------------------------------------------------------------------

    function openDelete(row) {
      if (!deleteDialog || typeof deleteDialog.showModal !== "function") { return; }
      deleteDialog.dataset.target = idOf(row);
      const everyone = deleteDialog.querySelector('[data-delete-for="everyone"]');
      everyone.hidden = !(isMine(row) && !row.querySelector(".bubble-deleted, .bubble-removed") &&
        ageSeconds(row) < WINDOWS.delete);
      deleteDialog.querySelector(".delete-error").hidden = true;
      deleteDialog.showModal();
    }

    function remove(id) {
      const row = rowOf(id);
      if (!row) { return; }
      if (palette && palette.parentNode === row) { closePalette(); }
      row.remove();
      if (options.afterChange) { options.afterChange(); }
    }

    if (deleteDialog) {
      deleteDialog.querySelectorAll("[data-dialog-close]").forEach(function (button) {
        button.addEventListener("click", function () { deleteDialog.close(); });
      });
      deleteDialog.querySelectorAll("[data-delete-for]").forEach(function (button) {
        button.addEventListener("click", function () {
          const id = Number(deleteDialog.dataset.target);
          const target = routes.message(id) + "?for=" + button.dataset.deleteFor;
          http.send(target, { method: "DELETE" }).then(function (response) {
            if (response.status === 204) { deleteDialog.close(); remove(id); return; }
            if (response.ok) { return response.json().then(function (m) { deleteDialog.close(); redraw(m); }); }
            return response.json().then(function (body) { return body.detail; }, function () { return null; })
              .then(function (detail) {
                const line = deleteDialog.querySelector(".delete-error");
                line.textContent = detail || "Could not delete the message.";
                line.hidden = false;
              });
          });
        });
      });
    }

    // ---- star ----------------------------------------------------------------------------

    function setStar(id, starred) {
      const row = rowOf(id);
      if (!row) { return; }
      const meta = row.querySelector(".bubble-meta");
      const star = meta && meta.querySelector(".bubble-star");
      if (starred && meta && !star) {
        const mark = C.el("span", "bubble-star");
        mark.setAttribute("role", "img");
        mark.setAttribute("aria-label", "Starred");
        meta.insertBefore(mark, meta.firstChild);
      } else if (!starred && star) {
        star.remove();
      }
      const item = row.querySelector('.message-action[data-action="star"]');
      if (item) { item.textContent = starred ? "Unstar" : "Star"; }
    }

    function toggleStar(row) {
      const id = idOf(row);
      const starred = !row.querySelector(".bubble-star");
      http.send(routes.star(id), { method: starred ? "POST" : "DELETE" }).then(function (response) {
        if (response.ok) { setStar(id, starred); } else { failed(response, "Could not star the message."); }
      }).catch(function () { showError("Could not star the message."); });
    }

    // ---- who reacted ---------------------------------------------------------------------

    function openReactions(row) {
      if (!reactionsDialog || typeof reactionsDialog.showModal !== "function") { return; }
      const list = reactionsDialog.querySelector(".reactions-list");
      const names = C.chatNames();
      list.textContent = "";
      row.querySelectorAll(".message-reactions .reaction").forEach(function (chip) {
        const emoji = chip.querySelector(".reaction-emoji").textContent;
        chip.dataset.userIds.split(",").forEach(function (userId) {
          const item = C.el("li", "list-item reaction-by");
          item.append(C.el("span", "list-item-title reaction-by-name", names[userId] || "Someone"),
            C.el("span", "reaction-by-emoji", emoji));
          list.appendChild(item);
        });
      });
      reactionsDialog.showModal();
    }

    if (reactionsDialog) {
      reactionsDialog.querySelectorAll("[data-dialog-close]").forEach(function (button) {
        button.addEventListener("click", function () { reactionsDialog.close(); });
      });
    }

    // ---- jumping to a message ------------------------------------------------------------

    function highlight(row) {
      row.scrollIntoView({ block: "center" });
      row.classList.add("message-highlight");
      setTimeout(function () { row.classList.remove("message-highlight"); }, HIGHLIGHT_MS);
    }

    // Scroll to message `id`, loading older pages until its row is there (or none remain).
    function jumpTo(id) {
      const row = rowOf(id);
      if (row) { highlight(row); return Promise.resolve(true); }
      const older = options.older && options.older();
      if (!older || !older.remains()) { return Promise.resolve(false); }
      return older.load().then(function () { return jumpTo(id); });
    }

    // ---- the menu and the bubbles ----------------------------------------------------------

    // Edit disappears once the window closed (the server refuses it then anyway).
    log.addEventListener("toggle", function (event) {
      const menu = event.target;
      if (!menu.matches || !menu.matches(".message-menu") || !menu.open) { return; }
      closeMenus(menu);
      const row = menu.closest(".message-row");
      const edit = menu.querySelector('[data-action="edit"]');
      if (edit && row) { edit.hidden = ageSeconds(row) >= WINDOWS.edit; }
    }, true);

    log.addEventListener("click", function (event) {
      const quote = event.target.closest(".bubble-quote");
      if (quote) { event.preventDefault(); jumpTo(quote.dataset.quoteId); return; }
      const reactions = event.target.closest(".message-reactions");
      if (reactions) { openReactions(reactions.closest(".message-row")); return; }
      const item = event.target.closest(".message-action");
      if (!item) { return; }
      const row = item.closest(".message-row");
      const menu = item.closest(".message-menu");
      if (menu) { menu.open = false; }
      if (!row || !row.dataset[idData]) { return; }
      const action = item.dataset.action;
      if (action === "reply") { startReply(row); }
      else if (action === "react") { openPalette(row); }
      else if (action === "edit") { startEdit(row); }
      else if (action === "delete") { openDelete(row); }
      else if (action === "star") { toggleStar(row); }
    });

    const wanted = new URLSearchParams(window.location.search).get("message");

    return {
      takeReply: takeReply,
      editing: function () { return editing !== null; },
      submitEdit: submitEdit,
      remove: remove,
      setStar: setStar,
      jumpTo: jumpTo,
      // The row of `?message=` in the address, once the page's history is in place.
      jumpToWanted: function () { if (wanted && /^\d+$/.test(wanted)) { jumpTo(Number(wanted)); } },
    };
  }

  window.MessageActions = { attach: attach };
})();
