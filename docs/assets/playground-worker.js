// The playground's Python, in a Web Worker so the page stays responsive.
// Pyodide, the cnnexplain wheel and a snapshot of the two started are served by
// this site (assets/pyodide/, assets/cnnexplain.whl, assets/playground-snapshot.bin):
// nothing is fetched from anywhere else.
import { loadPyodide } from "./pyodide/pyodide.mjs";

const started = performance.now();
const stages = {};
const progress = (text, stage) => {
  stages[stage] = performance.now() - started;
  postMessage({ type: "progress", text });
};

// Bytes of a file this site serves, or an error naming it.
async function fetchBytes(name, what) {
  const response = await fetch(new URL(name, import.meta.url));
  if (!response.ok) throw new Error(`${what} could not be loaded (HTTP ${response.status})`);
  return new Uint8Array(await response.arrayBuffer());
}

// The snapshot the site build made (docs/playground_snapshot.mjs): Pyodide with
// cnnexplain imported and warmed up, gzip-compressed (unless the server already
// decompressed it, as one sending it with Content-Encoding: gzip would).
async function fetchSnapshot() {
  const bytes = await fetchBytes("./playground-snapshot.bin", "the Pyodide snapshot");
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  const unpacked = new Uint8Array(await new Response(stream).arrayBuffer());
  stages.snapshot = performance.now() - started;
  return unpacked;
}

const IMPORT = "import json\nfrom cnnexplain._explain_code.playground import run, warm_up";

async function start() {
  progress("Starting Python in your browser (Pyodide)…", "start");
  const indexURL = new URL("./pyodide/", import.meta.url).href;
  // Both fetched while Pyodide compiles; awaited below (the catch only keeps an early
  // failure from being reported as unhandled before then).
  const wheel = fetchBytes("./cnnexplain.whl", "the cnnexplain wheel");
  const snapshot = fetchSnapshot();
  for (const promise of [wheel, snapshot]) promise.catch(() => {});
  let pyodide;
  let restored = true;
  try {
    // Restoring the snapshot skips starting Python and importing cnnexplain.
    pyodide = await loadPyodide({ indexURL, _loadSnapshot: snapshot });
  } catch (err) {
    restored = false;
    stages.noSnapshot = String(err && err.message ? err.message : err);
    pyodide = await loadPyodide({ indexURL });
  }
  progress("Installing cnnexplain…", "pyodide");
  // Always unpacked: modules a run imports later (rules load on demand) come from it.
  pyodide.unpackArchive(await wheel, "wheel");
  stages.wheel = performance.now() - started;
  // Import (done already in a snapshot) and run once now, so that the reader's first run
  // is as fast as the next: a restored interpreter's code has not been run in this browser.
  pyodide.runPython(`${IMPORT}\nwarm_up()`);
  stages.imported = performance.now() - started;
  stages.restored = restored;
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
