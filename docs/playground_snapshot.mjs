// Node.js script run by docs/playground_build.py while the site builds: a memory
// snapshot of Pyodide with cnnexplain imported and warmed up, so the playground's
// worker restores a started interpreter instead of starting Python from scratch
// (Pyodide's own start, then importing cnnexplain, is most of the time to ready).
//
// Usage: node docs/playground_snapshot.mjs PYODIDE_DIR WHEEL OUTPUT
//   PYODIDE_DIR  node_modules/pyodide (the version package.json pins)
//   WHEEL        the cnnexplain wheel the same build writes into the site
//   OUTPUT       where to write the snapshot, gzip-compressed
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

const [pyodideDir, wheelPath, output] = process.argv.slice(2);
if (!output) {
  console.error("usage: node playground_snapshot.mjs PYODIDE_DIR WHEEL OUTPUT");
  process.exit(2);
}
const { loadPyodide } = await import(pathToFileURL(resolve(join(pyodideDir, "pyodide.mjs"))).href);
// Python's sys.executable and $_ come from argv[1]: give them what a browser's Pyodide
// has, so that the snapshot holds no path of the machine that built the site.
process.argv[1] = "./this.program";
const pyodide = await loadPyodide({ _makeSnapshot: true });
pyodide.unpackArchive(new Uint8Array(readFileSync(wheelPath)), "wheel");
// What the worker runs when it starts without a snapshot, and every module imported:
// in a snapshot that costs nothing at the reader's end.
pyodide.runPython(
  "import json\nfrom cnnexplain._explain_code.playground import run, warm_up\nwarm_up(every_module=True)",
);
const snapshot = pyodide.makeMemorySnapshot();
writeFileSync(`${output}.part`, gzipSync(snapshot, { level: 6 }));
renameSync(`${output}.part`, output);
