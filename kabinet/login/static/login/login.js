/*
 * The login page: choose a role, then sign a challenge with NCALayer.
 *
 * NCALayer is reached over its local WebSocket (data-ncalayer-url). It greets
 * on connect with {"result": {"version": ...}}, then answers one request of
 * module kz.gov.pki.knca.basics, method sign:
 *   success  {"status": true, "body": {"result": "<PEM CMS>" | ["<PEM CMS>"]}}
 *   cancel   {"status": true, "body": {}}
 *   error    {"status": false, "code": ..., "message": ..., "details": ...}
 * Every text shown comes from the server (the login-config JSON or an error
 * answer), in the page's language.
 *
 * Other ways in plug into the same page: a tab with role="tab" that is not
 * disabled switches to its panel (aria-controls), and the page root
 * (#login) announces "kabinet:role-selected" and "kabinet:method-selected"
 * events with {role, method} in their detail.
 */
(function () {
  "use strict";

  var CONNECT_TIMEOUT_MS = 10000;
  // Some NCALayer builds are slow to greet; after this the request is sent
  // without waiting any longer.
  var GREETING_GRACE_MS = 3000;

  var root = document.getElementById("login");
  if (!root) {
    return;
  }
  var config = JSON.parse(document.getElementById("login-config").textContent);
  var csrfToken = root.getAttribute("data-csrf-token");
  var ncalayerUrl = root.getAttribute("data-ncalayer-url");

  var elements = {
    stepRole: byId("step-role"),
    stepMethod: byId("step-method"),
    chosenRole: byId("chosen-role-name"),
    changeRole: byId("change-role"),
    select: byId("eds-select"),
    send: byId("eds-send"),
    message: byId("login-message"),
    missing: byId("ncalayer-missing"),
    retry: byId("ncalayer-retry")
  };

  var state = {
    role: null,
    method: "eds",
    challenge: null,
    signature: null,
    busy: false
  };

  function byId(id) {
    return document.getElementById(id);
  }

  function text(code) {
    return config.messages[code] || config.errors[code] || "";
  }

  function showMessage(kind, message, code) {
    elements.message.textContent = message;
    elements.message.setAttribute("data-kind", kind);
    elements.message.setAttribute("data-code", code || "");
    elements.message.className = "message message--" + kind;
    elements.message.setAttribute("role", kind === "error" ? "alert" : "status");
    elements.message.hidden = false;
  }

  function clearMessage() {
    elements.message.hidden = true;
    elements.message.textContent = "";
    elements.message.setAttribute("data-code", "");
    elements.message.setAttribute("data-kind", "");
  }

  function setBusy(busy) {
    state.busy = busy;
    elements.select.disabled = busy;
    elements.send.disabled = busy;
    root.setAttribute("aria-busy", busy ? "true" : "false");
  }

  function resetEds() {
    state.challenge = null;
    state.signature = null;
    elements.send.hidden = true;
    elements.missing.hidden = true;
    clearMessage();
  }

  // ---------------------------------------------------------------- roles

  function selectRole(button) {
    var cards = document.querySelectorAll(".role-card");
    for (var i = 0; i < cards.length; i += 1) {
      cards[i].setAttribute("aria-pressed", cards[i] === button ? "true" : "false");
    }
    state.role = button.getAttribute("data-role");
    elements.chosenRole.textContent =
      button.querySelector(".role-card__name").textContent;
    resetEds();
    elements.stepMethod.hidden = false;
    announce("kabinet:role-selected");
    if (state.method === "eds") {
      elements.select.focus();
    }
  }

  function announce(name) {
    root.dispatchEvent(
      new CustomEvent(name, { detail: { role: state.role, method: state.method } })
    );
  }

  function selectMethod(tab) {
    if (tab.disabled) {
      return;
    }
    var tabs = document.querySelectorAll('[role="tab"]');
    for (var i = 0; i < tabs.length; i += 1) {
      var selected = tabs[i] === tab;
      tabs[i].setAttribute("aria-selected", selected ? "true" : "false");
      tabs[i].tabIndex = selected ? 0 : -1;
      var panel = byId(tabs[i].getAttribute("aria-controls"));
      if (panel) {
        panel.hidden = !selected;
      }
    }
    state.method = tab.id.replace(/^method-/, "");
    resetEds();
    announce("kabinet:method-selected");
  }

  function changeRole() {
    resetEds();
    elements.stepMethod.hidden = true;
    var pressed = document.querySelector('.role-card[aria-pressed="true"]');
    (pressed || document.querySelector(".role-card")).focus();
  }

  // ------------------------------------------------------------ the server

  function postJson(url, payload) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken
      },
      body: JSON.stringify(payload)
    }).then(
      function (response) {
        return response.json().then(
          function (body) {
            return { ok: response.ok, body: body };
          },
          function () {
            return { ok: false, body: { error: { code: "server_error", message: text("server_error") } } };
          }
        );
      },
      function () {
        return { ok: false, body: { error: { code: "network_error", message: text("network_error") } } };
      }
    );
  }

  function showServerError(answer) {
    var error = (answer.body && answer.body.error) || {};
    showMessage("error", error.message || text("server_error"), error.code || "server_error");
  }

  // -------------------------------------------------------------- NCALayer

  /* Resolves with the PEM CMS; rejects with {kind: "missing" | "cancelled" |
     "error" | "closed", detail}. */
  function signWithNcalayer(challenge) {
    return new Promise(function (resolve, reject) {
      var socket;
      var requested = false;
      var settled = false;
      var graceTimer = null;

      function finish(outcome, value) {
        if (settled) {
          return;
        }
        settled = true;
        clearTimeout(connectTimer);
        clearTimeout(graceTimer);
        try {
          socket.close();
        } catch (ignored) {
          /* already closed */
        }
        if (outcome === "ok") {
          resolve(value);
        } else {
          reject(value);
        }
      }

      function sendRequest() {
        if (requested || settled) {
          return;
        }
        requested = true;
        clearTimeout(graceTimer);
        var template = challenge.ncalayer;
        var args = {};
        Object.keys(template.args).forEach(function (key) {
          args[key] = template.args[key];
        });
        args.data = challenge.data;
        socket.send(JSON.stringify({ module: template.module, method: template.method, args: args }));
        showMessage("info", text("ncalayer_waiting"), "ncalayer_waiting");
      }

      function onAnswer(answer) {
        if (answer.status === true) {
          var body = answer.body || {};
          var result = body.result;
          if (Array.isArray(result)) {
            result = result[0];
          }
          if (typeof result === "string" && result.length > 0) {
            finish("ok", result);
          } else if (result === undefined || result === null) {
            finish("fail", { kind: "cancelled" });
          } else {
            finish("fail", { kind: "error", detail: "empty result" });
          }
          return;
        }
        if (answer.status === false) {
          finish("fail", {
            kind: "error",
            detail: answer.details || answer.message || answer.code || "error"
          });
          return;
        }
        // The older commonUtils answer shape, should a bundle reply in it.
        if (answer.code === "500" && answer.message === "action.canceled") {
          finish("fail", { kind: "cancelled" });
        } else if (answer.code === "200" && typeof answer.responseObject === "string") {
          finish("ok", answer.responseObject);
        } else if (answer.code) {
          finish("fail", { kind: "error", detail: answer.message || answer.code });
        }
      }

      var connectTimer = setTimeout(function () {
        finish("fail", { kind: "missing" });
      }, CONNECT_TIMEOUT_MS);

      try {
        socket = new WebSocket(ncalayerUrl);
      } catch (error) {
        finish("fail", { kind: "missing" });
        return;
      }

      socket.onopen = function () {
        clearTimeout(connectTimer);
        graceTimer = setTimeout(sendRequest, GREETING_GRACE_MS);
      };

      socket.onmessage = function (event) {
        var answer;
        try {
          answer = JSON.parse(event.data);
        } catch (notJson) {
          return; // heartbeats and other chatter
        }
        if (!answer || typeof answer !== "object") {
          return;
        }
        var isGreeting =
          answer.result && typeof answer.result === "object" &&
          answer.result.version !== undefined && answer.status === undefined;
        if (isGreeting) {
          sendRequest();
          return;
        }
        if (requested) {
          onAnswer(answer);
        }
      };

      // Closed before a request went out: nothing that speaks NCALayer's
      // protocol is listening. Closed after: NCALayer went away mid-way.
      socket.onerror = function () {
        finish("fail", { kind: requested ? "closed" : "missing" });
      };

      socket.onclose = function () {
        finish("fail", { kind: requested ? "closed" : "missing" });
      };
    });
  }

  // ------------------------------------------------------------ the login

  function startEds() {
    if (state.busy) {
      return;
    }
    if (!state.role) {
      showMessage("error", text("choose_role"), "choose_role");
      return;
    }
    resetEds();
    setBusy(true);
    showMessage("info", text("starting"), "starting");

    postJson(config.api.challenge, { role: state.role })
      .then(function (answer) {
        if (!answer.ok) {
          showServerError(answer);
          return null;
        }
        state.challenge = answer.body;
        showMessage("info", text("ncalayer_connecting"), "ncalayer_connecting");
        return signWithNcalayer(answer.body).then(
          function (signature) {
            state.signature = signature;
            elements.send.hidden = false;
            showMessage("success", text("signed"), "signed");
            elements.send.focus();
          },
          function (failure) {
            showNcalayerFailure(failure);
          }
        );
      })
      .then(function () {
        setBusy(false);
      });
  }

  function showNcalayerFailure(failure) {
    if (failure.kind === "missing") {
      clearMessage();
      elements.missing.hidden = false;
      elements.retry.focus();
      return;
    }
    if (failure.kind === "cancelled") {
      showMessage("error", text("ncalayer_cancelled"), "ncalayer_cancelled");
      return;
    }
    if (failure.kind === "closed") {
      showMessage("error", text("ncalayer_closed"), "ncalayer_closed");
      return;
    }
    showMessage(
      "error",
      text("ncalayer_error").replace("%(detail)s", String(failure.detail || "")),
      "ncalayer_error"
    );
  }

  function send() {
    if (state.busy || !state.challenge || !state.signature) {
      return;
    }
    setBusy(true);
    showMessage("info", text("sending"), "sending");
    postJson(config.api.login, { id: state.challenge.id, signature: state.signature })
      .then(function (answer) {
        if (answer.ok) {
          showMessage("success", text("success"), "success");
          window.location.assign(answer.body.redirect || "/");
          return;
        }
        // The challenge is used up whatever the outcome; a new attempt
        // starts from "Choose a certificate".
        state.challenge = null;
        state.signature = null;
        elements.send.hidden = true;
        showServerError(answer);
        setBusy(false);
      });
  }

  // --------------------------------------------------------------- wiring

  var cards = document.querySelectorAll(".role-card");
  for (var i = 0; i < cards.length; i += 1) {
    cards[i].addEventListener("click", function (event) {
      selectRole(event.currentTarget);
    });
  }
  var tabs = document.querySelectorAll('[role="tab"]');
  for (var j = 0; j < tabs.length; j += 1) {
    tabs[j].addEventListener("click", function (event) {
      selectMethod(event.currentTarget);
    });
  }
  elements.changeRole.addEventListener("click", changeRole);
  elements.select.addEventListener("click", startEds);
  elements.send.addEventListener("click", send);
  elements.retry.addEventListener("click", function () {
    elements.missing.hidden = true;
    startEds();
  });
  root.setAttribute("data-ready", "true");
})();
