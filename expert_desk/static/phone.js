// The browser phone: Twilio's Voice JS SDK (twilio-voice-sdk-*.min.js, vendored) registered
// as the signed-in agent with an access token from the console (POST /desk/phone/token),
// refreshed before it expires. Calls the agent accepts ring here: Answer, Decline, Hang up.
// The panel's state (registered, offline, ringing, on a call) is in #phone[data-state].
"use strict";

(function () {
  const panel = document.getElementById("phone");
  if (!panel || !panel.dataset.tokenUrl) {
    return;
  }
  const stateBadge = document.getElementById("phone-state");
  const note = document.getElementById("phone-note");
  const errorLine = document.getElementById("phone-error");
  const buttons = {
    answer: document.getElementById("phone-answer"),
    decline: document.getElementById("phone-decline"),
    hangup: document.getElementById("phone-hangup"),
  };
  const STATES = {
    connecting: ["Connecting… · 连接中", "Getting this browser ready to take the calls you accept.", []],
    registered: ["Ready · 已就绪", "Calls you accept ring here.", []],
    offline: [
      "Offline · 离线",
      "Not connected to Twilio: calls you accept cannot ring here until it is back.",
      [],
    ],
    ringing: ["Ringing · 来电", "The caller you accepted is on the line: answer to talk.", ["answer", "decline"]],
    answering: ["Answering… · 接通中", "Connecting your microphone and the caller.", ["hangup"]],
    "on-call": ["On a call · 通话中", "Hang up here when you are done; the caller hears the goodbye.", ["hangup"]],
    reconnecting: ["On a call · 通话中", "The sound dropped: getting it back.", ["hangup"]],
  };
  const AUTH_CODES = [20101, 20151, 31201, 31202, 31204];
  const EXPIRED_CODES = [20104, 31205];
  const NETWORK_CODES = [31005, 31009, 53000, 53001, 53405];

  let device = null;
  let call = null;

  function show(state) {
    const [label, text, visible] = STATES[state];
    panel.dataset.state = state;
    stateBadge.textContent = label;
    note.textContent = text;
    for (const [name, button] of Object.entries(buttons)) {
      button.hidden = !visible.includes(name);
    }
  }

  function fail(text) {
    errorLine.textContent = text || "";
    errorLine.hidden = !text;
  }

  function describe(error) {
    const code = error && error.code;
    if (code === 31401) {
      return "The browser may not use the microphone: allow it for this page (the icon in the address bar), then answer again. · 请允许使用麦克风";
    }
    if (code === 31402) {
      return "No microphone could be opened: plug one in or choose one in the browser's settings, then answer again. · 未找到麦克风";
    }
    if (AUTH_CODES.includes(code)) {
      return `Twilio refused this browser phone's access (error ${code}): ask the operator to check TWILIO_API_KEY, TWILIO_API_SECRET and TWILIO_TWIML_APP_SID.`;
    }
    if (NETWORK_CODES.includes(code)) {
      return `The connection to Twilio failed (error ${code}): check this computer's network; the phone reconnects by itself.`;
    }
    const text = (error && (error.explanation || error.message)) || String(error);
    return code ? `The browser phone failed (error ${code}): ${text}` : `The browser phone failed: ${text}`;
  }

  async function fetchToken() {
    let response;
    try {
      response = await fetch(panel.dataset.tokenUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": panel.dataset.csrf },
      });
    } catch (error) {
      throw new Error("The console cannot be reached: check the network, then reload the page.");
    }
    if (response.status === 401) {
      throw new Error("You are signed out: sign in again to take calls here.");
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok || !body.token) {
      throw new Error(body.error || `The console gave no phone access (HTTP ${response.status}): reload the page.`);
    }
    return body;
  }

  async function refreshToken() {
    try {
      device.updateToken((await fetchToken()).token);
    } catch (error) {
      fail(error.message);
    }
  }

  function idle() {
    call = null;
    show(device && device.state === "registered" ? "registered" : "offline");
  }

  function ring(incoming) {
    call = incoming;
    fail("");
    show("ringing");
    incoming.on("accept", () => show("on-call"));
    incoming.on("reconnecting", () => show("reconnecting"));
    incoming.on("reconnected", () => show("on-call"));
    incoming.on("cancel", idle);
    incoming.on("disconnect", idle);
    incoming.on("reject", idle);
    incoming.on("error", (error) => fail(describe(error)));
  }

  buttons.answer.addEventListener("click", () => {
    if (call) {
      show("answering");
      call.accept();
    }
  });
  buttons.decline.addEventListener("click", () => {
    if (call) {
      call.reject();
      idle();
    }
  });
  buttons.hangup.addEventListener("click", () => {
    if (call) {
      call.disconnect();
    }
  });

  function sounds() {
    const names = ["incoming", "outgoing", "disconnect", "dtmfs", "dtmfh"];
    for (let digit = 0; digit <= 9; digit += 1) {
      names.push(`dtmf${digit}`);
    }
    const urls = {};
    for (const name of names) {
      urls[name] = name === "incoming" ? panel.dataset.ringUrl : panel.dataset.toneUrl;
    }
    return urls;
  }

  async function start() {
    show("connecting");
    let grant;
    try {
      grant = await fetchToken();
    } catch (error) {
      fail(error.message);
      show("offline");
      return;
    }
    const options = {
      closeProtection: "You are on a call: leaving this page hangs it up.",
      sounds: sounds(),
      // Ask for a new token well before this one expires (at most a minute before).
      tokenRefreshMs: Math.min(60000, grant.ttl_s * 500),
    };
    if (panel.dataset.signalling) {
      // A stand-in for Twilio's signalling (tests, the local simulator): the SDK's own
      // option for another signalling host, and no Voice Insights events to send.
      options.chunderw = panel.dataset.signalling;
      options.publishEvents = false;
    }
    device = new Twilio.Device(grant.token, options);
    device.on("registering", () => call || show("connecting"));
    device.on("registered", () => {
      fail("");
      if (!call) {
        show("registered");
      }
    });
    device.on("unregistered", () => call || show("offline"));
    device.on("error", (error) => {
      if (EXPIRED_CODES.includes(error && error.code)) {
        refreshToken();
        return;
      }
      fail(describe(error));
    });
    device.on("tokenWillExpire", refreshToken);
    device.on("incoming", ring);
    try {
      await device.register();
    } catch (error) {
      fail(describe(error));
      show("offline");
    }
  }

  start();
})();
