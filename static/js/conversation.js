// What the conversation pages share (static/js/chat.js for 1:1 chats, static/js/groups.js for
// groups, static/js/communities.js for announcements): DOM and time helpers, the message bubble
// (`messageView`, the markup of templates/chats/_bubble.html), ticks, sends waiting for their
// ack, the composer and its "typing..." signal, and older history on scrolling up. Loaded by
// shell.html before the page's own script, as `window.Conversation`.
(function () {
  "use strict";
  const TICK_LABELS = { pending: "Pending", sent: "Sent", delivered: "Delivered", read: "Read", failed: "Not sent" };
  // "This message was removed", "Forwarded many times"...: messaging/texts.py, as shell.html's JSON.
  const TEXTS = JSON.parse(document.getElementById("message-texts").textContent);
  const TYPING_SEND_MS = 2500;
  const TYPING_SHOW_MS = 5000;

  // ---- small helpers ------------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function pad(n) { return String(n).padStart(2, "0"); }
  function hhmm(date) { return pad(date.getHours()) + ":" + pad(date.getMinutes()); }

  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") { return window.crypto.randomUUID(); }
    return "c-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  function isVisible() { return document.visibilityState === "visible"; }

  // ---- ticks --------------------------------------------------------------------------------

  function setTick(tick, state) {
    tick.className = "tick tick-" + state;
    tick.setAttribute("role", "img");
    tick.setAttribute("aria-label", TICK_LABELS[state]);
  }

  function makeTick(state) {
    const tick = el("span");
    setTick(tick, state);
    return tick;
  }

  // ---- message bubbles ----------------------------------------------------------------------

  // The "Message options" menu; `links` are { className, text, href, data } in menu order, an
  // entry with `action` instead of `href` is a button (`data-action`, static/js/message-actions.js).
  function messageMenu(links) {
    const details = el("details", "message-menu");
    const summary = el("summary", "message-menu-button");
    summary.title = "Message options";
    summary.appendChild(el("span", "visually-hidden", "Message options"));
    const items = el("div", "message-menu-items");
    links.forEach(function (spec) {
      let item;
      if (spec.action) {
        item = el("button", spec.className || "message-action", spec.text);
        item.type = "button";
        item.dataset.action = spec.action;
      } else {
        item = el("a", spec.className, spec.text);
        item.href = spec.href;
      }
      Object.assign(item.dataset, spec.data || {});
      items.appendChild(item);
    });
    details.append(summary, items);
    return details;
  }

  // Attachments are drawn by static/js/media.js (the markup of templates/chats/_media.html).
  function renderMedia(container, media) { window.AppMedia.render(container, media); }

  // {user_id: name} of the page ("You" for me): who is quoted and who reacted. The pages write
  // it as the `chat-names` JSON (chats/views.py, groups/views.py).
  let pageNames = null;
  function chatNames() {
    if (pageNames === null) {
      const node = document.getElementById("chat-names");
      pageNames = node ? JSON.parse(node.textContent) : {};
    }
    return pageNames;
  }

  // A message's reactions by emoji, in the order each emoji first came (the template's
  // `reaction_groups`): [{ emoji, userIds, mine }].
  function reactionGroups(reactions, me) {
    const groups = [];
    const byEmoji = {};
    (reactions || []).forEach(function (r) {
      let group = byEmoji[r.emoji];
      if (!group) {
        group = byEmoji[r.emoji] = { emoji: r.emoji, userIds: [], mine: false };
        groups.push(group);
      }
      group.userIds.push(r.user_id);
      if (r.user_id === me) { group.mine = true; }
    });
    return groups;
  }

  // The one live renderer of a message bubble: the markup of templates/chats/_bubble.html, for
  // 1:1 and group messages alike, from the message JSON of the REST API and the frames
  // (tests/browser/test_renderers.py compares the two). A new part of a bubble goes here and in
  // that template. Options: me (my user_id), kind ("user" or "group"), senderName(m) (group:
  // the name over others' bubbles when the JSON has no `sender`), names ({user_id: name} of
  // quotes and reactions; default the page's `chat-names`).
  function messageView(options) {
    const group = options.kind === "group";
    const idField = group ? "group_message_id" : "message_id";
    const idData = group ? "groupMessageId" : "messageId";
    const http = window.AppHttp;

    function names() { return options.names || chatNames(); }

    function tickState(m) {
      if (m.read_at) { return "read"; }
      if (m.delivered_at) { return "delivered"; }
      return m[idField] ? "sent" : "pending";
    }

    function isGone(m) { return !!(m.removed || m.deleted); }

    // Reply, React, Edit (my text), Delete, Star/Unstar; then "Message info" (my group
    // messages), "Forward", "Report" (others' messages). A tombstone keeps Delete and Star.
    function menu(m, out) {
      const id = m[idField];
      const gone = isGone(m);
      const links = [];
      if (!gone) {
        links.push({ action: "reply", text: "Reply" }, { action: "react", text: "React" });
        if (out && m.content) { links.push({ action: "edit", text: "Edit" }); }
      }
      links.push({ action: "delete", text: "Delete" }, { action: "star", text: m.starred ? "Unstar" : "Star" });
      if (gone) { return messageMenu(links); }
      if (group && out) {
        links.push({ className: "message-info-link", text: "Message info", href: http.url("group_message_info", m.group_id, id) });
      }
      if (group) {
        links.push({ className: "message-forward", text: "Forward", href: http.url("group_message_forward", m.group_id, id) });
      } else {
        links.push({ className: "message-forward", text: "Forward", href: http.url("message_forward", id), data: { messageId: id } });
      }
      if (!out) {
        links.push({ className: "message-report", text: "Report",
          href: http.url("report") + "?kind=" + (group ? "group_message" : "message") + "&id=" + id });
      }
      return messageMenu(links);
    }

    function hasTick(m) { return group || m.receiver_id !== m.sender_id; }

    // The quoted message, above the text: who wrote it and its first characters (the JSON
    // has at most 200), what its media is when it has no text ("Photo"...), or the tombstone.
    function quote(q) {
      const node = el("button", "bubble-quote");
      node.type = "button";
      node.dataset.quoteId = q[idField];
      node.appendChild(el("span", "bubble-quote-sender", names()[q.sender_id] || ""));
      if (q.deleted) {
        node.appendChild(el("span", "bubble-quote-text bubble-quote-deleted", TEXTS.message_deleted));
      } else if (q.content) {
        node.appendChild(el("span", "bubble-quote-text", q.content));
      } else if (q.media_kind) {
        node.appendChild(el("span", "bubble-quote-text bubble-quote-media", TEXTS["quote_" + q.media_kind]));
      }
      return node;
    }

    function reactionsRow(m) {
      const button = el("button", "message-reactions");
      button.type = "button";
      button.title = "Reactions";
      reactionGroups(m.reactions, options.me).forEach(function (g) {
        const chip = el("span", "reaction" + (g.mine ? " reaction-mine" : ""));
        chip.dataset.userIds = g.userIds.join(",");
        chip.append(el("span", "reaction-emoji", g.emoji), el("span", "reaction-count", String(g.userIds.length)));
        button.appendChild(chip);
      });
      return button;
    }

    function render(m) {
      const out = m.sender_id === options.me;
      const gone = isGone(m);
      const row = el("div", "message-row" + (out ? " message-row-out" : ""));
      if (m[idField]) { row.dataset[idData] = m[idField]; }
      row.dataset.senderId = m.sender_id;
      if (!group) { row.dataset.receiverId = m.receiver_id; }
      row.dataset.sentAt = m.sent_at;
      if (out && m.client_id) { row.dataset.clientId = m.client_id; }
      if (!group && !out && !m.read_at) { row.dataset.unread = "true"; }
      const bubble = el("div", "bubble " + (out ? "bubble-out" : "bubble-in") +
        (m.removed ? " bubble-removed" : m.deleted ? " bubble-deleted" : ""));
      if (m[idField] && !m.removed) { bubble.appendChild(menu(m, out)); }
      if (group && !out) {
        bubble.appendChild(el("span", "bubble-sender", m.sender || (options.senderName ? options.senderName(m) : "")));
      }
      if (m.forwarded && !gone) {
        bubble.appendChild(el("span", "bubble-forwarded" + (m.forwarded_many_times ? " bubble-forwarded-many" : ""),
          m.forwarded_many_times ? TEXTS.forwarded_many : TEXTS.forwarded));
      }
      if (m.reply_to && !gone) { bubble.appendChild(quote(m.reply_to)); }
      if (m.removed) {
        bubble.appendChild(el("span", "bubble-text bubble-removed-text", TEXTS.message_removed));
      } else if (m.deleted) {
        bubble.appendChild(el("span", "bubble-text bubble-deleted-text",
          out ? TEXTS.message_deleted_by_me : TEXTS.message_deleted));
      } else {
        renderMedia(bubble, m.media);
        if (m.content) { bubble.appendChild(el("span", "bubble-text", m.content)); }
      }
      const meta = el("span", "bubble-meta");
      if (m.starred) {
        const star = el("span", "bubble-star");
        star.setAttribute("role", "img");
        star.setAttribute("aria-label", "Starred");
        meta.appendChild(star);
      }
      if (m.edited_at && !gone) { meta.appendChild(el("span", "bubble-edited", TEXTS.edited)); }
      const time = el("time", "bubble-time", hhmm(new Date(m.sent_at)));
      time.dateTime = m.sent_at;
      meta.appendChild(time);
      if (out && hasTick(m)) { meta.appendChild(makeTick(tickState(m))); }
      bubble.appendChild(meta);
      row.appendChild(bubble);
      if (!gone && m.reactions && m.reactions.length) { row.appendChild(reactionsRow(m)); }
      return row;
    }

    // A pending row gets its id (and menu) once stored; every row's tick follows the receipts.
    function update(row, m) {
      if (m[idField] && !row.dataset[idData]) {
        row.dataset[idData] = m[idField];
        const bubble = row.querySelector(".bubble");
        if (bubble && !bubble.querySelector(".message-menu") && !m.removed) {
          bubble.insertBefore(menu(m, true), bubble.firstChild); // only my own rows are pending
        }
      }
      const tick = row.querySelector(".bubble-meta .tick");
      if (tick) { setTick(tick, tickState(m)); }
    }

    // Draw a stored row again from the message as it is now (`*.updated`): in place, keeping
    // my star when the frame does not say (frames carry no `starred`) and the row's unread mark.
    function replace(row, m) {
      const next = render(Object.assign({ starred: !!row.querySelector(".bubble-star") }, m));
      if (row.dataset.unread) { next.dataset.unread = row.dataset.unread; } else { delete next.dataset.unread; }
      if (row.classList.contains("message-highlight")) { next.classList.add("message-highlight"); }
      row.replaceWith(next);
      return next;
    }

    return { render: render, update: update, replace: replace, tickState: tickState, idData: idData, idField: idField };
  }

  // ---- the message log ----------------------------------------------------------------------

  function nearBottom(log) { return log.scrollHeight - log.scrollTop - log.clientHeight < 120; }
  function scrollToBottom(log) { log.scrollTop = log.scrollHeight; }

  // Server-rendered times are UTC: show them in the reader's time zone.
  function localTimes(log) {
    log.querySelectorAll(".bubble-time").forEach(function (time) { time.textContent = hhmm(new Date(time.dateTime)); });
  }

  function pendingRow(log, m) {
    return log.querySelector('.message-row[data-client-id="' + CSS.escape(m.client_id) + '"]');
  }

  // Messages sent over the socket and waiting for their ack. send(frame, draft) gives them a
  // client_id and shows the draft (the message as the server will echo it) at the bottom of
  // the log at once; a send is retried on a reconnect (the client_id makes that safe) and
  // marked "Not sent" on an `error` frame naming its client_id.
  // Options: socket, log, view (a messageView), liveError, afterInsert().
  function liveSends(options) {
    const sends = new Map(); // client_id -> { frame, row }
    return {
      send: function (frame, draft) {
        const clientId = newClientId();
        const sent = Object.assign({}, frame, { client_id: clientId });
        const row = options.view.render(Object.assign({}, draft,
          { sent_at: new Date().toISOString(), client_id: clientId, media: [] }));
        options.log.appendChild(row);
        if (options.afterInsert) { options.afterInsert(); }
        scrollToBottom(options.log);
        sends.set(clientId, { frame: sent, row: row });
        options.socket.send(sent);
      },
      take: function (clientId) {
        const entry = sends.get(clientId);
        sends.delete(clientId);
        return entry;
      },
      fail: function (frame) {
        if (!frame.client_id || !sends.has(frame.client_id)) { return; }
        const entry = sends.get(frame.client_id);
        sends.delete(frame.client_id);
        const tick = entry.row.querySelector(".tick");
        if (tick) { setTick(tick, "failed"); }
        entry.row.classList.add("message-failed");
        const liveError = options.liveError;
        if (liveError) { liveError.textContent = frame.detail; liveError.hidden = false; }
      },
      retry: function () { sends.forEach(function (entry) { options.socket.send(entry.frame); }); },
    };
  }

  // Older history from the REST cursor: on the "Older messages" link and on scrolling near the
  // top. Options: log, url (the first older page, or null), link, hasRow(m), render(m),
  // afterInsert() (after rows went in), fill (keep loading while the log does not scroll).
  function olderHistory(options) {
    const log = options.log;
    let url = options.url || null;
    let loading = false;

    function fillIfShort() {
      if (options.fill && url && log.scrollHeight <= log.clientHeight) { load(); }
    }

    let inFlight = null;

    // Resolves once the page went in (at once when nothing remains): jumping to a quoted
    // message loads page after page until its row is there (static/js/message-actions.js).
    function load() {
      if (loading) { return inFlight; }
      if (!url) { return Promise.resolve(); }
      loading = true;
      inFlight = window.AppHttp.getJSON(url)
        .then(function (page) {
          const before = log.scrollHeight;
          const anchor = log.querySelector(".message-row");
          const fragment = document.createDocumentFragment();
          page.results.slice().reverse().forEach(function (m) {
            if (!options.hasRow(m)) { fragment.appendChild(options.render(m)); }
          });
          if (anchor) { anchor.before(fragment); } else { log.appendChild(fragment); }
          if (options.afterInsert) { options.afterInsert(); }
          log.scrollTop += log.scrollHeight - before;
          url = page.next;
          if (options.link && !url) { options.link.remove(); }
          loading = false;
          fillIfShort();
        })
        .catch(function (err) { loading = false; console.warn("older messages failed", err); });
      return inFlight;
    }

    if (options.link) {
      options.link.addEventListener("click", function (event) { event.preventDefault(); load(); });
    }
    log.addEventListener("scroll", function () { if (log.scrollTop < 80) { load(); } });
    return { load: load, fillIfShort: fillIfShort, remains: function () { return url !== null; } };
  }

  // A live message goes where its id puts it: at the bottom when it is the newest (the usual
  // case), among the rows when the server replays an older one (undelivered messages are pushed
  // on connect, older than the page's newest when the page showed only the latest ones), and
  // nowhere when it is older than every row shown while older pages remain (scrolling up loads
  // it in its place). True when the node went in.
  function placeRow(log, node, id, idData, older) {
    const later = Array.from(log.querySelectorAll(".message-row")).filter(function (row) {
      return Number(row.dataset[idData]) > id;
    });
    if (!later.length) { log.appendChild(node); return true; }
    const first = log.querySelector(".message-row");
    if (later[0] === first && older && older.remains()) { return false; }
    later[0].before(node);
    return true;
  }

  // ---- the composer -------------------------------------------------------------------------

  // Enter sends, Shift+Enter starts a new line.
  function submitOnEnter(input, form) {
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }

  // "typing..." from a composer, for 1:1 chats and groups alike: at most one frame per
  // TYPING_SEND_MS (the server relays one per 2 s; the peer shows it for TYPING_SHOW_MS). The
  // first keystroke sends at once; later ones within the window schedule a single frame at its
  // end, sent if stillTyping() then. reset() forgets the window (after a send, where the server
  // forgets its own too). sendFrame() sends the `typing` frame.
  function typingSignal(sendFrame, stillTyping) {
    let lastSent = 0;
    let timer = null;
    function signal() {
      const wait = lastSent + TYPING_SEND_MS - Date.now();
      if (wait <= 0) {
        lastSent = Date.now();
        sendFrame();
      } else if (!timer) {
        timer = setTimeout(function () {
          timer = null;
          if (stillTyping()) { signal(); }
        }, wait);
      }
    }
    function reset() {
      clearTimeout(timer);
      timer = null;
      lastSent = 0;
    }
    return { signal: signal, reset: reset };
  }

  // Text goes out through send(content) (over the socket); attachments go through the form
  // post. The textarea grows with its text; typing (a typingSignal) hears every change that
  // leaves text in it.
  function composer(options) {
    const form = options.form;
    const input = options.input;
    form.addEventListener("submit", function (event) {
      if (options.files && options.files.files.length) { return; }
      event.preventDefault();
      const content = input.value;
      if (!content.trim()) { return; }
      if (options.liveError) { options.liveError.hidden = true; }
      options.send(content);
      input.value = "";
      input.style.height = "";
      input.focus();
    });
    submitOnEnter(input, form);
    input.addEventListener("input", function () {
      input.style.height = "";
      input.style.height = Math.min(input.scrollHeight, 140) + "px";
      if (options.typing && input.value.trim()) { options.typing.signal(); }
    });
  }

  // Every composer (chats, groups, announcements) names the files that go with the next send
  // beside its paperclip (templates/chats/_composer.html).
  document.addEventListener("change", function (event) {
    const files = event.target;
    const chosen = files.matches && files.matches(".composer-files") &&
      files.parentElement.querySelector(".composer-files-chosen");
    if (!chosen) { return; }
    chosen.textContent = Array.from(files.files).map(function (file) { return file.name; }).join(", ");
    chosen.title = chosen.textContent;
  });

  window.Conversation = {
    texts: TEXTS,
    el: el,
    pad: pad,
    hhmm: hhmm,
    isVisible: isVisible,
    setTick: setTick,
    makeTick: makeTick,
    messageMenu: messageMenu,
    renderMedia: renderMedia,
    messageView: messageView,
    chatNames: chatNames,
    reactionGroups: reactionGroups,
    nearBottom: nearBottom,
    scrollToBottom: scrollToBottom,
    localTimes: localTimes,
    pendingRow: pendingRow,
    liveSends: liveSends,
    olderHistory: olderHistory,
    placeRow: placeRow,
    submitOnEnter: submitOnEnter,
    composer: composer,
    typingSignal: typingSignal,
    TYPING_SHOW_MS: TYPING_SHOW_MS,
  };
})();
