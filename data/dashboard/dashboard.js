// kapsel monitor's dashboard: polls /api/containers?history=1 and
// /api/alerts every 2 s.  Every string from the API (names, images,
// labels: chosen by whoever starts a container) goes into the page as
// text (textContent, setAttribute), never as HTML.
"use strict";

const POLL_MS = 2000;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function bytes(v) {
  if (v === null || v === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return (i ? v.toFixed(v < 10 ? 2 : 1) : String(v)) + " " + units[i];
}

function rate(v) {
  return v === null || v === undefined ? "–" : bytes(Math.round(v)) + "/s";
}

function pct(v) {
  return v === null || v === undefined ? "–" : v.toFixed(1) + " %";
}

function spark(points, key) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "spark spark-" + key);
  svg.setAttribute("viewBox", "0 0 120 24");
  const vals = (points || []).map((p) => p[key]).filter((v) => typeof v === "number");
  if (vals.length > 1) {
    const max = Math.max(...vals, 1e-9);
    const step = 120 / (vals.length - 1);
    const pts = vals.map((v, i) => (i * step).toFixed(1) + "," + (23 - (v / max) * 22).toFixed(1));
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", pts.join(" "));
    svg.appendChild(line);
  }
  svg.setAttribute("data-points", String(vals.length));
  return svg;
}

function td(row, cls, text) {
  const c = el("td", cls, text);
  row.appendChild(c);
  return c;
}

function row(c) {
  const tr = el("tr", "container " + (c.state === "running" ? "running" : c.state));
  tr.setAttribute("data-id", c.id);
  const name = td(tr, "name", c.name);
  const labels = Object.keys(c.labels || {}).map((k) => k + "=" + c.labels[k]);
  if (labels.length) name.appendChild(el("span", "labels", labels.join(" ")));
  td(tr, "image", c.image);
  td(tr, "state state-" + c.state, c.state);
  td(tr, "health health-" + (c.health || "none"), c.health || "–");
  td(tr, "cpu num", pct(c.cpu_percent));
  td(tr, "cpu-chart").appendChild(spark(c.history, "cpu_percent"));
  td(tr, "memory num", bytes(c.memory_usage) + (c.memory_limit ? " / " + bytes(c.memory_limit) : ""));
  td(tr, "memory-percent num", pct(c.memory_percent));
  td(tr, "memory-chart").appendChild(spark(c.history, "memory_usage"));
  td(tr, "pids num", c.pids === null ? "–" : String(c.pids) + (c.pids_limit ? " / " + c.pids_limit : ""));
  td(tr, "rx num", rate(c.net_rx_rate));
  td(tr, "tx num", rate(c.net_tx_rate));
  td(tr, "blk-read num", rate(c.blk_read_rate));
  td(tr, "blk-write num", rate(c.blk_write_rate));
  td(tr, "restarts num", c.restarts === null ? "–" : c.restarts);
  return tr;
}

function drawContainers(data) {
  const body = document.querySelector("#containers tbody");
  const rows = data.containers.map(row);
  body.replaceChildren(...rows);
}

function drawAlerts(data) {
  const ul = document.getElementById("alerts");
  const items = data.alerts.map((a) => {
    const li = el("li", "alert " + a.state);
    li.appendChild(el("span", "alertname", a.alertname));
    li.appendChild(el("span", "state", a.state + ": "));
    li.appendChild(el("span", "summary", a.summary));
    return li;
  });
  if (!items.length) items.push(el("li", "none", "none"));
  ul.replaceChildren(...items);
}

async function getJSON(path) {
  const r = await fetch(path, { cache: "no-store" });
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}

async function poll() {
  const status = document.getElementById("status");
  try {
    const [cs, al] = await Promise.all([getJSON("/api/containers?history=1"), getJSON("/api/alerts")]);
    drawContainers(cs);
    drawAlerts(al);
    status.className = "";
    status.textContent = cs.containers.length + " containers, updated " + new Date(cs.time * 1000).toLocaleTimeString();
    document.body.setAttribute("data-polls", String(Number(document.body.getAttribute("data-polls") || 0) + 1));
  } catch (err) {
    status.className = "error";
    status.textContent = "cannot read the monitor: " + err.message;
  }
  setTimeout(poll, POLL_MS);
}

poll();
