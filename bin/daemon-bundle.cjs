'use strict';
// The daemon as a few minified files: esbuild bundles server/main.ts, berth's modules and the npm
// packages they use (all but better-sqlite3, a native addon) into dist/daemon/ — main.js and a chunk
// per lazily imported part (the registry client's undici, the Docker API, WebSocket attach …), so
// what loads on first use still does. Why: V8 keeps every loaded module's source text, its record
// and its scope; one minified module graph instead of ~600 files is 12-14 MiB less resident memory
// for the daemon (69 against 81-83 MiB at rest, no containers; `npm run bench -- scale`).
//   node bin/daemon-bundle.cjs   builds it (`npm run build` does)
// bin/berth runs it (daemonEntry()), rebuilding it first when a source is newer, and runs
// dist/server/main.js (tsc's output) where it cannot be built (no esbuild, a read-only checkout).
const fs = require('node:fs');
const path = require('node:path');
const { staleness } = require('./cli-bundle.cjs');

const repo = path.join(__dirname, '..');
const OUTDIR = path.join(repo, 'dist', 'daemon');
const MAIN = path.join(OUTDIR, 'main.js');
const UNBUNDLED = path.join(repo, 'dist', 'server', 'main.js');
/**
 * Loaded from node_modules as they are: native addons (better-sqlite3), and CommonJS packages that
 * berth imports lazily with import() (undici): esbuild's chunk for such a package exports only its
 * module.exports as default, where Node gives the named exports that the code takes from it.
 */
const EXTERNAL = ['better-sqlite3', 'undici'];

function build() {
  const esbuild = require('esbuild');
  const result = esbuild.buildSync({
    absWorkingDir: repo,
    entryPoints: { main: 'server/main.ts' },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    // Error stacks name functions a maintainer can find; errors are told apart by class.
    keepNames: true,
    external: EXTERNAL,
    // CommonJS packages inside an ES module bundle still call require().
    banner: { js: "import { createRequire as __berthRequire } from 'node:module'; const require = __berthRequire(import.meta.url);" },
    // dist/daemon/ is two levels below the checkout, as dist/server/ is: the paths the modules
    // find beside themselves (native/build/, package.json) are the same.
    outdir: OUTDIR,
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules/'));
  // A module that starts a Worker from its own file needs that file beside the bundle: not made here.
  for (const f of inputs) {
    if (/\bnew Worker\(/.test(fs.readFileSync(path.join(repo, f), 'utf8'))) {
      throw new Error(`bin/daemon-bundle.cjs: ${f} starts a Worker from a file; add that file as an entry point of the daemon bundle`);
    }
  }
  fs.rmSync(OUTDIR, { recursive: true, force: true });
  fs.mkdirSync(OUTDIR, { recursive: true });
  for (const out of result.outputFiles) fs.writeFileSync(out.path, out.contents);
  // Written last: a bundle without its list of sources is rebuilt.
  fs.writeFileSync(`${MAIN}.inputs.json`, JSON.stringify(inputs));
}

/** The module bin/berth imports for `berth daemon`: the bundle, built first when it is missing or stale. */
function daemonEntry() {
  if (staleness(MAIN) === undefined) return MAIN;
  try {
    require.resolve('esbuild');
    build();
    return MAIN;
  } catch {
    // No esbuild, or a checkout it cannot write to: tsc's output (`npm run build` makes both).
    return UNBUNDLED;
  }
}

module.exports = { build, daemonEntry, MAIN };

if (require.main === module) build();
