// The fleet dashboard: reads GET /v1/stats and draws SVG charts. No library:
// a handful of bar and line charts do not need one, and the collector then
// serves three small files it was built with, with a strict CSP.
"use strict";

(() => {
  const SVG = "http://www.w3.org/2000/svg";
  const PALETTE = ["#3366cc", "#dc6b2f", "#2e9e6b", "#9c4fb8", "#c9a227", "#d64f7f", "#3aa5b7", "#7a7f8c"];
  const state = { token: sessionStorage.getItem("telemetry-token") || "" };

  function el(name, attrs, parent) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (parent) parent.appendChild(node);
    return node;
  }

  function text(parent, x, y, content, attrs) {
    const t = el("text", Object.assign({ x, y }, attrs || {}), parent);
    t.textContent = content;
    return t;
  }

  function clear(id) {
    const box = document.getElementById(id);
    box.replaceChildren();
    return box;
  }

  function empty(box, message) {
    const svg = el("svg", { viewBox: "0 0 400 60", role: "img" }, box);
    text(svg, 200, 34, message || "No data for this period", { "text-anchor": "middle", class: "empty" });
    box.dataset.rendered = "empty";
  }

  // Human labels for bucket values: each is the bucket's upper bound, and the
  // last bucket (11 TiB, 31 days) stands for "more than" the one before.
  function bytesLabel(v) {
    const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let i = 0, x = Number(v);
    while (x >= 1024 && i < units.length - 1) { x /= 1024; i++; }
    if (units[i] === "TiB" && x === 11) return "> 10 TiB";
    return "≤ " + (Number.isInteger(x) ? x : x.toFixed(1)) + " " + units[i];
  }
  function durationLabel(v) {
    const days = Number(v) / 1e9 / 86400;  // Go durations are nanoseconds
    if (days === 31) return "> 30 days";
    return "≤ " + (Number.isInteger(days) ? days : days.toFixed(1)) + (days === 1 ? " day" : " days");
  }

  // Vertical bars (or a line) over days. series: [{name, values: [..per day]}], stacked.
  function timeChart(id, dates, series) {
    const box = clear(id);
    if (!dates.length) return empty(box);
    const W = 900, H = 220, L = 44, B = 36, T = 10, R = 10;
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img" }, box);
    const totals = dates.map((_, i) => series.reduce((s, x) => s + (x.values[i] || 0), 0));
    const max = Math.max(1, ...totals);
    const plotW = W - L - R, plotH = H - T - B;
    const bw = plotW / dates.length;
    for (let g = 0; g <= 4; g++) {
      const y = T + plotH - (plotH * g) / 4;
      el("line", { x1: L, x2: W - R, y1: y, y2: y, stroke: "#e6e9ef" }, svg);
      text(svg, L - 6, y + 4, String(Math.round((max * g) / 4)), { "text-anchor": "end" });
    }
    dates.forEach((d, i) => {
      let base = 0;
      series.forEach((s, k) => {
        const v = s.values[i] || 0;
        if (!v) return;
        const h = (plotH * v) / max;
        const rect = el("rect", {
          x: L + i * bw + bw * 0.12, width: Math.max(1, bw * 0.76),
          y: T + plotH - ((base + v) * plotH) / max, height: h,
          fill: PALETTE[k % PALETTE.length], class: "bar",
        }, svg);
        el("title", {}, rect).textContent = `${d} ${s.name}: ${v}`;
        base += v;
      });
      const every = Math.ceil(dates.length / 10);
      if (i % every === 0) text(svg, L + i * bw + bw / 2, H - B + 16, d.slice(5), { "text-anchor": "middle" });
    });
    if (series.length > 1) legend(box, series.map((s) => s.name));
    box.dataset.rendered = "chart";
  }

  // The value /v1/stats counts the nodes under that did not report a field
  // (an older release's payload has no such key).
  const ABSENT = "(absent)";
  const ABSENT_LABEL = "not reported by older releases";

  // Horizontal bars: rows [{label, value}] with value shown as count and share
  // of `total` (or of the row's own `total`, with its `note`).
  function barChart(id, rows, total, asPercent) {
    const box = clear(id);
    if (!rows.length || !total) return empty(box);
    const W = 460, row = 22, L = 190, R = 80;
    const H = rows.length * row + 8;
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img" }, box);
    const max = asPercent ? total : Math.max(...rows.map((r) => r.value));
    rows.forEach((r, i) => {
      const y = 4 + i * row;
      text(svg, L - 6, y + 14, r.label.length > 28 ? r.label.slice(0, 27) + "…" : r.label, { "text-anchor": "end" });
      const of = r.total !== undefined ? r.total : total;
      const w = ((W - L - R) * (asPercent ? r.value / Math.max(1, of) : r.value / Math.max(1, max)));
      const rect = el("rect", { x: L, y: y + 3, width: Math.max(1, w), height: row - 8,
        fill: PALETTE[i % PALETTE.length], class: "bar" }, svg);
      el("title", {}, rect).textContent = `${r.label}: ${r.value} of ${of} nodes` + (r.note ? `; ${r.note}` : "");
      const share = of ? Math.round((100 * r.value) / of) : 0;
      text(svg, L + w + 6, y + 14, asPercent ? `${share}%` : `${r.value} (${share}%)`, { class: "value" });
    });
    box.dataset.rendered = "chart";
  }

  function legend(box, names) {
    const div = document.createElement("div");
    div.className = "legend";
    names.forEach((n, k) => {
      const span = document.createElement("span");
      const sw = el("svg", { viewBox: "0 0 10 10" }, span);
      el("rect", { width: 10, height: 10, fill: PALETTE[k % PALETTE.length] }, sw);
      span.append(n);
      div.appendChild(span);
    });
    box.appendChild(div);
  }

  function distribution(day, field, label) {
    const values = (day.fields[field]) || {};
    // Nodes of older releases (no such key) last, by their own name.
    return Object.entries(values)
      .map(([v, n]) => ({ label: v === ABSENT ? ABSENT_LABEL : label ? label(v) : v, raw: v, value: n }))
      .sort((a, b) => (a.raw === ABSENT) - (b.raw === ABSENT) ||
        (label ? Number(a.raw) - Number(b.raw) : b.value - a.value));
  }

  // Field types come from the payload schema the collector validates with
  // (GET /v1/schema): a feature flag is a field the schema types boolean,
  // never a string field whose values happen to read "true" or "false".
  let booleanFields = null;
  async function loadBooleanFields() {
    if (booleanFields) return booleanFields;
    const res = await fetch("/v1/schema", { cache: "no-store" });
    if (!res.ok) throw new Error(`the collector answered ${res.status} for its schema`);
    const schema = await res.json();
    booleanFields = new Set(Object.entries(schema.properties || {})
      .filter(([, p]) => p.type === "boolean").map(([field]) => field));
    return booleanFields;
  }

  function render(stats, flagFields) {
    const days = stats.days || [];
    const dates = days.map((d) => d.date);
    timeChart("chart-active", dates, [{ name: "active nodes", values: days.map((d) => d.active_nodes) }]);

    // Agent versions: the 7 most common over the period, the rest as "other".
    const totals = {};
    days.forEach((d) => Object.entries(d.fields.agent_version || {}).forEach(([v, n]) => { totals[v] = (totals[v] || 0) + n; }));
    const top = Object.keys(totals).sort((a, b) => totals[b] - totals[a]).slice(0, 7);
    const series = top.map((v) => ({ name: v, values: days.map((d) => (d.fields.agent_version || {})[v] || 0) }));
    if (Object.keys(totals).length > top.length)
      series.push({ name: "other", values: days.map((d) => Object.entries(d.fields.agent_version || {})
        .filter(([v]) => !top.includes(v)).reduce((s, [, n]) => s + n, 0)) });
    timeChart("chart-versions", dates, series);

    const last = days[days.length - 1] || { active_nodes: 0, fields: {} };
    const n = last.active_nodes;
    barChart("chart-os", distribution(last, "platform_os"), n);
    barChart("chart-arch", distribution(last, "platform_arch"), n);
    barChart("chart-repo", distribution(last, "repo_size_bucket", bytesLabel), n);
    barChart("chart-uptime", distribution(last, "uptime_bucket", durationLabel), n);
    barChart("chart-routing", distribution(last, "routing_type"), n);

    // Feature flags: every field the schema types boolean, as a share of the
    // nodes that report it: those of older releases that do not are named
    // apart, never counted as "false".
    const flags = Object.entries(last.fields)
      .filter(([field]) => flagFields.has(field))
      .map(([field, values]) => {
        const absent = values[ABSENT] || 0;
        return { label: field, value: values["true"] || 0, total: n - absent, absent,
          note: absent ? `${absent} ${ABSENT_LABEL}` : "" };
      })
      .sort((a, b) => b.value / Math.max(1, b.total) - a.value / Math.max(1, a.total) || b.value - a.value);
    barChart("chart-flags", flags, n, true);
    // Said in words too, not only in each bar's title.
    const note = document.getElementById("flags-note");
    const unreported = flags.filter((f) => f.absent > 0);
    note.hidden = unreported.length === 0;
    note.textContent = unreported.map((f) => `${f.label}: ${f.absent} of ${n} nodes ${ABSENT_LABEL}`).join("; ") +
      (unreported.length ? ". Shares are of the nodes that report the field." : "");

    const status = document.getElementById("status");
    status.className = "";
    status.textContent = days.length
      ? `${days.length} day(s) with data; ${n} node(s) active on ${last.date}.`
      : "No data for this period yet.";
    document.body.dataset.state = "ready";
  }

  // The notice that collection is off (GET /v1/settings). The charts do not
  // depend on it: an answer other than 200 leaves the notice as it was.
  async function loadCollectionNotice(headers) {
    try {
      const res = await fetch("/v1/settings", { headers, cache: "no-store" });
      if (!res.ok) return;
      const settings = await res.json();
      document.getElementById("collection-notice").hidden = settings.collection !== "off";
      document.body.dataset.collection = settings.collection;
    } catch {
      // No notice when the settings cannot be read; the statistics say why.
    }
  }

  async function load() {
    const days = document.getElementById("days").value;
    const headers = state.token ? { Authorization: "Bearer " + state.token } : {};
    const status = document.getElementById("status");
    const login = document.getElementById("login");
    const notice = loadCollectionNotice(headers);
    try {
      const res = await fetch(`/v1/stats?days=${encodeURIComponent(days)}`, { headers, cache: "no-store" });
      if (res.status === 401) {
        login.hidden = false;
        status.textContent = state.token ? "That token was not accepted." : "";
        document.body.dataset.state = "locked";
        return;
      }
      if (!res.ok) throw new Error(`the collector answered ${res.status}`);
      login.hidden = true;
      const stats = await res.json();
      const flagFields = await loadBooleanFields();
      await notice;
      render(stats, flagFields);
    } catch (err) {
      status.className = "error";
      status.textContent = "Cannot load statistics: " + err.message;
      document.body.dataset.state = "failed";
    }
  }

  document.getElementById("days").addEventListener("change", load);
  document.getElementById("login").addEventListener("submit", (e) => {
    e.preventDefault();
    state.token = document.getElementById("token").value;
    sessionStorage.setItem("telemetry-token", state.token);
    load();
  });
  load();
})();
