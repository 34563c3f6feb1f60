// agol-jupyter sign-in widget (anywidget ES module; plain DOM, no build step, no imports).
//
// The kernel owns the authoritative state through the model's traits. The page keeps a few
// states of its own (waiting, finishing, an error from the server) by setting the model without
// saving: messages to the kernel queue up while the login cell runs, and a stale "waiting" that
// arrived after the kernel's "signed_in" would overwrite it. Anything the kernel sends wins.

const CHANNEL = "agol-jupyter";
const DONE = "agol-jupyter:done";
// Posted by whatever signs out in this browser (a widget, the JupyterLab extension).
const SIGNED_OUT = "agol-jupyter:signed-out";
const POPUP_NAME = "agol-jupyter-signin";
const POPUP_FEATURES = "popup,width=520,height=720";
const SIGN_IN_STATES = new Set(["ready", "signed_out", "error", "cancelled"]);
// How long "finishing" may last before the widget suggests that no cell is waiting any more
// (the kernel may still be importing arcgis, so not too short).
const FINISH_GRACE_MS = 20000;

/** Format a remaining duration for the countdown: "3 m 20 s", "1 h 45 m", "14 days". */
export function formatRemaining(seconds) {
  if (typeof seconds !== "number" || Number.isNaN(seconds)) return "unknown";
  if (seconds === Infinity) return "unknown";
  const s = Math.max(0, Math.floor(seconds));
  const pair = (a, unitA, b, unitB) => (b ? `${a} ${unitA} ${b} ${unitB}` : `${a} ${unitA}`);
  if (s < 60) return `${s} s`;
  if (s < 3600) return pair(Math.floor(s / 60), "m", s % 60, "s");
  if (s < 86400) return pair(Math.floor(s / 3600), "h", Math.floor((s % 3600) / 60), "m");
  const days = Math.floor(s / 86400);
  const dayText = days === 1 ? "1 day" : `${days} days`;
  const hours = Math.floor((s % 86400) / 3600);
  return days < 7 && hours ? `${dayText} ${hours} h` : dayText;
}

/** A moment for people: "1 Jun 2025, 14:00" in the browser's locale and time zone. */
export function formatDate(epochSeconds) {
  const date = new Date(epochSeconds * 1000);
  if (Number.isNaN(date.getTime())) return "unknown";
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function jupyterBaseUrl() {
  let base = "/";
  const el = document.getElementById("jupyter-config-data");
  if (el) {
    try {
      const config = JSON.parse(el.textContent || "{}");
      if (typeof config.baseUrl === "string" && config.baseUrl) base = config.baseUrl;
    } catch {
      // No usable page config (VS Code, Colab): the server root is the best guess.
    }
  }
  return base.endsWith("/") ? base : `${base}/`;
}

function xsrfToken() {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === "_xsrf") return decodeURIComponent(rest.join("="));
  }
  return "";
}

async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-XSRFToken": xsrfToken() },
    body: JSON.stringify(body),
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  return { response, data };
}

// Turn a failed answer from the server into one sentence that says what to do.
function serverErrorText(response, data) {
  if (data && typeof data === "object" && typeof data.error === "string") {
    return [data.message, data.remedy].filter(Boolean).join(" ") || data.error;
  }
  const what = `The Jupyter server answered HTTP ${response.status}${
    response.statusText ? ` ${response.statusText}` : ""
  }`;
  if (response.status === 404) {
    return (
      `${what}: the agol-jupyter server extension is not running. ` +
      "Install agol-jupyter in the environment that runs Jupyter, then restart Jupyter."
    );
  }
  if (response.status === 403) {
    return `${what}: it refused the request. Reload this page and try again.`;
  }
  const detail = data && typeof data.message === "string" ? ` (${data.message})` : "";
  return `${what}${detail}. Check the Jupyter server log, then try again.`;
}

function node(tag, className, attrs = {}) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  return el;
}

function render({ model, el }) {
  const base = jupyterBaseUrl();
  const local = { blocked: false, busy: "", stale: false, doneText: "" };
  let timer = null;
  let finishTimer = null;
  let badgeKey = null;

  const root = node("div", "agol-signin");
  const badge = node("div", "agol-badge");
  const body = node("div", "agol-body");
  const title = node("div", "agol-title");
  const line = node("p", "agol-line");
  const statusText = node("span", "agol-status", { "aria-live": "polite" });
  // The countdown sits outside the live region so screen readers are not told every second.
  const expiry = node("span", "agol-expiry");
  const alert = node("p", "agol-message", { role: "alert" });
  const actions = node("div", "agol-actions");
  line.append(statusText, expiry);
  body.append(title, line, alert);
  root.append(badge, body, actions);
  el.append(root);

  const get = (name) => model.get(name) ?? "";
  const portalName = () => get("portal_name") || "ArcGIS";
  const flowParams = () => ({
    request_id: get("request_id"),
    portal: get("portal_url"),
    client_id: get("client_id"),
    profile: get("profile") || "default",
  });
  const linkUrl = () => {
    const given = get("link_url");
    if (given) return given;
    const { request_id, portal, client_id, profile } = flowParams();
    const query = new URLSearchParams({ request_id, portal, client_id, profile });
    return `${base}agol/login?${query}`;
  };
  // Local states: set on the model but never saved, so the kernel's next update replaces them.
  const showLocal = (status, message = "") => {
    local.busy = "";
    local.stale = false;
    model.set("message", message);
    model.set("status", status);
    update();
  };

  function button(text, className, onClick, label) {
    const b = node("button", `agol-button ${className}`, { type: "button" });
    b.textContent = text;
    if (label) b.setAttribute("aria-label", label);
    if (local.busy) b.disabled = true;
    b.addEventListener("click", onClick);
    return b;
  }

  function fallbackLink(text) {
    const a = node("a", "agol-link", { href: linkUrl(), target: "_blank", rel: "noopener" });
    a.textContent = text;
    return a;
  }

  function startSignIn() {
    // Open the window inside the click handler itself, or popup blockers refuse it.
    const popup = window.open("", POPUP_NAME, POPUP_FEATURES);
    if (!popup) {
      local.blocked = true;
      showLocal("waiting");
      return;
    }
    local.blocked = false;
    try {
      const doc = popup.document;
      doc.title = `Sign in to ${portalName()}`;
      doc.body.style.cssText = "font: 15px system-ui, sans-serif; margin: 2em; color: #444";
      doc.body.textContent = `Opening the ${portalName()} sign-in page…`;
    } catch {
      // A window left on another origin by an earlier attempt: just navigate it below.
    }
    local.busy = "start";
    update();
    postJson(`${base}agol/api/flows`, flowParams())
      .then(({ response, data }) => {
        if (response.ok && data && typeof data.start_url === "string") {
          if (popup.closed) {
            showLocal("cancelled", "The sign-in window was closed. Click Try again to sign in.");
            return;
          }
          popup.location.href = new URL(data.start_url, window.location.href).href;
          popup.focus();
          showLocal("waiting");
        } else {
          popup.close();
          showLocal("error", serverErrorText(response, data));
        }
      })
      .catch((err) => {
        popup.close();
        showLocal(
          "error",
          `Could not reach the Jupyter server (${err && err.message ? err.message : err}). ` +
            "Check that Jupyter is still running, then try again.",
        );
      });
  }

  function signOut() {
    local.busy = "signout";
    update();
    const { portal, client_id, profile } = flowParams();
    postJson(`${base}agol/api/logout`, { portal, client_id, profile })
      .then(({ response, data }) => {
        if (response.ok) {
          announce({ type: SIGNED_OUT, portal, client_id, profile });
          model.set("username", "");
          model.set("expires_at", 0);
          // Signed out here, but the portal may not have been told: say so.
          const note = data && data.revoked === false && typeof data.message === "string";
          showLocal("signed_out", note ? data.message : "");
        } else {
          showLocal("error", serverErrorText(response, data));
        }
      })
      .catch((err) => {
        showLocal(
          "error",
          `Could not reach the Jupyter server to sign out (${err && err.message ? err.message : err}).`,
        );
      });
  }

  function tick() {
    const expiresAt = Number(model.get("expires_at")) || 0;
    if (!expiresAt) {
      expiry.textContent = "";
      return;
    }
    const left = expiresAt - Date.now() / 1000;
    if (left <= 0) {
      expiry.textContent = " · session expired";
    } else if (model.get("saved_session")) {
      expiry.textContent = ` · refresh token valid until ${formatDate(expiresAt)}`;
    } else {
      expiry.textContent = ` · expires in ${formatRemaining(left)}`;
    }
  }

  function stopTimers() {
    if (timer !== null) clearInterval(timer);
    if (finishTimer !== null) clearTimeout(finishTimer);
    timer = null;
    finishTimer = null;
  }

  function update() {
    const status = get("status") || "ready";
    const name = portalName();
    root.dataset.status = status;
    root.dataset.blocked = local.blocked && status === "waiting" ? "true" : "false";
    root.setAttribute("aria-busy", local.busy ? "true" : "false");

    const logo = get("logo_data_url");
    // Rebuild the badge only when it changes, so the image neither reloads nor flickers.
    if (badgeKey !== `${name}\n${logo}`) {
      badgeKey = `${name}\n${logo}`;
      if (logo.startsWith("data:image/")) {
        badge.replaceChildren(node("img", "agol-logo", { src: logo, alt: `${name} logo` }));
      } else {
        const initial = node("span", "agol-initial", { "aria-hidden": "true" });
        initial.textContent = name.trim().charAt(0).toUpperCase() || "A";
        badge.replaceChildren(initial);
      }
    }
    title.textContent = name;

    const message = get("message");
    alert.textContent = message;
    alert.hidden = !(message && (status === "error" || status === "cancelled"));

    stopTimers();
    expiry.textContent = "";
    // The buttons are rebuilt below; keep keyboard focus in the widget if it was on one.
    const hadFocus = actions.contains(document.activeElement);
    actions.replaceChildren();
    const signInLabel = `Sign in to ${name}`;

    if (SIGN_IN_STATES.has(status)) {
      const retry = status === "error" || status === "cancelled";
      statusText.textContent = {
        ready: "Sign in with your organization account.",
        signed_out: [`Signed out of ${name}.`, message].filter(Boolean).join(" "),
        error: "Sign-in did not finish.",
        cancelled: "Sign-in was cancelled.",
      }[status];
      if (local.busy === "start") statusText.textContent = `Opening the ${name} sign-in page…`;
      actions.append(
        retry
          ? button("Try again", "agol-primary", startSignIn, `Try again: ${signInLabel}`)
          : button(signInLabel, "agol-primary", startSignIn),
      );
    } else if (status === "waiting") {
      statusText.textContent = local.blocked
        ? "The browser blocked the sign-in popup. Open the sign-in page in a new tab instead."
        : `Waiting for you to sign in to ${name} in the popup…`;
      actions.append(
        fallbackLink("Open the sign-in page"),
        button("Cancel", "agol-secondary agol-small", () => {
          local.blocked = false;
          showLocal("ready");
        }),
      );
    } else if (status === "finishing") {
      root.dataset.stale = local.stale ? "true" : "false";
      if (local.stale) {
        statusText.textContent =
          `${local.doneText || "Signed in."} If the cell that started the sign-in has ` +
          "already finished, run it again to use the session.";
      } else {
        statusText.textContent = "Signed in, finishing…";
        finishTimer = setTimeout(() => {
          local.stale = true;
          update();
        }, FINISH_GRACE_MS);
      }
    } else if (status === "signed_in") {
      const who = get("username");
      const full = get("full_name");
      const org = get("org_name");
      let text = `Signed in as ${who}`;
      if (full) text += ` (${full})`;
      if (org) text += ` · ${org}`;
      const profile = get("profile");
      if (profile && profile !== "default") text += ` · profile ${profile}`;
      if (model.get("saved_session")) text += " · saved session";
      statusText.textContent = text;
      tick();
      if (Number(model.get("expires_at")) > 0) timer = setInterval(tick, 1000);
      actions.append(
        button(local.busy === "signout" ? "Signing out…" : "Sign out", "agol-secondary", signOut),
      );
    }
    if (hadFocus) actions.querySelector("button:not(:disabled), a")?.focus();
  }

  function onDone(data) {
    if (!data || typeof data !== "object" || data.type !== DONE) return;
    if (!data.request_id || data.request_id !== get("request_id")) return;
    // The kernel may already have finished; a late "done" must not step back from signed_in.
    if (get("status") === "signed_in") return;
    local.blocked = false;
    if (data.status === "ok") {
      local.doneText = typeof data.message === "string" ? data.message : "";
      showLocal("finishing");
    } else if (data.status === "cancelled") {
      showLocal("cancelled", data.message || "Sign-in was cancelled. Click Try again to restart.");
    } else {
      showLocal("error", data.message || "Sign-in failed. Click Try again to restart.");
    }
  }

  function onSignedOut(data) {
    if (!data || typeof data !== "object" || data.type !== SIGNED_OUT) return;
    const mine = flowParams();
    const same =
      data.portal === mine.portal &&
      data.client_id === mine.client_id &&
      (data.profile || "default") === (mine.profile || "default");
    if (!same || get("status") !== "signed_in") return;
    model.set("username", "");
    model.set("expires_at", 0);
    showLocal("signed_out", "");
  }

  function announce(message) {
    // BroadcastChannel does not echo to its sender: other widgets and the lab extension hear it.
    try {
      if (channel) channel.postMessage(message);
    } catch (_err) {
      // A closed channel: nobody is listening any more.
    }
  }

  function onMessage(data) {
    onDone(data);
    onSignedOut(data);
  }

  const onWindowMessage = (event) => {
    if (event.origin === window.location.origin) onMessage(event.data);
  };
  window.addEventListener("message", onWindowMessage);
  let channel = null;
  if (typeof BroadcastChannel === "function") {
    channel = new BroadcastChannel(CHANNEL);
    channel.onmessage = (event) => onMessage(event.data);
  }

  const traits = [
    "status",
    "message",
    "portal_name",
    "logo_data_url",
    "username",
    "full_name",
    "org_name",
    "expires_at",
    "saved_session",
    "profile",
    "link_url",
    "request_id",
  ];
  const onChange = () => {
    // A change from the kernel ends whatever the page was doing on its own.
    local.busy = "";
    local.stale = false;
    update();
  };
  for (const name of traits) model.on(`change:${name}`, onChange);
  update();

  return () => {
    stopTimers();
    window.removeEventListener("message", onWindowMessage);
    if (channel) channel.close();
    for (const name of traits) model.off(`change:${name}`, onChange);
  };
}

export default { render };
