// Requests to the server and the URLs they go to, for every page module (`window.AppHttp`).
// Loaded by shell.html before any other script.
//
// URLs come from the page, never from the scripts. The named routes the scripts use are one
// JSON object, `{{ app_urls|json_script:"app-urls" }}` in shell.html, built with `reverse()` by
// whatsapp/context_processors.py. A route with ids is reversed with 0 for each id
// ("/groups/0/messages/0/info/"): `AppHttp.url(name, id1, id2, ...)` puts the ids in place of
// those "/0/" segments, left to right. The one URL that is the page's own state, a history's
// next-page cursor, is a `data-older-url` attribute on the element its module works on.
//
// Requests carry the session cookie; unsafe ones carry Django's CSRF token in `X-CSRFToken`.
(function () {
  "use strict";
  const urlsNode = document.getElementById("app-urls");
  const urls = urlsNode ? JSON.parse(urlsNode.textContent) : {};

  // Fill a route's "/0/" id segments in order: fill("/a/0/b/0/", 3, 4) is "/a/3/b/4/".
  function fill(template, ...ids) {
    return ids.reduce(function (url, id) {
      return url.replace(/\/0(?=\/|$)/, "/" + encodeURIComponent(id));
    }, template);
  }

  function url(name, ...ids) {
    if (!(name in urls)) { throw new Error("No URL named " + name + " on this page (app-urls)"); }
    return fill(urls[name], ...ids);
  }

  function cookie(name) {
    const match = document.cookie.split("; ").find(function (part) { return part.indexOf(name + "=") === 0; });
    return match ? decodeURIComponent(match.slice(name.length + 1)) : "";
  }

  // The cookie is current even after a log-in elsewhere rotated the token; every signed-in page
  // also has a form with the token (the log-out form), for when the cookie cannot be read.
  function csrfToken() {
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return cookie("csrftoken") || (field ? field.value : "");
  }

  // fetch() with the session cookie, `Accept: application/json` and the CSRF header; `options`
  // are fetch's, plus `json` (a body sent as JSON, with its Content-Type). Resolves to the
  // Response, whatever its status.
  function send(target, options) {
    const init = Object.assign({ credentials: "same-origin" }, options || {});
    const headers = { Accept: "application/json", "X-CSRFToken": csrfToken() };
    if ("json" in init) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(init.json);
      delete init.json;
    }
    init.headers = Object.assign(headers, init.headers || {});
    return fetch(target, init);
  }

  // POST `body` as JSON; resolves to the Response.
  function postJSON(target, body, options) {
    return send(target, Object.assign({ method: "POST", json: body }, options || {}));
  }

  // GET a JSON document (a page of the REST API); rejects with the Response unless 2xx.
  function getJSON(target) {
    return fetch(target, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response); });
  }

  // GET an HTML page (a fragment of it is re-rendered); rejects with the status unless 2xx.
  function getText(target) {
    return fetch(target, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); });
  }

  window.AppHttp = {
    url: url,
    fill: fill,
    csrfToken: csrfToken,
    send: send,
    postJSON: postJSON,
    getJSON: getJSON,
    getText: getText,
  };
})();
