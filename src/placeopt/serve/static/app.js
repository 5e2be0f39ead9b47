// The planner's page: plain JavaScript over placeopt's JSON API (docs/serve.md).
// Every address is relative, so the page works behind a proxy under any path.
"use strict";

const state = { file: null, scenarios: [], current: null, timer: null, seen: "" };
const WAITING = new Set(["queued", "running"]);
const KIND_WORDS = { run: "Scenario", batch: "Scenarios", samples: "Demand samples",
  frontier: "Capital curve", forecast: "Demand forecast" };

function $(id) { return document.getElementById(id); }

function present(children) {
  return children.flat().filter((c) => c !== null && c !== undefined && c !== false);
}

function fill(node, ...children) { node.replaceChildren(...present(children)); }

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  node.append(...present(children));
  return node;
}

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: "same-origin", ...options });
  let body = null;
  try { body = await response.json(); } catch (_) { body = null; }
  if (!response.ok) {
    const error = new Error(messageOf(body) || `the server answered ${response.status}`);
    error.status = response.status;
    error.body = body;
    throw error;
  }
  return body;
}

function messageOf(body) {
  if (body && Array.isArray(body.errors) && body.errors.length) return body.errors[0].message;
  return "";
}

function money(x) {
  if (x === null || x === undefined) return "–";
  const sign = x < 0 ? "−" : "";
  return `${sign}£${(Math.abs(x) / 1e6).toLocaleString("en-GB",
    { minimumFractionDigits: 2, maximumFractionDigits: 2 })}m`;
}

function number(x, digits = 0) {
  return x === null || x === undefined ? "–" : x.toLocaleString("en-GB",
    { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function fileUrl(id, name, download) {
  const path = name.split("/").map(encodeURIComponent).join("/");
  return `api/runs/${encodeURIComponent(id)}/files/${path}${download ? "?download=1" : ""}`;
}

// -- 1. the workbook: dropped, checked ---------------------------------------------------
function problemTable(errors, warnings) {
  const rows = [...errors, ...warnings].map((p) => el("tr", {},
    el("td", {}, el("span", { class: `level ${p.level}`, text: p.level })),
    el("td", { text: p.sheet || "(the file)" }),
    el("td", { class: "where", text: p.cell || "" }),
    el("td", { text: p.times > 1 ? `${p.message} (${p.times.toLocaleString("en-GB")} times)`
                                 : p.message })));
  return el("table", { class: "problems" },
    el("thead", {}, el("tr", {}, ["", "Sheet", "Cell", "What is wrong"].map(
      (h) => el("th", { text: h })))),
    el("tbody", {}, rows));
}

function plural(n, word) { return `${n} ${word}${n === 1 ? "" : "s"}`; }

async function checkWorkbook(file) {
  state.file = file;
  const box = $("check");
  fill(box, el("p", { class: "verdict busy", text: `Checking ${file.name}…` }));
  $("choose").hidden = true;
  $("into-mine").disabled = true;
  const form = new FormData();
  form.append("workbook", file);
  let body, ok = true;
  try {
    body = await api("api/check", { method: "POST", body: form });
  } catch (error) {
    ok = false;
    body = error.body || { errors: [{ level: "error", message: error.message }], warnings: [] };
  }
  const errors = body.errors || [], warnings = body.warnings || [];
  const verdict = ok
    ? `${file.name}: no errors, ${plural(warnings.length, "warning")}. Ready to run.`
    : `${file.name} was not accepted: ${plural(errors.length, "error")}` +
      (warnings.length ? ` and ${plural(warnings.length, "warning")}` : "") +
      `. Fix ${errors.length === 1 ? "it" : "them"}, save, and drop the workbook again.`;
  fill(box,
    el("p", { class: `verdict ${ok ? "ok" : "bad"}`, id: "verdict", text: verdict }),
    ...(body.notes || []).map((n) => el("p", { class: "note", text: n })),
    errors.length || warnings.length ? problemTable(errors, warnings) : null);
  if (ok) {
    state.scenarios = body.scenarios || ["base"];
    showChoices(file.name);
  }
}

function showChoices(name) {
  $("chosen-file").textContent = name;
  const select = $("scenario");
  select.replaceChildren(...state.scenarios.map((s) => el("option", { value: s, text: s })));
  fill($("scenario-boxes"), ...state.scenarios.map((s) => el("label", {},
    el("input", { type: "checkbox", name: "scenarios", value: s, checked: true }), ` ${s}`)));
  $("choose").hidden = false;
  $("into-mine").disabled = false;
  showOptions();
}

function showOptions() {
  const kind = document.querySelector("input[name=kind]:checked").value;
  for (const node of document.querySelectorAll("#run-form [data-for]")) {
    node.hidden = !node.dataset.for.split(" ").includes(kind);
  }
}

// -- 2. starting a run --------------------------------------------------------------------
async function startRun(form, button, box) {
  button.disabled = true;
  try {
    const { id } = await api("api/runs", { method: "POST", body: form });
    location.hash = `run=${id}`;
    await showRun(id);
    loadHistory();
  } catch (error) {
    const errors = (error.body && error.body.errors) || [];
    fill(box, el("p", { class: "verdict bad", text: `Not started: ${error.message}` }),
      errors.length > 1 ? problemTable(errors, error.body.warnings || []) : null);
  } finally {
    button.disabled = false;
  }
}

function runForm() {
  const source = $("run-form");
  const kind = source.querySelector("input[name=kind]:checked").value;
  const form = new FormData();
  form.append("workbook", state.file);
  form.append("kind", kind);
  form.append("scenario", $("scenario").value);
  const chosen = [...source.querySelectorAll("input[name=scenarios]:checked")].map((b) => b.value);
  form.append("scenarios", chosen.join(","));
  form.append("samples", source.elements.samples.value);
  form.append("points", source.elements.points.value);
  return form;
}

function forecastForm() {
  const source = $("forecast-form");
  const form = new FormData();
  form.append("kind", "forecast");
  form.append("authority", source.elements.authority.value);
  const levels = [...source.querySelectorAll("input[name=provision]:checked")].map((b) => b.value);
  form.append("provision", levels.join(",") || "any");
  form.append("horizon", source.elements.horizon.value);
  if (source.querySelector("input[name=into]:checked").value === "mine" && state.file) {
    form.append("workbook", state.file);
  }
  return form;
}

// -- 3. a run: progress, result ----------------------------------------------------------
async function showRun(id) {
  clearTimeout(state.timer);
  state.current = id;
  state.seen = "";
  $("run").hidden = false;
  fill($("view"));
  fill($("downloads"));
  fill($("headline"));
  await poll(id);
  $("run").scrollIntoView({ behavior: "smooth", block: "start" });
}

async function poll(id) {
  if (state.current !== id) return;
  let run;
  try {
    run = await api(`api/runs/${encodeURIComponent(id)}`);
  } catch (error) {
    $("run-title").textContent = "Run";
    setStatus("error");
    showMessage(error.message, true);
    return;
  }
  renderRun(run);
  if (WAITING.has(run.status)) {
    state.timer = setTimeout(() => poll(id), 800);
  } else {
    loadHistory();
  }
}

function describe(request) {
  const kind = KIND_WORDS[request.kind] || request.kind;
  if (request.kind === "run" || request.kind === "frontier") return `${kind} ${request.scenario}`;
  if (request.kind === "batch") return `${kind} ${request.scenarios.join(", ")}`;
  if (request.kind === "samples") return `${request.samples} demand samples around ${request.scenario}`;
  if (request.kind === "forecast") return `${kind} for ${request.authority}`;
  return kind;
}

function setStatus(status, extra = "") {
  const badge = $("run-status");
  badge.className = `status ${status}`;
  badge.textContent = status.replace("_", " ") + extra;
}

function showMessage(text, bad) {
  const box = $("run-message");
  box.hidden = !text;
  box.textContent = text || "";
  box.className = bad ? "message bad" : "message";
}

function renderRun(run) {
  const where = run.request.workbook_name ? ` (${run.request.workbook_name})` : "";
  $("run-title").textContent = `${describe(run.request)}${where}`;
  let extra = "";
  if (run.status === "queued" && run.queue_position) extra = `: ${run.queue_position} in the queue`;
  if (run.cancelling) extra = ": cancelling…";
  setStatus(run.status, extra);
  $("cancel").hidden = !WAITING.has(run.status) || run.cancelling;
  const failed = ["error", "failed", "infeasible"].includes(run.status);
  showMessage(run.message, failed);
  const lines = run.progress || [];
  const text = lines.join("\n");
  if (text !== state.seen) {
    const log = $("log");
    const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 20;
    log.textContent = text || "Starting the solver's process…";
    if (atEnd) log.scrollTop = log.scrollHeight;
    state.seen = text;
  }
  $("now").textContent = WAITING.has(run.status) ? latest(lines) : "";
  if (!WAITING.has(run.status)) renderResult(run);
}

function latest(lines) {
  const solving = [...lines].reverse().find((l) => /gap|Solving|Reading|Compiling|Writing|Valuing|done|FAILED/.test(l));
  return solving ? `Now: ${solving.trim()}` : "Starting…";
}

function tile(label, value, sub, negative) {
  return el("div", { class: "tile" }, el("div", { class: "label", text: label }),
    el("div", { class: `value${negative ? " negative" : ""}`, text: value }),
    sub ? el("div", { class: "sub", text: sub }) : null);
}

function renderHeadline(summary) {
  const box = $("headline");
  if (!summary || !summary.savings) { fill(box); return; }
  const saved = summary.savings, plan = summary.plan, base = summary.baseline;
  const last = summary.years.length - 1, year = summary.years[last];
  const gap = summary.mip_gap === null ? "gap unknown" : `gap ${(100 * summary.mip_gap).toFixed(2)}%`;
  const extra = (saved.additional_pupils_placed || []).reduce((a, b) => a + b, 0);
  fill(box,
    tile("NPV of the plan over the baseline", money(saved.npv), `${summary.status}, ${gap}`,
      saved.npv < 0),
    tile("Capital beyond the baseline", money(saved.capital_cost_total), "all years, with optimism bias"),
    tile("Pays back", saved.payback_year === null ? "not within the horizon" : `in ${saved.payback_year}`,
      "capital counted when spent"),
    tile(`New places open by ${year}`, number(plan.new_places[last]),
      `baseline ${number(base.new_places[last])}`),
    tile(`Out-of-area pupils in ${year}`, number(plan.out_of_area_pupils[last], 1),
      `baseline ${number(base.out_of_area_pupils[last], 1)}`),
    extra >= 0.0005 ? tile("Pupil-years of need placed", number(extra, 1),
      "that the baseline leaves unmet") : null);
}

function renderResult(run) {
  if (state.rendered === `${run.id}:${run.status}:${run.files.length}`) return;
  state.rendered = `${run.id}:${run.status}:${run.files.length}`;
  renderHeadline(run.summary);
  const names = run.files.map((f) => f.name);
  const box = $("downloads");
  const main = ["report.xlsx", "report.html", "batch_summary.xlsx", "batch.html",
    "frontier.xlsx", "demand.xlsx", "demand.forecast.html"].filter((n) => names.includes(n));
  const top = names.filter((n) => !n.includes("/") && !main.includes(n));
  const nested = names.filter((n) => n.includes("/"));
  fill(box,
    ...main.map((n) => el("a", { class: `button${n.endsWith(".xlsx") ? " main" : ""}`,
      href: fileUrl(run.id, n, true), download: n, text: `Download ${n}` })),
    names.length ? el("a", { class: "button", href: `api/runs/${encodeURIComponent(run.id)}/folder.zip`,
      download: "", text: "Download the folder (.zip)" }) : null,
    top.length ? el("details", {}, el("summary", { text: `The data: ${plural(top.length, "file")}` }),
      top.map((n) => el("a", { href: fileUrl(run.id, n, true), download: n, text: n }))) : null,
    nested.length ? el("details", {}, el("summary", { text: `Each folder's files (${nested.length})` }),
      nested.map((n) => el("a", { href: fileUrl(run.id, n, true), download: "", text: n }))) : null);
  const view = $("view");
  if (!run.view) { fill(view); return; }
  if (run.view.endsWith(".svg")) {
    fill(view, el("img", { src: fileUrl(run.id, run.view, false), alt: "The capital programme curve" }));
  } else {
    fill(view, el("iframe", { src: fileUrl(run.id, run.view, false), sandbox: "",
      title: run.view, id: "report-frame" }));
  }
}

async function cancelRun() {
  const id = state.current;
  $("cancel").disabled = true;
  try {
    await api(`api/runs/${encodeURIComponent(id)}`, { method: "DELETE" });
  } catch (error) {
    showMessage(error.message, true);
  } finally {
    $("cancel").disabled = false;
  }
  clearTimeout(state.timer);
  poll(id);
}

// -- earlier runs ---------------------------------------------------------------------------
async function loadHistory() {
  let body;
  try { body = await api("api/runs"); } catch (_) { return; }
  const rows = body.runs.map((run) => {
    const row = el("tr", { "data-id": run.id, class: run.id === state.current ? "current" : null },
      el("td", { text: new Date(run.created_at).toLocaleString("en-GB",
        { dateStyle: "medium", timeStyle: "short" }) }),
      el("td", {}, el("a", { href: `#run=${run.id}`, text: describe(run.request) })),
      el("td", { text: run.request.workbook_name || "–" }),
      el("td", {}, el("span", { class: `status ${run.status}`, text: run.status.replace("_", " ") })),
      el("td", { class: "num", text: run.headline ? money(run.headline.npv) : "" }));
    row.addEventListener("click", () => { location.hash = `run=${run.id}`; });
    return row;
  });
  fill($("runs").tBodies[0], ...rows);
  $("no-runs").hidden = rows.length > 0;
}

async function loadAuthorities() {
  if (state.authorities) return;
  state.authorities = true;
  try {
    const body = await api("api/authorities");
    fill($("authorities"), ...body.authorities.map((a) =>
      el("option", { value: a.name, text: `${a.code} ${a.ons_code}` })));
    if (body.message) $("forecast-note").textContent = body.message;
  } catch (_) { state.authorities = false; }
}

function fromHash() {
  const found = /run=([0-9a-f-]+)/.exec(location.hash);
  if (found && found[1] !== state.current) showRun(found[1]);
}

// -- wiring -------------------------------------------------------------------------------
function wire() {
  const drop = $("drop"), input = $("file");
  input.addEventListener("change", () => { if (input.files[0]) checkWorkbook(input.files[0]); });
  for (const name of ["dragenter", "dragover"]) {
    drop.addEventListener(name, (e) => { e.preventDefault(); drop.classList.add("over"); });
  }
  for (const name of ["dragleave", "drop"]) {
    drop.addEventListener(name, (e) => { e.preventDefault(); drop.classList.remove("over"); });
  }
  drop.addEventListener("drop", (e) => {
    const file = e.dataTransfer.files[0];
    if (file) checkWorkbook(file);
  });
  for (const radio of document.querySelectorAll("input[name=kind]")) {
    radio.addEventListener("change", showOptions);
  }
  $("run-form").addEventListener("submit", (e) => {
    e.preventDefault();
    startRun(runForm(), $("run-button"), $("run-note"));
  });
  $("forecast-form").addEventListener("submit", (e) => {
    e.preventDefault();
    startRun(forecastForm(), $("forecast-button"), $("forecast-note"));
  });
  $("authority").addEventListener("focus", loadAuthorities);
  $("cancel").addEventListener("click", cancelRun);
  window.addEventListener("hashchange", fromHash);
  api("api/health").then((h) => { $("version").textContent = h.version; }).catch(() => {});
  loadHistory();
  fromHash();
}

document.addEventListener("DOMContentLoaded", wire);
