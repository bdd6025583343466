/*
 * The QR way in: a code for the eGov app, then polling until the login is
 * decided.
 *
 * login.js owns the page: it switches the method tabs and announces
 * "kabinet:role-selected" and "kabinet:method-selected" on #login with
 * {role, method}. When the QR tab is chosen (or the role changes while it
 * is), this script asks the server for a code (POST config.api.start) and
 * polls its status (GET config.api.status) from this browser session, one
 * request at a time, until it is signed (the server has then opened the
 * session: go to the redirect), rejected or expired (offer a new code).
 *
 * On a phone the code cannot be scanned by the phone itself, so the page
 * shows buttons that open eGov Mobile / eGov Business (links from the
 * server) and keeps polling: the login completes when the user comes back.
 *
 * States on #qr-panel[data-state]: idle, starting, waiting, scanned,
 * signed, expired, rejected, error. Every text comes from the server.
 */
(function () {
  "use strict";

  var POLL_INTERVAL_MS = 1500;
  var POLL_RETRY_MS = 4000;

  var root = document.getElementById("login");
  var panel = document.getElementById("qr-panel");
  var configElement = document.getElementById("qr-config");
  if (!root || !panel || !configElement || document.getElementById("qr-unavailable")) {
    return;
  }
  var config = JSON.parse(configElement.textContent);
  var csrfToken = root.getAttribute("data-csrf-token");

  var elements = {
    body: byId("qr-body"),
    image: byId("qr-image"),
    countdown: byId("qr-countdown"),
    appHint: byId("qr-app"),
    links: byId("qr-links"),
    message: byId("qr-message"),
    newCode: byId("qr-new-code"),
    showCode: byId("qr-show-code"),
    changeRole: byId("change-role")
  };

  var state = {
    role: null,
    method: null,
    id: null,
    deadline: 0,
    generation: 0,
    pollTimer: null,
    countdownTimer: null,
    codeShownOnPhone: false
  };

  function byId(id) {
    return document.getElementById(id);
  }

  function text(code) {
    return config.messages[code] || config.errors[code] || "";
  }

  function isPhone() {
    var narrow = window.matchMedia && window.matchMedia("(max-width: 640px)").matches;
    var mobileAgent = /Android|iPhone|iPad|iPod|Mobile/i.test(navigator.userAgent || "");
    return Boolean(narrow || mobileAgent);
  }

  // ------------------------------------------------------------ showing

  function setState(name) {
    panel.setAttribute("data-state", name);
  }

  function showMessage(kind, message, stateName, code) {
    elements.message.textContent = message;
    elements.message.className = "message message--" + kind;
    elements.message.setAttribute("role", kind === "error" ? "alert" : "status");
    elements.message.setAttribute("data-state", stateName);
    elements.message.setAttribute("data-code", code || "");
    elements.message.hidden = false;
  }

  function clearMessage() {
    elements.message.hidden = true;
    elements.message.textContent = "";
    elements.message.setAttribute("data-state", "");
    elements.message.setAttribute("data-code", "");
  }

  function showAppHint(apps) {
    var wanted = apps.length === 1 ? apps[0] : "either";
    var hints = elements.appHint.querySelectorAll("[data-app-hint]");
    for (var i = 0; i < hints.length; i += 1) {
      hints[i].hidden = hints[i].getAttribute("data-app-hint") !== wanted;
    }
    elements.appHint.setAttribute("data-apps", apps.join(" "));
  }

  function setText(text) {
    // Present only in development, where the page shows the code's text.
    var field = byId("qr-text");
    if (field) {
      field.textContent = text;
    }
  }

  function showCode(code) {
    var phone = isPhone();
    panel.setAttribute("data-device", phone ? "phone" : "desktop");
    elements.image.src = code.image;
    elements.image.setAttribute("data-qr", code.qr);
    setText(code.qr);
    elements.body.hidden = phone && !state.codeShownOnPhone;
    elements.showCode.hidden = !phone || state.codeShownOnPhone;

    var anchors = elements.links.querySelectorAll("a[data-app]");
    for (var i = 0; i < anchors.length; i += 1) {
      var app = anchors[i].getAttribute("data-app");
      anchors[i].href = code.links[app] || "#";
      anchors[i].hidden = code.apps.indexOf(app) < 0;
    }
    elements.links.hidden = !phone;
  }

  function formatTime(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function tick() {
    var left = Math.max(0, Math.round((state.deadline - Date.now()) / 1000));
    elements.countdown.textContent = text("countdown").replace("%(time)s", formatTime(left));
    elements.countdown.setAttribute("data-seconds", String(left));
    if (left === 0 && state.id) {
      // The server decides; ask it now rather than at the next poll.
      schedulePoll(0);
    }
  }

  function resync(expiresIn) {
    if (typeof expiresIn === "number") {
      state.deadline = Date.now() + expiresIn * 1000;
    }
  }

  // ------------------------------------------------------------ the flow

  function stop() {
    state.generation += 1;
    state.id = null;
    clearTimeout(state.pollTimer);
    clearInterval(state.countdownTimer);
    state.pollTimer = null;
    state.countdownTimer = null;
  }

  function reset() {
    stop();
    setState("idle");
    clearMessage();
    elements.body.hidden = true;
    elements.links.hidden = true;
    elements.newCode.hidden = true;
    elements.showCode.hidden = true;
    elements.image.removeAttribute("src");
    elements.image.setAttribute("data-qr", "");
    setText("");
    elements.countdown.textContent = "";
  }

  function finish(stateName) {
    stop();
    setState(stateName);
    elements.countdown.textContent = "";
    elements.showCode.hidden = true;
    elements.links.hidden = true;
    elements.newCode.hidden = false;
  }

  function start() {
    if (!state.role) {
      reset();
      showMessage("error", text("choose_role"), "error", "choose_role");
      return;
    }
    reset();
    var generation = state.generation;
    setState("starting");
    showMessage("info", text("starting"), "starting", "");
    showAppHint(config.apps[state.role] || []);

    request("POST", config.api.start, { role: state.role }).then(function (answer) {
      if (generation !== state.generation) {
        return;
      }
      if (!answer.ok) {
        showServerError(answer);
        finish("error");
        return;
      }
      var code = answer.body;
      state.id = code.id;
      resync(code.expires_in);
      showCode(code);
      showWaiting("waiting");
      tick();
      state.countdownTimer = setInterval(tick, 1000);
      schedulePoll(POLL_INTERVAL_MS);
    });
  }

  function showWaiting(stateName) {
    setState(stateName);
    var message = stateName === "waiting" && isPhone() ? "waiting_phone" : stateName;
    showMessage(stateName === "scanned" ? "success" : "info", text(message), stateName, "");
  }

  function schedulePoll(delay) {
    clearTimeout(state.pollTimer);
    var generation = state.generation;
    state.pollTimer = setTimeout(function () {
      poll(generation);
    }, delay);
  }

  function poll(generation) {
    if (generation !== state.generation || !state.id) {
      return;
    }
    var url = config.api.status.replace("{id}", encodeURIComponent(state.id));
    request("GET", url, null).then(function (answer) {
      if (generation !== state.generation) {
        return;
      }
      if (answer.network) {
        // A dropped connection is not a decision: try again shortly.
        schedulePoll(POLL_RETRY_MS);
        return;
      }
      if (!answer.ok) {
        showServerError(answer);
        finish("rejected");
        return;
      }
      onStatus(answer.body);
    });
  }

  function onStatus(status) {
    if (status.state === "waiting" || status.state === "scanned") {
      resync(status.expires_in);
      showWaiting(status.state);
      schedulePoll(POLL_INTERVAL_MS);
      return;
    }
    if (status.state === "signed") {
      stop();
      setState("signed");
      showMessage("success", text("signed"), "signed", "");
      window.location.assign(status.redirect || "/");
      return;
    }
    if (status.state === "rejected") {
      var error = status.error || {};
      finish("rejected");
      showMessage(
        "error",
        text("rejected").replace("%(reason)s", error.message || text("server_error")),
        "rejected",
        error.code || ""
      );
      return;
    }
    finish("expired");
    showMessage("warning", text("expired"), "expired", "");
  }

  function showServerError(answer) {
    var error = (answer.body && answer.body.error) || {};
    showMessage(
      "error",
      error.message || text("server_error"),
      "error",
      error.code || "server_error"
    );
  }

  // ------------------------------------------------------------ the server

  function request(method, url, payload) {
    var options = {
      method: method,
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" }
    };
    if (payload !== null) {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRFToken"] = csrfToken;
      options.body = JSON.stringify(payload);
    }
    return fetch(url, options).then(
      function (response) {
        return response.json().then(
          function (body) {
            return { ok: response.ok, body: body };
          },
          function () {
            return {
              ok: false,
              body: { error: { code: "server_error", message: text("server_error") } }
            };
          }
        );
      },
      function () {
        return {
          ok: false,
          network: true,
          body: { error: { code: "network_error", message: text("network_error") } }
        };
      }
    );
  }

  // ------------------------------------------------------------ wiring

  root.addEventListener("kabinet:method-selected", function (event) {
    state.method = event.detail.method;
    state.role = event.detail.role;
    if (state.method === "qr") {
      start();
    } else {
      reset();
    }
  });

  root.addEventListener("kabinet:role-selected", function (event) {
    state.role = event.detail.role;
    state.method = event.detail.method;
    if (state.method === "qr") {
      start();
    } else {
      reset();
    }
  });

  if (elements.changeRole) {
    elements.changeRole.addEventListener("click", reset);
  }

  elements.newCode.addEventListener("click", start);

  elements.showCode.addEventListener("click", function () {
    state.codeShownOnPhone = true;
    elements.body.hidden = false;
    elements.showCode.hidden = true;
  });

  panel.setAttribute("data-device", isPhone() ? "phone" : "desktop");
  panel.setAttribute("data-ready", "true");
})();
