// The community page: announcements arrive live (`announcement.new`). A member of several of
// the community's groups gets each announcement once per group: it is shown once, by id.
// `render(a)` draws an announcement from its JSON with the markup of
// templates/communities/_announcement.html (tests/browser/test_renderers.py compares the two).
(function () {
  "use strict";
  const socket = window.AppSocket;
  const C = window.Conversation;
  const app = document.getElementById("community-app");
  if (!socket || !C || !app) { return; }
  const el = C.el;
  const communityId = Number(app.dataset.communityId);
  const log = document.getElementById("announcement-log");

  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  // "25 Nov 2026, 14:03" (the template's "j M Y, H:i"), in the reader's time zone.
  function announcementTime(iso) {
    const date = new Date(iso);
    return date.getDate() + " " + MONTHS[date.getMonth()] + " " + date.getFullYear() + ", " + C.hhmm(date);
  }

  // Server-rendered times are UTC: show them in the reader's time zone.
  function localTimes(root) {
    root.querySelectorAll(".announcement-time").forEach(function (time) { time.textContent = announcementTime(time.dateTime); });
  }

  function render(a) {
    const article = el("article", "announcement");
    article.dataset.announcementId = a.announcement_id;
    article.appendChild(el("span", "announcement-sender", a.sender || ""));
    if (a.removed) {
      article.appendChild(el("p", "announcement-text bubble-removed-text", C.texts.announcement_deleted));
    } else {
      C.renderMedia(article, a.media);
      if (a.content) { article.appendChild(el("p", "announcement-text", a.content)); }
    }
    const time = el("time", "announcement-time", announcementTime(a.sent_at));
    time.dateTime = a.sent_at;
    article.appendChild(time);
    return article;
  }

  socket.on("announcement.new", function (frame) {
    const a = frame.announcement;
    if (!a || a.community_id !== communityId) { return; }
    if (log.querySelector('[data-announcement-id="' + a.announcement_id + '"]')) { return; }
    const empty = log.querySelector(".announcements-empty");
    if (empty) { empty.remove(); }
    log.appendChild(render(a));
    C.scrollToBottom(log);
  });

  const input = document.getElementById("announcement-input");
  const composer = document.getElementById("announcement-composer");
  if (input && composer) { C.submitOnEnter(input, composer); }
  localTimes(log);
  C.scrollToBottom(log);
  window.Announcements = { render: render, localTimes: localTimes };
})();
