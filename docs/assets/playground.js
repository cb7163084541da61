// The playground page: the editor, the hand count, the Explain button and the
// URL fragment (#code=...&counts=...&mode=per_layer). Python runs in
// playground-worker.js; this file only moves text between the page and it.
// Python starts when the reader first uses the form (or opens a link with code
// in its fragment), so a reader who only reads downloads none of it.
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

let worker = null;
let ready = false;
let lastId = 0;
let pending = null;
let watchdog = null;

function readFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.has("code")) code.value = params.get("code");
  if (params.has("counts")) counts.value = params.get("counts");
  mode.value = params.get("mode") === "per_layer" ? "per_layer" : "running";
  return params.has("code");
}

function writeFragment() {
  const params = new URLSearchParams();
  params.set("code", code.value);
  if (counts.value.trim()) params.set("counts", counts.value.trim());
  if (mode.value === "per_layer") params.set("mode", "per_layer");
  history.replaceState(null, "", "#" + params.toString().replaceAll("+", "%20"));
}

function setStatus(text, state) {
  status.textContent = text;
  status.dataset.state = state;
}

function show(answer) {
  output.replaceChildren();
  if (answer.ok) {
    output.innerHTML = answer.html;
  } else {
    const line = document.createElement("p");
    line.className = "playground-error";
    line.setAttribute("role", "alert");
    line.textContent = answer.error;
    output.append(line);
    if (answer.line) {
      const source = code.value.split("\n")[answer.line - 1];
      if (source !== undefined && source.trim()) {
        const pre = document.createElement("pre");
        const text = document.createElement("code");
        text.textContent = `${answer.line} | ${source}`;
        pre.append(text);
        output.append(pre);
      }
    }
  }
  output.playgroundAnswer = answer;
}

function startPython() {
  if (worker) return;
  timings.started = performance.now();
  setStatus("Starting Python in your browser…", "loading");
  worker = new Worker(new URL("./playground-worker.js", import.meta.url), { type: "module" });
  worker.onmessage = onMessage;
  worker.onerror = (event) => setStatus(`The playground could not start Python: ${event.message}`, "failed");
}

function watch() {
  clearTimeout(watchdog);
  if (!pending || !ready) return;
  watchdog = setTimeout(() => {
    worker.terminate();
    worker = null;
    ready = false;
    pending = null;
    show({
      ok: false,
      error: `The code was still running after ${RUN_LIMIT_MS / 1000} s, so Python was stopped; it starts again on the next run.`,
      line: null,
    });
    output.dataset.state = "done";
    output.dataset.run = String(lastId);
    setStatus("Stopped.", "idle");
  }, RUN_LIMIT_MS);
}

function explain() {
  startPython();
  writeFragment();
  lastId += 1;
  pending = { id: lastId, t0: performance.now() };
  output.dataset.state = "running";
  if (ready) setStatus("Explaining…", "running");
  worker.postMessage({ id: lastId, code: code.value, counts: counts.value, mode: mode.value });
  watch();
}

function onMessage(event) {
  const message = event.data;
  if (message.type === "progress") {
    setStatus(message.text, "loading");
  } else if (message.type === "ready") {
    ready = true;
    watch();
    timings.ready = performance.now();
    timings.worker = message.stages;
    const seconds = ((timings.ready - timings.started) / 1000).toFixed(1);
    setStatus(`Ready: Python runs in your browser (started in ${seconds} s).`, "ready");
  } else if (message.type === "failed") {
    setStatus(`The playground could not start Python: ${message.text}`, "failed");
  } else if (message.type === "result" && pending && message.id === pending.id) {
    clearTimeout(watchdog);
    show(message.answer);
    const ms = performance.now() - pending.t0;
    timings.runs.push({ ms, python: message.ms });
    pending = null;
    output.dataset.state = "done";
    output.dataset.run = String(message.id);
    setStatus(`Ready: explained in ${Math.round(ms)} ms.`, "ready");
  }
}

function start() {
  form.addEventListener("focusin", startPython);
  form.addEventListener("pointerenter", startPython);
  button.addEventListener("click", explain);
  code.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      explain();
    }
  });
  window.addEventListener("hashchange", () => {
    if (readFragment()) explain();
  });
  if (readFragment()) explain();
}

start();
