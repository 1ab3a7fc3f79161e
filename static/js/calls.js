// Voice and video calls over WebRTC (docs/calls.md).
//
// REST (session cookie + CSRF header, through static/js/http.js) starts, answers, declines and
// ends a call; the socket carries the server's call.incoming / call.answered / call.ended frames
// and the WebRTC signalling (call.signal). Flow: caller POSTs calls/ -> callee's tabs ring ->
// callee accepts (builds its RTCPeerConnection, then POSTs answer) -> both get call.answered ->
// the caller sends the SDP offer, the callee the SDP answer, both trickle ICE candidates ->
// connected.
// `window.__call` exposes this tab's call session ({call, role, pc, ...}) or null.
(function () {
  "use strict";
  const configEl = document.getElementById("call-config");
  const shell = document.querySelector("[data-user-id]");
  const overlay = document.getElementById("call-overlay");
  const incoming = document.getElementById("call-incoming");
  if (!configEl || !shell || !overlay || !incoming || !window.AppSocket) { return; }
  const http = window.AppHttp;

  const config = JSON.parse(configEl.textContent);
  const me = Number(shell.dataset.userId);
  const RING_MS = (Number(config.ring_timeout_seconds) || 45) * 1000;
  const CONNECT_MS = 30000; // answered but no media path by then: give up
  const ICONS = {};
  const ui = {
    remoteVideo: overlay.querySelector("[data-call-remote-video]"),
    remoteAudio: overlay.querySelector("[data-call-remote-audio]"),
    localVideo: overlay.querySelector("[data-call-local-video]"),
    state: overlay.querySelector("[data-call-state]"),
    timer: overlay.querySelector("[data-call-timer]"),
    mute: overlay.querySelector("[data-call-action=mute]"),
    camera: overlay.querySelector("[data-call-action=camera]"),
    toast: document.querySelector("[data-call-toast]"),
  };
  const originalTitle = document.title;

  let session = null; // the call this tab takes part in
  let ringing = null; // the incoming call this tab shows: {call, timer}
  let toastTimer = null;
  let logRefresh = null;

  Object.defineProperty(window, "__call", { get: function () { return session; }, configurable: true });

  // ---- helpers ---------------------------------------------------------------------------

  function errorText(data, status) {
    if (data && typeof data.detail === "string") { return data.detail; }
    if (data && typeof data === "object") {
      for (const key in data) {
        if (Array.isArray(data[key]) && data[key].length) { return String(data[key][0]); }
      }
    }
    return "The call failed (" + status + ").";
  }

  // POST to a call endpoint of the REST API (`http.url(name, callId)`); resolves to the call,
  // rejects with an Error carrying the server's detail and code.
  function post(url, body, keepalive) {
    return http.postJSON(url, body || {}, { keepalive: !!keepalive }).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (data) {
        if (!res.ok) {
          const err = new Error(errorText(data, res.status));
          err.code = data && data.code;
          throw err;
        }
        return data;
      });
    });
  }

  function peerOf(call) { return call.caller_id === me ? call.receiver : call.caller; }

  function nameOf(user) { return (user && (user.name || user.phone_number)) || "Unknown"; }

  function kindLabel(callType) { return callType === "video" ? "video call" : "voice call"; }

  function formatDuration(totalSeconds) {
    const s = Math.max(0, Math.floor(totalSeconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = String(s % 60).padStart(2, "0");
    return h ? h + ":" + String(m).padStart(2, "0") + ":" + sec : m + ":" + sec;
  }

  function toast(text) {
    ui.toast.textContent = text;
    ui.toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { ui.toast.hidden = true; }, 4000);
  }

  function fillPeer(root, name) {
    root.querySelectorAll("[data-call-peer-label]").forEach(function (el) { el.textContent = name; });
    root.querySelectorAll("[data-call-initial]").forEach(function (el) {
      el.textContent = name.slice(0, 1).toUpperCase();
    });
  }

  function setState(text) { ui.state.textContent = text; }

  // The Calls tab's log re-renders from the server whenever a call changes.
  function refreshLog() {
    if (!document.getElementById("call-log")) { return; }
    clearTimeout(logRefresh);
    logRefresh = setTimeout(function () {
      http.getText(location.pathname)
        .then(function (html) {
          const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("call-log");
          const current = document.getElementById("call-log");
          if (fresh && current) { current.innerHTML = fresh.innerHTML; }
        })
        .catch(function () { /* the next change refreshes again */ });
    }, 250);
  }

  // ---- call buttons ----------------------------------------------------------------------

  // Any element with data-call-peer-id and no buttons yet gets "Voice call" and "Video call".
  function addCallButtons(root) {
    const scope = root.querySelectorAll ? root : document;
    const hosts = [];
    if (scope.matches && scope.matches("[data-call-peer-id]")) { hosts.push(scope); }
    scope.querySelectorAll("[data-call-peer-id]").forEach(function (el) { hosts.push(el); });
    hosts.forEach(function (host) {
      if (host.matches("[data-call-start]") || host.querySelector("[data-call-start]")) { return; }
      ["voice", "video"].forEach(function (kind) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "call-button";
        button.dataset.callStart = "";
        button.dataset.callType = kind;
        button.setAttribute("aria-label", kind === "video" ? "Video call" : "Voice call");
        button.title = button.getAttribute("aria-label");
        button.innerHTML = ICONS[kind] || "";
        host.appendChild(button);
      });
    });
  }

  function loadIcons() {
    const voice = document.querySelector(".call-back[data-call-type=voice] svg, .call-button[data-call-type=voice] svg");
    const video = document.querySelector(".call-back[data-call-type=video] svg, .call-button[data-call-type=video] svg");
    ICONS.voice = voice ? voice.outerHTML : '<svg class="call-icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path fill="currentColor" d="M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1z"/></svg>';
    ICONS.video = video ? video.outerHTML : '<svg class="call-icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path fill="currentColor" d="M17 10.5V7a1 1 0 0 0-1-1H4a1 1 0 0 0-1 1v10a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1v-3.5l4 4v-11l-4 4z"/></svg>';
  }

  document.addEventListener("click", function (event) {
    const start = event.target.closest("[data-call-start]");
    if (start) {
      const host = start.closest("[data-call-peer-id]");
      if (!host) { return; }
      event.preventDefault();
      startCall(Number(host.dataset.callPeerId), host.dataset.callPeerName || "", start.dataset.callType === "video" ? "video" : "voice");
      return;
    }
    const action = event.target.closest("[data-call-action]");
    if (!action) { return; }
    const what = action.dataset.callAction;
    if (what === "accept") { acceptIncoming(); }
    else if (what === "decline") { declineIncoming(); }
    else if (what === "hangup") { hangUp("Call ended"); }
    else if (what === "mute") { toggleTrack("audio", action); }
    else if (what === "camera") { toggleTrack("video", action); }
  });

  // ---- media and peer connection ---------------------------------------------------------

  function getMedia(callType) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return Promise.reject(new Error("Calls need a secure page (https or localhost) and a microphone."));
    }
    return navigator.mediaDevices.getUserMedia({ audio: true, video: callType === "video" })
      .catch(function (err) {
        throw new Error("Microphone or camera unavailable: " + (err && err.message ? err.message : err));
      });
  }

  function newSession(call, role, peerName) {
    return {
      call: call, role: role, peerName: peerName, pc: null, stream: null, remoteStream: null,
      remoteSet: false, pendingCandidates: [], queued: [], chain: Promise.resolve(),
      ringTimer: null, connectTimer: null, tick: null, connectedAt: null,
    };
  }

  function sendSignal(s, signal) {
    AppSocket.send({ type: "call.signal", call_id: s.call.call_id, signal: signal });
  }

  function createPeer(s) {
    const pc = new RTCPeerConnection({ iceServers: config.ice_servers || [] });
    s.pc = pc;
    s.stream.getTracks().forEach(function (track) { pc.addTrack(track, s.stream); });
    pc.addEventListener("icecandidate", function (event) {
      if (event.candidate) { sendSignal(s, { type: "candidate", candidate: event.candidate.toJSON() }); }
    });
    pc.addEventListener("track", function (event) {
      let stream = event.streams && event.streams[0];
      if (!stream) {
        stream = s.remoteStream || new MediaStream();
        stream.addTrack(event.track);
      }
      s.remoteStream = stream;
      if (s.call.call_type === "video") { ui.remoteVideo.srcObject = stream; }
      else { ui.remoteAudio.srcObject = stream; }
    });
    pc.addEventListener("connectionstatechange", function () {
      if (session !== s) { return; }
      const state = pc.connectionState;
      if (state === "connected") { markConnected(s); }
      else if (state === "disconnected") { setState("Reconnecting…"); }
      else if (state === "failed") { hangUp("Connection failed"); }
    });
    // Signals that arrived before the connection existed.
    s.queued.splice(0).forEach(function (signal) { queueSignal(s, signal); });
    return pc;
  }

  function markConnected(s) {
    overlay.classList.add("call-connected");
    setState("Connected");
    if (s.connectedAt) { return; }
    s.connectedAt = Date.now();
    ui.timer.hidden = false;
    ui.timer.textContent = "0:00";
    s.tick = setInterval(function () {
      ui.timer.textContent = formatDuration((Date.now() - s.connectedAt) / 1000);
    }, 1000);
  }

  function queueSignal(s, signal) {
    if (!s.pc) { s.queued.push(signal); return; }
    // One at a time, in arrival order: a candidate must wait for the description before it.
    s.chain = s.chain.then(function () { return applySignal(s, signal); }).catch(function (err) {
      console.error("call signal failed", err);
    });
  }

  function applySignal(s, signal) {
    const pc = s.pc;
    if (session !== s || pc.signalingState === "closed") { return null; }
    if (signal.type === "offer") {
      return pc.setRemoteDescription({ type: "offer", sdp: signal.sdp })
        .then(function () { return remoteReady(s); })
        .then(function () { return pc.createAnswer(); })
        .then(function (answer) { return pc.setLocalDescription(answer); })
        .then(function () { sendSignal(s, { type: "answer", sdp: pc.localDescription.sdp }); });
    }
    if (signal.type === "answer") {
      return pc.setRemoteDescription({ type: "answer", sdp: signal.sdp })
        .then(function () { return remoteReady(s); });
    }
    if (signal.type === "candidate" && signal.candidate) {
      if (!s.remoteSet) { s.pendingCandidates.push(signal.candidate); return null; }
      return pc.addIceCandidate(signal.candidate);
    }
    return null;
  }

  function remoteReady(s) {
    s.remoteSet = true;
    const candidates = s.pendingCandidates.splice(0);
    return Promise.all(candidates.map(function (c) { return s.pc.addIceCandidate(c); }));
  }

  function expectConnection(s) {
    clearTimeout(s.connectTimer);
    s.connectTimer = setTimeout(function () {
      if (session === s && !s.connectedAt) { hangUp("The call could not connect."); }
    }, CONNECT_MS);
  }

  function sendOffer(s) {
    const pc = createPeer(s);
    return pc.createOffer()
      .then(function (offer) { return pc.setLocalDescription(offer); })
      .then(function () { sendSignal(s, { type: "offer", sdp: pc.localDescription.sdp }); })
      .catch(function (err) { hangUp("The call could not connect: " + err.message); });
  }

  function toggleTrack(kind, button) {
    const s = session;
    if (!s || !s.stream) { return; }
    const off = button.getAttribute("aria-pressed") !== "true";
    const tracks = kind === "audio" ? s.stream.getAudioTracks() : s.stream.getVideoTracks();
    tracks.forEach(function (track) { track.enabled = !off; });
    button.setAttribute("aria-pressed", String(off));
    if (kind === "video") { overlay.classList.toggle("call-camera-off", off); }
  }

  // ---- overlay ---------------------------------------------------------------------------

  function showOverlay(s) {
    fillPeer(overlay, s.peerName);
    overlay.classList.toggle("call-video", s.call.call_type === "video");
    overlay.classList.remove("call-connected", "call-camera-off");
    ui.camera.hidden = s.call.call_type !== "video";
    ui.mute.setAttribute("aria-pressed", "false");
    ui.camera.setAttribute("aria-pressed", "false");
    ui.timer.hidden = true;
    overlay.hidden = false;
  }

  function showLocal(s) {
    if (s.call.call_type === "video") { ui.localVideo.srcObject = s.stream; }
  }

  // Release everything of session ``s`` locally (the server side is the caller's business).
  function teardown(s, message) {
    if (session === s) { session = null; }
    clearTimeout(s.ringTimer);
    clearTimeout(s.connectTimer);
    clearInterval(s.tick);
    if (s.pc) { s.pc.close(); }
    if (s.stream) { s.stream.getTracks().forEach(function (track) { track.stop(); }); }
    ui.remoteVideo.srcObject = null;
    ui.remoteAudio.srcObject = null;
    ui.localVideo.srcObject = null;
    if (session === null) {
      overlay.hidden = true;
      overlay.classList.remove("call-connected", "call-video", "call-camera-off");
    }
    if (message) { toast(message); }
    refreshLog();
  }

  function hangUp(message) {
    const s = session;
    if (!s) { return; }
    if (s.call.call_id) { post(http.url("api_call_end", s.call.call_id)).catch(function () { /* already over */ }); }
    teardown(s, message);
  }

  function endedMessage(call) {
    if (call.status === "declined") { return "Call declined"; }
    if (call.status === "missed") { return call.caller_id === me ? "No answer" : "Missed call"; }
    if (call.duration_seconds !== null && call.duration_seconds !== undefined) {
      return "Call ended · " + formatDuration(call.duration_seconds);
    }
    return "Call ended";
  }

  // ---- caller ----------------------------------------------------------------------------

  function startCall(peerId, peerName, callType) {
    if (!peerId || peerId === me) { return; }
    if (session) { toast("You are already in a call."); return; }
    const s = newSession({ call_id: null, call_type: callType, caller_id: me, receiver_id: peerId, status: "ringing" }, "caller", peerName);
    s.early = [];
    session = s;
    showOverlay(s);
    setState("Calling…");
    getMedia(callType)
      .then(function (stream) {
        s.stream = stream;
        if (session !== s) { throw new Error(""); }
        showLocal(s);
        return post(http.url("api_calls"), { receiver_id: peerId, call_type: callType });
      })
      .then(function (call) {
        s.call = call;
        if (session !== s) { // hung up while the request was in flight
          post(http.url("api_call_end", call.call_id)).catch(function () {});
          return;
        }
        s.peerName = nameOf(call.receiver) || peerName;
        fillPeer(overlay, s.peerName);
        setState("Ringing…");
        s.ringTimer = setTimeout(function () {
          if (session === s && s.call.status === "ringing") { hangUp("No answer"); }
        }, RING_MS);
        s.early.splice(0).forEach(function (frame) { dispatchCallFrame(frame); });
      })
      .catch(function (err) { teardown(s, err.message); });
  }

  // ---- callee ----------------------------------------------------------------------------

  function showIncoming(call) {
    clearTimeout(ringing && ringing.timer);
    const name = nameOf(call.caller);
    ringing = {
      call: call,
      // The server marks it missed; the dialog also gives up on its own.
      timer: setTimeout(function () { hideIncoming(call.call_id); }, RING_MS + 5000),
    };
    fillPeer(incoming, name);
    incoming.querySelector("[data-call-kind-label]").textContent = "Incoming " + kindLabel(call.call_type);
    incoming.hidden = false;
    document.title = name + " is calling…";
  }

  function hideIncoming(callId) {
    if (!ringing || (callId !== undefined && ringing.call.call_id !== callId)) { return; }
    clearTimeout(ringing.timer);
    ringing = null;
    incoming.hidden = true;
    document.title = originalTitle;
  }

  function acceptIncoming() {
    if (!ringing) { return; }
    const call = ringing.call;
    hideIncoming();
    if (session) { toast("You are already in a call."); return; }
    const s = newSession(call, "callee", nameOf(call.caller));
    session = s;
    showOverlay(s);
    setState("Connecting…");
    getMedia(call.call_type)
      .then(function (stream) {
        s.stream = stream;
        if (session !== s) { throw new Error(""); }
        showLocal(s);
        // Ready for the caller's offer before the server tells the caller we answered.
        createPeer(s);
        return post(http.url("api_call_answer", call.call_id));
      })
      .then(function (answered) {
        s.call = answered;
        expectConnection(s);
      })
      .catch(function (err) {
        if (session === s && s.call.status === "ringing") {
          post(http.url("api_call_decline", call.call_id)).catch(function () {});
        }
        teardown(s, err.message);
      });
  }

  function declineIncoming() {
    if (!ringing) { return; }
    const call = ringing.call;
    hideIncoming();
    post(http.url("api_call_decline", call.call_id)).catch(function (err) { toast(err.message); });
  }

  // ---- frames ----------------------------------------------------------------------------

  function isMine(call) { return !!session && session.call.call_id === call.call_id; }

  function pendingStart(call) {
    return !!session && session.role === "caller" && session.call.call_id === null &&
      call.caller_id === me && call.receiver_id === session.call.receiver_id;
  }

  function dispatchCallFrame(frame) {
    const call = frame.call;
    if (frame.type === "call.answered") {
      hideIncoming(call.call_id); // answered here or in another tab
      if (isMine(call) && session.role === "caller" && session.call.status === "ringing") {
        const s = session;
        s.call = call;
        clearTimeout(s.ringTimer);
        setState("Connecting…");
        expectConnection(s);
        sendOffer(s);
      } else if (isMine(call)) {
        session.call = call;
      }
    } else if (frame.type === "call.ended") {
      hideIncoming(call.call_id);
      if (isMine(call)) { teardown(session, endedMessage(call)); }
    }
    refreshLog();
  }

  AppSocket.on("call.incoming", function (frame) {
    if (session || frame.call.receiver_id !== me) { return; }
    showIncoming(frame.call);
    refreshLog();
  });

  ["call.answered", "call.ended"].forEach(function (type) {
    AppSocket.on(type, function (frame) {
      if (pendingStart(frame.call)) { session.early.push(frame); return; }
      dispatchCallFrame(frame);
    });
  });

  AppSocket.on("call.signal", function (frame) {
    const s = session;
    if (!s || s.call.call_id !== frame.call_id || !frame.signal) { return; }
    queueSignal(s, frame.signal);
  });

  // Lost the socket: the server ends calls whose socket went away, so end it here too.
  AppSocket.on("_disconnected", function () {
    if (session && session.call.call_id) { hangUp("Call ended: connection lost"); }
  });

  AppSocket.on("error", function (frame) {
    if (session && frame.code === "not_active" && session.call.status === "answered") {
      hangUp("Call ended");
    }
  });

  // Leaving the page ends the call (the request outlives the page); warn first.
  window.addEventListener("beforeunload", function (event) {
    if (session && session.call.status === "answered") { event.preventDefault(); event.returnValue = ""; }
  });
  window.addEventListener("pagehide", function () {
    if (session && session.call.call_id) {
      post(http.url("api_call_end", session.call.call_id), null, true).catch(function () {});
    }
  });

  loadIcons();
  addCallButtons(document);
  new MutationObserver(function (mutations) {
    mutations.forEach(function (m) {
      m.addedNodes.forEach(function (node) { if (node.nodeType === 1) { addCallButtons(node); } });
    });
  }).observe(document.body, { childList: true, subtree: true });
})();
