// The settings page: reads GET /v1/settings, saves with PUT /v1/settings
// (only the keys that changed), and before a shorter storage duration shows
// what the cleanup it starts will delete (GET /v1/settings/preview), with an
// export first. The admin token is kept as the dashboard keeps it: in this
// tab's sessionStorage only, under the same key, never in localStorage or a cookie.
"use strict";

(() => {
  const TOKEN_KEY = "telemetry-token";
  const LABELS = { collection: "Enable Telemetry", retention_days: "Storage Duration (days)" };
  const $ = (id) => document.getElementById(id);
  let current = null;   // the settings as the collector last answered them
  let pending = null;   // changes waiting for the shorter-duration confirmation

  function token() { return $("token").value || sessionStorage.getItem(TOKEN_KEY) || ""; }
  function headers() {
    const t = token();
    return t ? { Authorization: "Bearer " + t } : {};
  }

  function say(state, message, isError) {
    const status = $("status");
    status.className = isError ? "error" : "";
    status.textContent = message;
    document.body.dataset.state = state;
  }

  async function body(res) {
    try { return await res.json(); } catch { return {}; }
  }

  // An answer that is not 2xx, as a sentence and a state the page shows.
  async function failure(res, what) {
    const b = await body(res);
    if (res.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      $("token").value = "";
      $("token").focus();
      return ["unauthorized", `${what}: the collector did not accept the admin token. Enter it again.`];
    }
    if (res.status === 403)
      return ["forbidden", `${what}: the admin API is disabled: ${b.detail || "start the collector with --admin-token-file"}.`];
    if (res.status === 400) {
      const field = b.field ? `${LABELS[b.field] || b.field} (${b.field})` : "the request";
      return ["invalid", `${what}: the collector refused ${field}: ${b.detail || b.error || "invalid"}.`];
    }
    return ["failed", `${what}: the collector answered ${res.status}${b.error ? " (" + b.error + ")" : ""}.`];
  }

  async function request(method, path, what, payload) {
    const init = { method, headers: headers(), cache: "no-store" };
    if (payload !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(payload);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (err) {
      say("unreachable", `${what}: cannot reach the collector (${err.message}).`, true);
      return null;
    }
    if (res.ok) return res;
    const [state, message] = await failure(res, what);
    say(state, message, true);
    return null;
  }

  function utc(date) { return date.toISOString().slice(0, 19).replace("T", " ") + " UTC"; }

  function renderHistory(history) {
    const tbody = $("history").tBodies[0];
    tbody.replaceChildren();
    for (const h of history || []) {
      const at = new Date(h.at);
      const row = tbody.insertRow();
      const cells = [at.toLocaleString(), utc(at), LABELS[h.setting] || h.setting,
        `${h.old ?? "—"} → ${h.new ?? "—"}`, h.via];
      for (const c of cells) row.insertCell().textContent = c;
    }
    $("history-empty").hidden = tbody.rows.length > 0;
  }

  function render(settings) {
    current = settings;
    pending = null;
    $("preview").hidden = true;
    $("collection").checked = settings.collection === "on";
    $("retention").value = String(settings.retention_days);
    renderHistory(settings.history);
  }

  async function load() {
    const had = token() !== "";
    const res = await request("GET", "/v1/settings", "Cannot load the settings");
    if (!res) {
      if (document.body.dataset.state === "unauthorized")
        say("locked", had ? "That admin token was not accepted: enter it again."
                          : "This collector keeps its settings private: enter the admin token.", true);
      return false;
    }
    render(await res.json());
    say("ready", "");
    return true;
  }

  async function save(changes) {
    say("saving", "Saving…");
    const res = await request("PUT", "/v1/settings", "Not saved", changes);
    if (!res) return;
    if (await load()) say("saved", "Saved");
  }

  // The keys whose value in the form differs from the stored one.
  function changes() {
    const out = {};
    const collection = $("collection").checked ? "on" : "off";
    if (collection !== current.collection) out.collection = collection;
    const days = $("retention").value === "" ? NaN : Number($("retention").value);
    if (days !== current.retention_days) out.retention_days = days;
    return out;
  }

  async function submit() {
    if (!current && !(await load())) return;
    const retention = $("retention");
    if (!retention.checkValidity()) {
      say("invalid", `Not saved: ${LABELS.retention_days} must be a whole number from ${retention.min} to ${retention.max}.`, true);
      retention.focus();
      return;
    }
    if (!token()) {
      say("unauthorized", "Not saved: enter the admin token first.", true);
      $("token").focus();
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, token());
    const c = changes();
    if (!Object.keys(c).length) return say("unchanged", "Nothing to save: these are the stored settings.");
    if (c.retention_days === undefined || !(c.retention_days < current.retention_days)) return save(c);

    // A shorter duration: say what the next cleanup deletes before saving it.
    const res = await request("GET", `/v1/settings/preview?retention_days=${encodeURIComponent(c.retention_days)}`,
      "Not saved");
    if (!res) return;
    const p = await res.json();
    pending = c;
    $("preview-text").textContent =
      `Keeping ${p.retention_days} day(s) instead of ${current.retention_days} deletes ` +
      `${p.raw_events_to_delete} raw event(s) once saved (the collector cleans at once): those from before ` +
      `${p.first_kept_date}, the first day kept. The daily aggregates remain.`;
    $("export-status").textContent = "";
    $("preview").hidden = false;
    say("confirm", "Not saved yet: confirm below.");
  }

  // GET /v1/export needs the Authorization header, so it is fetched and
  // handed to the browser as a file rather than followed as a link.
  async function exportEvents() {
    $("export-status").textContent = "Exporting…";
    const res = await request("GET", "/v1/export", "Export failed");
    if (!res) return void ($("export-status").textContent = "");
    const text = await res.text();
    const name = `telemetry-export-${new Date().toISOString().slice(0, 10)}.ndjson`;
    const url = URL.createObjectURL(new Blob([text], { type: "application/x-ndjson" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    const lines = text.split("\n").filter((l) => l).length;
    $("export-status").textContent = `Exported ${lines} raw event(s) to ${name}.`;
    document.body.dataset.exported = String(lines);
  }

  $("login").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value);
    load();
  });
  $("settings").addEventListener("submit", (e) => {
    e.preventDefault();
    submit();
  });
  $("confirm").addEventListener("click", () => { if (pending) save(pending); });
  $("cancel").addEventListener("click", () => {
    render(current);
    say("ready", "Not saved.");
  });
  $("export").addEventListener("click", exportEvents);

  $("token").value = sessionStorage.getItem(TOKEN_KEY) || "";
  load();
})();
