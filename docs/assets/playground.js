// The playground page: the editor, the hand count, the Explain and Stop buttons
// and the URL fragment (#code=...&counts=...&mode=per_layer). Python runs in
// playground-worker.js; this file moves text between the page and it.
// Python starts when the reader first uses the form (or opens a link with code
// in its fragment), so a reader who only reads downloads none of it.
//
// The code that runs may come from a link, so everything the worker sends is
// data: it arrives on a MessageChannel port handed to the worker before any such
// code runs (the worker's own postMessage is gone by then), its shape is checked,
// and the output is built with createElement and textContent, never from HTML.
const code = document.getElementById("playground-code");
const counts = document.getElementById("playground-counts");
const mode = document.getElementById("playground-mode");
const button = document.getElementById("playground-run");
const status = document.getElementById("playground-status");
const output = document.getElementById("playground-output");

const form = document.querySelector(".playground");
const timings = { started: null, ready: null, runs: [] };
window.playgroundTimings = timings;

const RUN_LIMIT_MS = 15000; // a run still going after this is stopped (a loop that never ends)
const MATHML = "http://www.w3.org/1998/Math/MathML";
const MATH_TAGS = new Set(["mn", "mo"]); // cnnexplain._explain_code.playground_view.MATH_TAGS
const NOTE_KINDS = new Set(["error", "warning", "info"]);

let worker = null;
let port = null;
let ready = false;
let lastId = 0;
let pending = null;
let watchdog = null;

// The Stop button, beside Explain: it ends a run (and Python with it) at once.
const stop = document.createElement("button");
stop.id = "playground-stop";
stop.type = "button";
stop.className = "md-button";
stop.textContent = "Stop";
stop.disabled = true;
button.after(stop);

function readFragment() {
  // Each link sets every field: what it leaves out is cleared, not kept from before.
  const params = new URLSearchParams(location.hash.slice(1));
  if (!params.has("code")) return false;
  code.value = params.get("code");
  counts.value = params.get("counts") ?? "";
  mode.value = params.get("mode") === "per_layer" ? "per_layer" : "running";
  return true;
}

function writeFragment() {
  const params = new URLSearchParams();
  params.set("code", code.value);
  if (counts.value.trim()) params.set("counts", counts.value.trim());
  if (mode.value === "per_layer") params.set("mode", "per_layer");
  history.replaceState(null, "", "#" + params.toString().replaceAll("+", "%20"));
}

// Status lines from the worker are coalesced: at most one repaint per frame.
let shownStatus = null;
let statusTimer = 0;
function setStatus(text, state) {
  shownStatus = { text, state };
  if (!statusTimer) statusTimer = setTimeout(flushStatus, 40);
}
function flushStatus() {
  clearTimeout(statusTimer);
  statusTimer = 0;
  if (!shownStatus) return;
  status.textContent = shownStatus.text;
  status.dataset.state = shownStatus.state;
}
function setStatusNow(text, state) {
  shownStatus = { text, state };
  flushStatus();
}

// -- The shape of an answer, checked before anything of it is shown ------------
class BadAnswer extends Error {}
const isText = (x) => typeof x === "string";
function text(x) {
  if (!isText(x)) throw new BadAnswer("a text is not a string");
  return x;
}
function list(x, each) {
  if (!Array.isArray(x)) throw new BadAnswer("a list is not an array");
  return x.map(each);
}
function count(x) {
  if (!Number.isSafeInteger(x) || x < 0) throw new BadAnswer("a number is not a count");
  return x;
}
function record(x) {
  if (x === null || typeof x !== "object" || Array.isArray(x)) {
    throw new BadAnswer("a record is not an object");
  }
  return x;
}

// -- Building the output from data ----------------------------------------------
function el(tag, className, content) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (content !== undefined) node.textContent = text(content);
  return node;
}

function scroll(table) {
  // A table that scrolls sideways inside its box, as Material wraps the pages' tables.
  const wrap = el("div", "md-typeset__scrollwrap");
  const inner = el("div", "md-typeset__table");
  inner.append(table);
  wrap.append(inner);
  return wrap;
}

function tableOf(headers, rows) {
  // Each cell carries its column's name, which a phone shows when the rows become
  // cards (extra.css), as docs/hooks.py labels the pages' tables.
  const table = document.createElement("table");
  table.dataset.cards = "";
  const head = document.createElement("tr");
  for (const header of headers) head.append(el("th", "", header));
  table.createTHead().append(head);
  const body = table.createTBody();
  for (const cells of rows) {
    const tr = document.createElement("tr");
    cells.forEach((td, i) => {
      td.dataset.label = text(headers[i] ?? "");
    });
    tr.append(...cells);
    body.append(tr);
  }
  return table;
}

function cell(content, { code: asCode = false, right = false } = {}) {
  const td = document.createElement("td");
  if (asCode) {
    if (text(content)) td.append(el("code", "", content));
  } else {
    td.textContent = text(content);
  }
  if (right) td.style.textAlign = "right";
  return td;
}

function math(tokens) {
  const root = document.createElementNS(MATHML, "math");
  root.setAttribute("display", "block");
  const row = document.createElementNS(MATHML, "mrow");
  for (const token of list(tokens, (t) => t)) {
    const [tag, value] = list(token, (x) => x);
    if (!MATH_TAGS.has(tag)) throw new BadAnswer("a formula token is not mn or mo");
    const node = document.createElementNS(MATHML, tag);
    node.textContent = text(value);
    row.append(node);
  }
  root.append(row);
  return root;
}

function termsOf(tokens) {
  // The formula cut before each "+" and "=" outside brackets, so that it wraps between
  // terms on a narrow screen, as docs/hooks.py cuts the pages' formulas.
  const terms = [[]];
  let depth = 0;
  for (const token of list(tokens, (t) => t)) {
    const [tag, value] = list(token, (x) => x);
    if (tag === "mo" && value === "(") depth += 1;
    if (tag === "mo" && value === ")") depth -= 1;
    if (tag === "mo" && depth === 0 && (value === "+" || value === "=") && terms.at(-1).length) {
      terms.push([]);
    }
    terms.at(-1).push(token);
  }
  return terms;
}

function modelSection(model) {
  record(model);
  const t = record(model.table);
  const section = el("section", "playground-model");
  section.dataset.model = text(t.name);
  const title = el("p", "", "Model: ");
  title.append(el("b", "", t.name));
  const rows = list(t.rows, (r) => {
    record(r);
    const depth = count(r.depth);
    const [name, shape, params, formula, steps] = list(r.cells, text);
    const first = cell(name);
    if (depth) first.style.paddingLeft = `${Math.min(depth, 20) * 1.5}em`;
    return [first, cell(shape), cell(params, { right: true }), cell(formula, { code: true }), cell(steps)];
  });
  const totals = el("ul");
  for (const pair of list(t.totals, (x) => x)) {
    const [label, value] = list(pair, text);
    const item = el("li");
    item.append(el("b", "", `${label}:`), ` ${value}`);
    totals.append(item);
  }
  section.append(title, scroll(tableOf(list(t.headers, text), rows)), totals);
  const notes = list(t.notes, text);
  if (notes.length) {
    const ul = el("ul");
    for (const note of notes) ul.append(el("li", "", note));
    section.append(el("p", "", "Notes:"), ul);
  }
  const formula = el("div", "math");
  const terms = termsOf(model.math);
  if (terms.length > 1) formula.classList.add("terms");
  terms.forEach((term, i) => {
    const piece = math(term);
    if (i) {
      // A break opportunity between terms, and the leading "+" or "=" spaced as infix.
      formula.append("\u200b");
      piece.querySelector("mo")?.setAttribute("form", "infix");
    }
    formula.append(piece);
  });
  const shape = el("p", "", "Output shape: ");
  shape.append(el("code", "playground-output-shape", model.output_shape));
  section.append(formula, shape);
  return section;
}

function notesSection(notes, stopped) {
  const section = el("section", "playground-notes");
  section.append(el("h3", "", "Keras 3"));
  const ul = el("ul");
  for (const note of notes) {
    record(note);
    if (!NOTE_KINDS.has(note.kind)) throw new BadAnswer("a note's kind is unknown");
    const item = el("li", `playground-note-${note.kind}`);
    item.append(el("b", "", `Line ${count(note.line)}`), `: ${text(note.lead)}: `);
    item.append(el("code", "", note.message));
    ul.append(item);
  }
  section.append(ul);
  if (stopped === true) {
    section.append(
      el(
        "p",
        "",
        "Keras stops at the first error; the playground reports it and goes on, so you can see what the code builds.",
      ),
    );
  }
  return section;
}

function diagnosisSection(d) {
  record(d);
  const section = el("section", "playground-diagnosis");
  section.append(el("h3", "", "Your count"), el("p", "playground-headline", d.headline));
  const findings = list(d.findings, record);
  if (findings.length) {
    const rows = findings.map((f) => {
      const layer = cell("");
      layer.append(el("code", "", f.layer), ` (${text(f.layer_kind)})`);
      return [cell(f.step), layer, cell(f.finding), cell(f.amount, { right: true }), cell(f.why)];
    });
    section.append(scroll(tableOf(["Step", "Layer", "Finding", "Amount", "Why"], rows)));
  }
  if (d.equation !== null) {
    section.append(el("p", "playground-equation", `Together: ${text(d.equation)}.`));
  }
  return section;
}

function printedSection(printed) {
  const details = el("details", "playground-printed");
  const pre = el("pre");
  pre.append(el("code", "", printed));
  details.append(el("summary", "", "What the code printed"), pre);
  return details;
}

function viewOf(view) {
  record(view);
  const parts = list(view.models, modelSection);
  const notes = list(view.notes, record);
  if (notes.length) parts.push(notesSection(notes, view.stopped));
  if (view.diagnosis !== null) parts.push(diagnosisSection(view.diagnosis));
  if (text(view.output)) parts.push(printedSection(view.output));
  return parts;
}

function errorOf(answer) {
  const parts = [];
  const line = el("p", "playground-error", answer.error);
  line.setAttribute("role", "alert");
  parts.push(line);
  if (answer.line !== null) {
    const number = count(answer.line);
    const source = code.value.split("\n")[number - 1];
    if (source !== undefined && source.trim()) {
      const pre = el("pre");
      pre.append(el("code", "", `${number} | ${source}`));
      parts.push(pre);
    }
  }
  return parts;
}

function show(answer) {
  let parts;
  try {
    record(answer);
    parts = answer.ok === true ? viewOf(answer.view) : errorOf(answer);
  } catch (err) {
    if (!(err instanceof BadAnswer)) throw err;
    answer = { ok: false, error: `The playground could not read Python's answer (${err.message}).`, line: null };
    parts = errorOf(answer);
  }
  output.replaceChildren(...parts);
  output.playgroundAnswer = answer;
}

// -- The worker ------------------------------------------------------------------
function startPython(quiet = false) {
  if (worker) return;
  timings.started = performance.now();
  if (quiet !== true) setStatusNow("Starting Python in your browser…", "loading");
  // Started from a blob: URL that imports the worker's module, so that the worker runs
  // under this page's Content-Security-Policy (a worker loaded from its own URL gets
  // the policy of its response's headers, and static hosting sends none): no eval, no
  // connection and no script from any other host, whatever Python asks of it.
  const source = new URL("./playground-worker.js", import.meta.url).href;
  const boot = new Blob([`import ${JSON.stringify(source)};`], { type: "text/javascript" });
  const bootURL = URL.createObjectURL(boot);
  worker = new Worker(bootURL, { type: "module" });
  URL.revokeObjectURL(bootURL);
  // Anything on the worker's own channel is ignored: only the port speaks for it.
  worker.onerror = (event) => setStatus(`The playground could not start Python: ${event.message}`, "failed");
  const channel = new MessageChannel();
  port = channel.port1;
  port.onmessage = onMessage;
  worker.postMessage({ type: "port" }, [channel.port2]);
}

function stopPython(reason) {
  clearTimeout(watchdog);
  if (worker) worker.terminate();
  if (port) port.close();
  worker = null;
  port = null;
  ready = false;
  stop.disabled = true;
  if (pending) {
    pending = null;
    show({ ok: false, error: reason, line: null });
    output.dataset.state = "done";
    output.dataset.run = String(lastId);
  }
  startPython(); // a fresh interpreter, ready for the next run
}

function renewPython() {
  // Code from a link has run in this interpreter: the next run gets a fresh one, so
  // that nothing that code changed in Python (a patched module) outlives its own run.
  worker.terminate();
  port.close();
  worker = null;
  port = null;
  ready = false;
  startPython(true);
}

function watch() {
  clearTimeout(watchdog);
  if (!pending || !ready) return;
  watchdog = setTimeout(
    () =>
      stopPython(
        `The code was still running after ${RUN_LIMIT_MS / 1000} s, so Python was stopped; it is starting again for the next run.`,
      ),
    RUN_LIMIT_MS,
  );
}

function explain(fromLink = false) {
  startPython();
  writeFragment();
  lastId += 1;
  pending = { id: lastId, t0: performance.now(), fromLink: fromLink === true };
  stop.disabled = false;
  output.dataset.state = "running";
  if (ready) setStatus("Explaining…", "running");
  port.postMessage({ id: lastId, code: code.value, counts: counts.value, mode: mode.value });
  watch();
}

// More messages than a run can honestly send (a few progress lines, one result):
// Python is stopped rather than let it keep the page busy.
const FLOOD = { limit: 200, windowMs: 1000 };
let floodStart = 0;
let floodCount = 0;

function onMessage(event) {
  const now = performance.now();
  if (now - floodStart > FLOOD.windowMs) {
    floodStart = now;
    floodCount = 0;
  }
  floodCount += 1;
  if (floodCount > FLOOD.limit) {
    stopPython("Python sent the page more messages than a run sends, so it was stopped.");
    return;
  }
  const message = event.data;
  if (message === null || typeof message !== "object") return;
  if (message.type === "progress" && isText(message.text)) {
    if (!ready) setStatus(message.text, "loading");
  } else if (message.type === "ready" && !ready) {
    ready = true;
    watch();
    timings.ready = performance.now();
    timings.worker = message.stages;
    const seconds = ((timings.ready - timings.started) / 1000).toFixed(1);
    if (pending) setStatus(`Explaining… (Python started in ${seconds} s)`, "running");
    else if (status.dataset.state !== "ready") {
      setStatus(`Ready: Python runs in your browser (started in ${seconds} s).`, "ready");
    }
  } else if (message.type === "failed" && isText(message.text)) {
    setStatus(`The playground could not start Python: ${message.text}`, "failed");
  } else if (message.type === "result" && pending && message.id === pending.id) {
    clearTimeout(watchdog);
    show(message.answer);
    const ms = performance.now() - pending.t0;
    timings.runs.push({ ms, python: message.ms });
    const fromLink = pending.fromLink;
    pending = null;
    stop.disabled = true;
    output.dataset.state = "done";
    output.dataset.run = String(message.id);
    setStatusNow(`Ready: explained in ${Math.round(ms)} ms.`, "ready");
    if (fromLink) renewPython();
  }
}

function start() {
  form.addEventListener("focusin", startPython);
  form.addEventListener("pointerenter", startPython);
  button.addEventListener("click", explain);
  stop.addEventListener("click", () => stopPython("Stopped: the run was ended with the Stop button; Python is starting again."));
  code.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      explain();
    }
  });
  window.addEventListener("hashchange", () => {
    if (readFragment()) explain(true);
  });
  if (readFragment()) explain(true);
}

start();
