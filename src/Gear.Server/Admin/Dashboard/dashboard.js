// Gear admin dashboard: polls /api/v1 about once a second and renders the server, its tables and their
// details. Plain DOM and <canvas>/<svg> drawing, no libraries: the page loads nothing but this server's files.
"use strict";

(() => {
  const REFRESH_MS = 1000;
  const PAGE_SIZE = 25;
  const MAX_OPEN_DETAILS = 5; // details cost a histogram pass each; keep the polling cheap at 100 tables

  const state = { offset: 0, filter: "", open: new Set(), firstLoad: true, updates: 0, total: 0 };
  const $ = (id) => document.getElementById(id);

  // ---------- formatting ----------
  const integer = (n) => (n === null || n === undefined) ? "–" : Math.round(n).toLocaleString("en-US");
  const rate = (n) => n >= 100 ? integer(n) : (Math.round(n * 10) / 10).toLocaleString("en-US");
  function bytes(n) {
    if (!n) return "0 B";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (n >= 100 || i === 0 ? Math.round(n) : n.toFixed(1)) + " " + units[i];
  }
  function duration(seconds) {
    const s = Math.floor(seconds), d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    return d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s % 60}s` : `${s}s`;
  }
  // Unbounded diffs arrive as ±1.8e308 (double.MaxValue) or as the strings "Infinity" / "-Infinity".
  const diff = (v) => typeof v === "string" ? (v.startsWith("-") ? "−∞" : "∞") : Math.abs(v) >= 1e300 ? (v < 0 ? "−∞" : "∞") : rate(v);

  // ---------- DOM helpers (text only: names come from the server and are never parsed as HTML) ----------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v; else if (k === "data") Object.assign(node.dataset, v); else node.setAttribute(k, v);
    }
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }
  const setText = (id, text) => { const node = $(id); if (node.textContent !== text) node.textContent = text; };

  // ---------- fetching ----------
  async function getJson(url) {
    const response = await fetch(url, { cache: "no-store", headers: { Accept: "application/json" } });
    if (!response.ok) {
      let message = response.status + " " + response.statusText;
      try { message += ": " + (await response.json()).error; } catch { /* not JSON */ }
      throw new Error(url + " → " + message);
    }
    return response.json();
  }

  async function refresh() {
    try {
      const query = `offset=${state.offset}&limit=${PAGE_SIZE}` + (state.filter ? `&filter=${encodeURIComponent(state.filter)}` : "");
      const [server, page] = await Promise.all([getJson("/api/v1/server"), getJson("/api/v1/tables?" + query)]);
      if (state.firstLoad && page.tables.length > 0) {
        state.open.add(page.tables[0].name); // show one table's details without a click
        state.firstLoad = false;
      }
      const visibleOpen = page.tables.map((t) => t.name).filter((n) => state.open.has(n)).slice(0, MAX_OPEN_DETAILS);
      const details = await Promise.all(visibleOpen.map((n) =>
        getJson("/api/v1/tables/" + encodeURIComponent(n)).catch(() => null)));
      renderServer(server);
      renderTables(page, new Map(visibleOpen.map((n, i) => [n, details[i]])));
      state.updates++;
      document.body.dataset.updates = String(state.updates);
      setText("last-update", new Date().toLocaleTimeString("en-GB"));
      $("error-banner").hidden = true;
    } catch (error) {
      const banner = $("error-banner");
      banner.textContent = "Cannot reach the server: " + error.message + " (retrying)";
      banner.hidden = false;
      console.warn("gear dashboard: refresh failed:", error.message);
    } finally {
      setTimeout(refresh, REFRESH_MS);
    }
  }

  // ---------- server ----------
  function renderServer(s) {
    setText("server-version", "v" + s.version.split("+")[0] + " · up " + duration(s.uptimeSeconds));
    const ready = $("server-ready");
    ready.textContent = s.ready ? "ready" : s.readyState;
    ready.className = "badge " + (s.ready ? "ok" : "bad");
    setText("table-count", integer(s.tableCount));
    setText("server-items-inserted", integer(s.itemsInserted));
    setText("server-windows-sampled", integer(s.windowsSampled));
    setText("server-insert-rate", rate(s.insertRate));
    setText("server-sample-rate", rate(s.sampleRate));
    setText("server-connections", integer(s.grpcConnections));
    setText("server-actors", integer(s.actors));
    setText("server-learners", integer(s.learners));
    setText("server-host-used", bytes(s.memory.hostUsedBytes));
    setText("server-host-reserved", bytes(s.memory.hostReservedBytes));
    setText("server-device", s.memory.device);
    setText("server-device-bytes", bytes(s.memory.deviceUsedBytes) + " used of " + bytes(s.memory.deviceReservedBytes));
    setText("server-backend", s.backend + " · " + s.device);
    setText("server-backend-reason", s.backendReason);
    setText("server-data-plane", s.dataPlane);
    setText("server-checkpoint", s.lastCheckpoint);
    drawRates($("server-rate-chart"), s.rates);
  }

  // ---------- tables ----------
  function limiterText(l) {
    if (l.blockedInserters > 0 || l.blockedSamplers > 0)
      return el("span", { class: "limiter-blocked" },
        `blocked: ${l.blockedInserters} inserter${l.blockedInserters === 1 ? "" : "s"}, ${l.blockedSamplers} sampler${l.blockedSamplers === 1 ? "" : "s"}`);
    return el("span", {}, (l.canInsert ? "insert ok" : "insert held") + " · " + (l.canSample ? "sample ok" : "sample held"));
  }

  function renderTables(page, details) {
    state.total = page.total;
    const last = Math.min(page.offset + page.tables.length, page.total);
    setText("page-info", page.total === 0 ? "no tables" : `${page.offset + 1}–${last} of ${page.total}`);
    $("page-prev").disabled = page.offset === 0;
    $("page-next").disabled = last >= page.total;

    const rows = [];
    for (const t of page.tables) {
      const open = state.open.has(t.name);
      const row = el("tr", { class: "table-row" + (open ? " open" : ""), data: { table: t.name } },
        el("td", { class: "name" }, t.name),
        el("td", {}, t.sampler),
        el("td", { class: "num items" }, integer(t.items)),
        el("td", { class: "num steps" }, integer(t.steps)),
        el("td", { class: "num memory" }, bytes(t.memory.hostUsedBytes) + " / " + bytes(t.memory.hostReservedBytes)),
        el("td", { class: "num device" }, t.memory.deviceReservedBytes > 0 ? bytes(t.memory.deviceUsedBytes) : "no device"),
        el("td", { class: "num insert-rate" }, rate(t.insertRate)),
        el("td", { class: "num sample-rate" }, rate(t.sampleRate)),
        el("td", { class: "limiter" }, limiterText(t.rateLimiter)),
        el("td", { class: "num actors" }, integer(t.actors)),
        el("td", { class: "num learners" }, integer(t.learners)));
      row.addEventListener("click", () => {
        if (state.open.has(t.name)) state.open.delete(t.name); else state.open.add(t.name);
        row.classList.toggle("open");
      });
      rows.push(row);
      const detail = details.get(t.name);
      if (open && detail) rows.push(detailRow(detail));
    }
    $("table-rows").replaceChildren(...rows);
    for (const canvas of document.querySelectorAll("canvas.table-rate-chart"))
      drawRates(canvas, JSON.parse(canvas.dataset.rates));
  }

  function detailRow(d) {
    const s = d.summary, l = s.rateLimiter;
    const chart = el("canvas", { class: "rate-chart table-rate-chart", width: "600", height: "140", data: { rates: JSON.stringify(d.rates) } });
    const section = el("section", { class: "detail table-detail", data: { table: s.name } },
      el("div", {}, el("h3", {}, "Rates, last minute"), chart),
      el("div", {}, el("h3", {}, "Rate limiter"), list([
        ["state", limiterText(l)],
        ["blocked inserters", integer(l.blockedInserters)],
        ["blocked samplers", integer(l.blockedSamplers)],
        ["size", integer(l.size)],
        ["inserts / samples", integer(l.inserts) + " / " + integer(l.samples)],
        ["samples per insert", rate(l.samplesPerInsert)],
        ["min size to sample", integer(l.minSizeToSample)],
        ["diff range", diff(l.minDiff) + " … " + diff(l.maxDiff)],
      ])),
      el("div", {}, el("h3", {}, "Table"), list([
        ["items inserted", integer(s.itemsInserted)],
        ["windows sampled", integer(s.windowsSampled)],
        ["trajectories", integer(s.openTrajectories) + " open · " + integer(s.closedTrajectories) + " closed"],
        ["pages free", integer(d.pagesFree) + " of " + integer(d.pagesTotal)],
        ["evicted / retired / deleted", integer(d.itemsEvicted) + " / " + integer(d.itemsRetired) + " / " + integer(d.itemsDeleted)],
        ["sampler / remover", s.sampler + " / " + d.remover],
        ["granularity", d.granularity],
        ["priority exponent", String(d.priorityExponent)],
        ["selection mass", rate(d.selectionMass)],
      ])),
      el("div", {}, el("h3", {}, "Times sampled (items)"), histogram(d.timesSampled, "times-sampled")),
      el("div", {}, el("h3", {}, "Priority distribution (items)"),
        d.priorities.tracked ? histogram(d.priorities, "priorities")
          : el("p", { class: "muted priorities-untracked" }, "not kept: this table's sampler and remover ignore priorities")));
    return el("tr", { class: "detail-row" }, el("td", { class: "detail-cell", colspan: "11" }, section));
  }

  function list(pairs) {
    const dl = el("dl");
    for (const [k, v] of pairs) dl.append(el("dt", {}, k), el("dd", {}, v));
    return dl;
  }

  // ---------- drawing ----------
  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    return node;
  }

  function histogram(h, kind) {
    // Only the span of buckets that hold something (plus one either side), so that the bars stay readable.
    let first = h.counts.findIndex((c) => c > 0), last = h.counts.length - 1;
    while (last > 0 && h.counts[last] === 0) last--;
    if (first < 0) { first = 0; last = Math.min(h.counts.length - 1, 5); }
    first = Math.max(0, first - 1); last = Math.min(h.counts.length - 1, last + 1);
    const counts = h.counts.slice(first, last + 1), labels = h.labels.slice(first, last + 1);
    const width = 300, height = 120, base = 100, max = Math.max(1, ...counts), barWidth = width / counts.length;
    const root = svg("svg", { class: "histogram " + kind, viewBox: `0 0 ${width} ${height}`, role: "img" });
    counts.forEach((count, i) => {
      const barHeight = Math.round((count / max) * (base - 12));
      const rect = svg("rect", { x: i * barWidth + 1, y: base - barHeight, width: Math.max(1, barWidth - 2), height: barHeight });
      rect.append(svg("title", {}));
      rect.firstChild.textContent = `${labels[i]}: ${count}`;
      root.append(rect);
      if (count > 0) {
        const value = svg("text", { x: i * barWidth + barWidth / 2, y: base - barHeight - 2, "text-anchor": "middle" });
        value.textContent = integer(count);
        root.append(value);
      }
      const label = svg("text", { x: i * barWidth + barWidth / 2, y: height - 6, "text-anchor": "middle" });
      label.textContent = labels[i];
      root.append(label);
    });
    return root;
  }

  function drawRates(canvas, rates) {
    const ratio = window.devicePixelRatio || 1;
    const cssWidth = canvas.clientWidth || canvas.width, cssHeight = canvas.clientHeight || canvas.height;
    if (canvas.width !== Math.round(cssWidth * ratio)) { canvas.width = Math.round(cssWidth * ratio); canvas.height = Math.round(cssHeight * ratio); }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, cssWidth, cssHeight);
    const left = 48, right = 8, top = 8, bottom = 18, w = cssWidth - left - right, h = cssHeight - top - bottom;
    const points = 60, max = Math.max(1, ...rates.insert, ...rates.sample);
    ctx.strokeStyle = "#e3e6eb"; ctx.fillStyle = "#6b7280"; ctx.font = "11px system-ui, sans-serif"; ctx.lineWidth = 1;
    for (let i = 0; i <= 2; i++) {
      const y = top + h - (h * i) / 2;
      ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(left + w, y); ctx.stroke();
      ctx.fillText(rate((max * i) / 2), 4, y + 4);
    }
    ctx.fillText("−60 s", left, cssHeight - 4);
    ctx.fillText("now", left + w - 22, cssHeight - 4);
    const line = (values, color) => {
      if (values.length === 0) return;
      ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.beginPath();
      values.forEach((v, i) => {
        const x = left + w - ((values.length - 1 - i) * w) / (points - 1), y = top + h - (v / max) * h;
        if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      });
      ctx.stroke();
    };
    line(rates.insert, "#2563eb");
    line(rates.sample, "#db2777");
  }

  // ---------- controls ----------
  $("page-prev").addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE_SIZE); });
  $("page-next").addEventListener("click", () => { if (state.offset + PAGE_SIZE < state.total) state.offset += PAGE_SIZE; });
  $("table-filter").addEventListener("input", (e) => { state.filter = e.target.value.trim(); state.offset = 0; });

  refresh();
})();
