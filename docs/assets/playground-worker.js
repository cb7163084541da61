// The playground's Python, in a Web Worker so the page stays responsive.
// Pyodide, the cnnexplain wheel and a snapshot of the two started are served by
// this site (assets/pyodide/, assets/cnnexplain.whl, assets/playground-snapshot.bin):
// nothing is fetched from anywhere else.
//
// The code a run executes may come from a shared link, and Python reaches this
// worker's global scope (Pyodide's `js` module). So before the first run, once
// Pyodide, the wheel and the snapshot are loaded, the worker gives up what such
// code could misuse (see `cutOff`): every way to the network and its own
// postMessage to the page. It speaks to the page only through the MessagePort
// the page sent first, held in this module's scope, which code from Python
// (global scope, eval included) cannot name; the functions it uses to answer are
// captured here, before any such code runs, so replacing them later changes nothing.
import { loadPyodide } from "./pyodide/pyodide.mjs";

const parse = JSON.parse;
const bindPost = (port) => MessagePort.prototype.postMessage.bind(port);
const now = performance.now.bind(performance);
const errorText = (err) => String(err && err.message ? err.message : err);

let post = null; // the port's postMessage, bound once
const started = now();
const stages = {};
const progress = (text, stage) => {
  stages[stage] = now() - started;
  post({ type: "progress", text });
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
  stages.snapshot = now() - started;
  return unpacked;
}

// What code run in this worker could use to reach the network, start another
// context that can, talk to the page behind the port's back, or leave data in the
// site's storage for a later page. Each is deleted from the global object and its
// prototypes, then pinned to undefined.
const CUT = [
  "fetch",
  "XMLHttpRequest",
  "WebSocket",
  "WebSocketStream",
  "EventSource",
  "WebTransport",
  "importScripts",
  "postMessage",
  "Worker",
  "SharedWorker",
  "BroadcastChannel",
  "RTCPeerConnection",
  "indexedDB",
  "caches",
];

function cutOff() {
  for (const name of CUT) {
    for (let scope = self; scope; scope = Object.getPrototypeOf(scope)) {
      if (Object.prototype.hasOwnProperty.call(scope, name)) delete scope[name];
    }
    Object.defineProperty(self, name, { value: undefined, writable: false, configurable: false });
  }
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
    stages.noSnapshot = errorText(err);
    pyodide = await loadPyodide({ indexURL });
  }
  progress("Installing cnnexplain…", "pyodide");
  // Always unpacked: modules a run imports later (rules load on demand) come from it.
  pyodide.unpackArchive(await wheel, "wheel");
  stages.wheel = now() - started;
  // Import (done already in a snapshot) and run once now, so that the reader's first run
  // is as fast as the next: a restored interpreter's code has not been run in this browser.
  pyodide.runPython(`${IMPORT}\nwarm_up()`);
  stages.imported = now() - started;
  stages.restored = restored;
  const run = pyodide.globals.get("run");
  const dumps = pyodide.globals.get("json").dumps;
  cutOff();
  post({ type: "ready", ms: now() - started, stages });
  return (code, counts, mode) => {
    const answer = run(code, counts, mode);
    try {
      return parse(dumps(answer));
    } finally {
      answer.destroy();
    }
  };
}

let ready = null;

async function onRequest(event) {
  const { id, code, counts, mode } = event.data;
  let explain;
  try {
    explain = await ready;
  } catch {
    return; // "failed" was posted already
  }
  const t0 = now();
  let answer;
  try {
    answer = explain(String(code), String(counts), String(mode));
  } catch (err) {
    answer = { ok: false, error: `cnnexplain failed unexpectedly: ${errorText(err)}`, line: null };
  }
  post({ type: "result", id, answer, ms: now() - t0 });
}

// The page's first message brings the port; nothing else is read on this channel.
self.onmessage = (event) => {
  self.onmessage = null;
  const port = event.ports[0];
  if (!port) return;
  post = bindPost(port);
  port.onmessage = onRequest;
  ready = start();
  ready.catch((err) => post({ type: "failed", text: errorText(err) }));
};
