// The playground's Python, in a Web Worker so the page stays responsive.
// Pyodide and the cnnexplain wheel are served by this site (assets/pyodide/,
// assets/cnnexplain.whl): nothing is fetched from anywhere else.
import { loadPyodide } from "./pyodide/pyodide.mjs";

const started = performance.now();
const stages = {};
const progress = (text, stage) => {
  stages[stage] = performance.now() - started;
  postMessage({ type: "progress", text });
};

async function start() {
  progress("Starting Python in your browser (Pyodide)…", "start");
  const pyodide = await loadPyodide({ indexURL: new URL("./pyodide/", import.meta.url).href });
  progress("Installing cnnexplain…", "pyodide");
  const wheel = await fetch(new URL("./cnnexplain.whl", import.meta.url));
  if (!wheel.ok) {
    throw new Error(`the cnnexplain wheel could not be loaded (HTTP ${wheel.status})`);
  }
  pyodide.unpackArchive(await wheel.arrayBuffer(), "wheel");
  stages.wheel = performance.now() - started;
  // Import and run once now, so that the reader's first run is as fast as the next.
  pyodide.runPython("import json\nfrom cnnexplain._playground import run, warm_up\nwarm_up()");
  stages.imported = performance.now() - started;
  const run = pyodide.globals.get("run");
  const dumps = pyodide.globals.get("json").dumps;
  postMessage({ type: "ready", ms: performance.now() - started, stages });
  return (code, counts, mode) => {
    const answer = run(code, counts, mode);
    try {
      return JSON.parse(dumps(answer));
    } finally {
      answer.destroy();
    }
  };
}

const ready = start();
ready.catch((err) => postMessage({ type: "failed", text: String(err && err.message ? err.message : err) }));

self.onmessage = async (event) => {
  const { id, code, counts, mode } = event.data;
  let explain;
  try {
    explain = await ready;
  } catch {
    return; // "failed" was posted already
  }
  const t0 = performance.now();
  let answer;
  try {
    answer = explain(code, counts, mode);
  } catch (err) {
    answer = { ok: false, error: `cnnexplain failed unexpectedly: ${err.message}`, line: null };
  }
  postMessage({ type: "result", id, answer, ms: performance.now() - t0 });
};
