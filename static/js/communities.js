// The community page: announcements arrive live (`announcement.new`). A member of several of
// the community's groups gets each announcement once per group: it is shown once, by id.
(function () {
  "use strict";
  const socket = window.AppSocket;
  const C = window.Conversation;
  const app = document.getElementById("community-app");
  if (!socket || !C || !app) { return; }
  const el = C.el;
  const communityId = Number(app.dataset.communityId);
  const log = document.getElementById("announcement-log");

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
    const time = el("time", "announcement-time", new Date(a.sent_at).toLocaleString());
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
  C.scrollToBottom(log);
})();
