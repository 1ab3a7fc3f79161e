// The Status tab: lists of contacts' updates (unseen ones ringed), a full-screen viewer that
// plays an author's stories in turn and records each view once, "Seen by N" with the viewer
// list for my own, and live updates over /ws/ (story.new, story.view, story.deleted).
(function () {
  "use strict";
  const app = document.getElementById("status-app");
  if (!app) { return; }
  const me = Number(app.dataset.me);
  const http = window.AppHttp;
  const dialog = document.getElementById("story-viewer");
  const el = function (id) { return document.getElementById(id); };
  const IMAGE_SECONDS = 5;

  const stories = new Map();
  JSON.parse(el("status-data").textContent).forEach(function (s) { stories.set(s.story_id, s); });

  // --- the model --------------------------------------------------------------------------

  function active(story) { return new Date(story.expires_at).getTime() > Date.now(); }

  function storiesOf(userId) {
    return Array.from(stories.values())
      .filter(function (s) { return s.user_id === userId && active(s); })
      .sort(function (a, b) { return a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.story_id - b.story_id; });
  }

  function authors() {
    const byUser = new Map();
    stories.forEach(function (s) {
      if (s.user_id === me || !active(s)) { return; }
      if (!byUser.has(s.user_id)) { byUser.set(s.user_id, s.user); }
    });
    const groups = Array.from(byUser.entries()).map(function (entry) {
      const list = storiesOf(entry[0]);
      return {
        user: entry[1],
        userId: entry[0],
        stories: list,
        latest: list[list.length - 1].created_at,
        unseen: list.filter(function (s) { return !s.viewed; }).length,
      };
    });
    groups.sort(function (a, b) { return a.latest < b.latest ? 1 : a.latest > b.latest ? -1 : 0; });
    return {
      recent: groups.filter(function (g) { return g.unseen > 0; }),
      viewed: groups.filter(function (g) { return g.unseen === 0; }),
    };
  }

  function displayName(user) { return (user && (user.name || user.phone_number)) || ""; }

  function formatTime(iso) {
    return new Date(iso).toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  }

  // --- the lists --------------------------------------------------------------------------

  function avatar(user) {
    if (user && user.profile_thumbnail) {
      const img = document.createElement("img");
      img.className = "avatar avatar-medium";
      img.src = user.profile_thumbnail;
      img.alt = "";
      return img;
    }
    const span = document.createElement("span");
    span.className = "avatar avatar-medium avatar-initial";
    span.setAttribute("aria-hidden", "true");
    span.textContent = displayName(user).slice(0, 1).toUpperCase();
    return span;
  }

  function row(group) {
    const li = document.createElement("li");
    li.className = "list-item status-row";
    li.dataset.statusAuthor = group.userId;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "list-item-link status-open";
    button.dataset.statusOpen = group.userId;
    button.setAttribute("aria-label", displayName(group.user) + (group.unseen ? ", " + group.unseen + " new" : ""));
    const ring = document.createElement("span");
    ring.className = "story-ring" + (group.unseen ? "" : " seen");
    ring.appendChild(avatar(group.user));
    const body = document.createElement("span");
    body.className = "list-item-body";
    const title = document.createElement("span");
    title.className = "list-item-title";
    title.textContent = displayName(group.user);
    const subtitle = document.createElement("span");
    subtitle.className = "list-item-subtitle";
    const time = document.createElement("time");
    time.dateTime = group.latest;
    time.textContent = formatTime(group.latest);
    subtitle.appendChild(time);
    body.append(title, subtitle);
    button.append(ring, body);
    li.appendChild(button);
    return li;
  }

  function renderLists() {
    const groups = authors();
    [["recent", groups.recent], ["viewed", groups.viewed]].forEach(function (pair) {
      const list = el("status-" + pair[0]);
      list.replaceChildren.apply(list, pair[1].map(row));
      el("status-" + pair[0] + "-empty").hidden = pair[1].length > 0;
    });
    const mine = storiesOf(me);
    const myButton = app.querySelector(".status-mine .status-open");
    myButton.disabled = mine.length === 0;
    const ring = myButton.querySelector(".story-ring");
    ring.classList.toggle("seen", mine.length === 0);
    const summary = el("my-status-summary");
    if (mine.length) {
      const latest = mine[mine.length - 1].created_at;
      summary.textContent = mine.length + " update" + (mine.length === 1 ? "" : "s") + " · " + formatTime(latest);
    } else {
      summary.textContent = "No updates yet";
    }
  }

  // --- the viewer -------------------------------------------------------------------------

  let current = null; // {userId, list, index}
  let timer = null;
  let startedAt = 0;
  let elapsed = 0;
  let paused = false;

  function stopTimer() {
    if (timer) { cancelAnimationFrame(timer); timer = null; }
  }

  function bar(index) { return el("story-progress").children[index]; }

  function tick() {
    const story = current && current.list[current.index];
    if (!story) { return; }
    const fill = bar(current.index).firstChild;
    let fraction;
    const video = el("story-content").querySelector("video");
    if (video) {
      fraction = video.duration ? video.currentTime / video.duration : 0;
    } else {
      const now = performance.now();
      if (!paused) { elapsed += now - startedAt; }
      startedAt = now;
      fraction = elapsed / (IMAGE_SECONDS * 1000);
      if (fraction >= 1) { next(); return; }
    }
    fill.style.width = Math.min(100, fraction * 100) + "%";
    timer = requestAnimationFrame(tick);
  }

  function renderProgress() {
    const progress = el("story-progress");
    progress.replaceChildren();
    current.list.forEach(function (_, i) {
      const b = document.createElement("div");
      b.className = "story-progress-bar";
      const fill = document.createElement("span");
      fill.style.width = i < current.index ? "100%" : "0%";
      b.appendChild(fill);
      progress.appendChild(b);
    });
  }

  function renderContent(story) {
    const content = el("story-content");
    content.replaceChildren();
    content.style.background = "";
    content.classList.toggle("story-text", story.kind === "text");
    const caption = el("story-caption");
    caption.hidden = true;
    if (story.kind === "text") {
      content.style.background = story.background_color;
      const text = document.createElement("p");
      text.textContent = story.content;
      content.appendChild(text);
      return;
    }
    if (story.content) {
      caption.textContent = story.content;
      caption.hidden = false;
    }
    if (story.kind === "video") {
      const video = document.createElement("video");
      video.src = story.file_url;
      video.playsInline = true;
      video.autoplay = true;
      video.setAttribute("aria-label", story.content || "Video status");
      video.addEventListener("ended", next);
      content.appendChild(video);
      const playing = video.play();
      if (playing && playing.catch) {
        playing.catch(function () { video.muted = true; video.play().catch(function () {}); });
      }
    } else {
      const img = document.createElement("img");
      img.src = story.file_url;
      img.alt = story.content || "Photo status";
      content.appendChild(img);
    }
  }

  // Others' updates can be reported (templates/moderation/report.html), as messages can.
  function renderReportLink(story) {
    const link = el("story-report");
    link.hidden = story.user_id === me;
    const params = new URLSearchParams({ kind: "story", id: story.story_id, next: location.pathname });
    link.href = link.pathname + "?" + params.toString();
  }

  function renderOwnerTools(story) {
    const tools = el("story-owner-tools");
    tools.hidden = story.user_id !== me;
    el("story-viewers").hidden = true;
    el("story-seen").setAttribute("aria-expanded", "false");
    el("story-seen").textContent = "Seen by " + (story.view_count || 0);
  }

  function show(index) {
    stopTimer();
    current.index = index;
    const story = current.list[index];
    paused = false;
    elapsed = 0;
    startedAt = performance.now();
    renderProgress();
    el("story-viewer-author").textContent = story.user_id === me ? "My status" : displayName(story.user);
    el("story-viewer-avatar").replaceChildren(avatar(story.user));
    el("story-viewer-time").dateTime = story.created_at;
    el("story-viewer-time").textContent = formatTime(story.created_at);
    el("story-prev").disabled = index === 0;
    renderContent(story);
    renderOwnerTools(story);
    renderReportLink(story);
    dialog.dataset.storyId = story.story_id;
    markViewed(story);
    timer = requestAnimationFrame(tick);
  }

  function openAuthor(userId, fromStart) {
    const list = storiesOf(userId);
    if (!list.length) { close(); return; }
    let index = 0;
    if (userId !== me && !fromStart) {
      index = Math.max(0, list.findIndex(function (s) { return !s.viewed; }));
    }
    current = { userId: userId, list: list, index: index };
    if (!dialog.open) { dialog.showModal(); }
    show(index);
  }

  function nextAuthor() {
    const groups = authors();
    const order = groups.recent.concat(groups.viewed).map(function (g) { return g.userId; });
    const position = order.indexOf(current.userId);
    const following = order.slice(position + 1).find(function (id) {
      return storiesOf(id).some(function (s) { return !s.viewed; });
    });
    return following === undefined ? null : following;
  }

  function next() {
    if (!current) { return; }
    if (current.index + 1 < current.list.length) { show(current.index + 1); return; }
    const following = current.userId === me ? null : nextAuthor();
    if (following !== null) { openAuthor(following); } else { close(); }
  }

  function prev() {
    if (current && current.index > 0) { show(current.index - 1); }
  }

  function close() {
    stopTimer();
    const video = el("story-content").querySelector("video");
    if (video) { video.pause(); }
    el("story-content").replaceChildren();
    current = null;
    if (dialog.open) { dialog.close(); }
    renderLists();
  }

  // --- talking to the server ---------------------------------------------------------------

  function markViewed(story) {
    if (story.user_id === me || story.viewed) { return; }
    story.viewed = true;
    http.send(http.url("api_story_view", story.story_id), { method: "POST" }).catch(function () { story.viewed = false; });
  }

  function toggleViewers() {
    const story = current && current.list[current.index];
    if (!story) { return; }
    const list = el("story-viewers");
    const opening = list.hidden;
    list.hidden = !opening;
    el("story-seen").setAttribute("aria-expanded", String(opening));
    paused = opening;
    if (opening) { loadViewers(story); }
  }

  function loadViewers(story) {
    http.send(http.url("api_story_views", story.story_id)).then(function (response) {
      return response.ok ? response.json() : { results: [] };
    }).then(function (data) {
      const list = el("story-viewers");
      list.replaceChildren.apply(list, data.results.map(function (view) {
        const li = document.createElement("li");
        li.className = "story-viewer-row";
        const name = document.createElement("span");
        name.textContent = displayName(view.user);
        const time = document.createElement("time");
        time.className = "muted small";
        time.dateTime = view.viewed_at;
        time.textContent = formatTime(view.viewed_at);
        li.append(name, time);
        return li;
      }));
      if (!data.results.length) {
        const li = document.createElement("li");
        li.className = "muted";
        li.textContent = "No views yet";
        list.appendChild(li);
      }
    });
  }

  function deleteCurrent() {
    const story = current && current.list[current.index];
    if (!story || !window.confirm("Delete this status update?")) { return; }
    http.send(http.url("api_story", story.story_id), { method: "DELETE" }).then(function (response) {
      if (!response.ok && response.status !== 404) { return; }
      stories.delete(story.story_id);
      const rest = storiesOf(me);
      if (rest.length) { current.list = rest; show(Math.min(current.index, rest.length - 1)); }
      else { close(); }
    });
  }

  // --- wiring -----------------------------------------------------------------------------

  app.addEventListener("click", function (event) {
    const opener = event.target.closest("[data-status-open]");
    if (opener && !opener.disabled) { openAuthor(Number(opener.dataset.statusOpen)); }
  });
  el("story-next").addEventListener("click", next);
  el("story-prev").addEventListener("click", prev);
  el("story-close").addEventListener("click", close);
  el("story-seen").addEventListener("click", toggleViewers);
  el("story-delete").addEventListener("click", deleteCurrent);
  dialog.addEventListener("cancel", function (event) { event.preventDefault(); close(); });
  dialog.addEventListener("keydown", function (event) {
    if (event.key === "ArrowRight") { next(); }
    if (event.key === "ArrowLeft") { prev(); }
  });

  if (window.AppSocket) {
    window.AppSocket.on("story.new", function (frame) {
      const story = Object.assign({}, frame.story, {
        viewed: false,
        view_count: frame.story.user_id === me ? 0 : null,
      });
      stories.set(story.story_id, story);
      if (!current) { renderLists(); }
    });
    window.AppSocket.on("story.view", function (frame) {
      const story = stories.get(frame.story_id);
      if (!story) { return; }
      story.view_count = frame.view_count;
      const shown = current && current.list[current.index];
      if (shown && shown.story_id === story.story_id) {
        el("story-seen").textContent = "Seen by " + story.view_count;
        if (!el("story-viewers").hidden) { loadViewers(story); }
      }
    });
    window.AppSocket.on("story.deleted", function (frame) {
      const shown = current && current.list[current.index];
      stories.delete(frame.story_id);
      if (shown && shown.story_id === frame.story_id) { next(); }
      if (!current) { renderLists(); }
    });
  }

  // Stories expire 24 hours after they were posted: drop them without a reload.
  setInterval(function () {
    let changed = false;
    stories.forEach(function (s, id) { if (!active(s)) { stories.delete(id); changed = true; } });
    if (changed && !current) { renderLists(); }
  }, 30000);
})();
