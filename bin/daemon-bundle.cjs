'use strict';
// The daemon as a few minified files: esbuild bundles server/main.ts, berth's modules and the npm
// packages they use (all but better-sqlite3, a native addon) into dist/daemon/ — main.js and a chunk
// per lazily imported part (the Docker API, WebSocket attach …), so
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
 * Loaded from node_modules as they are: native addons (better-sqlite3). A CommonJS package that
 * berth imported lazily with import() would belong here too: esbuild's chunk for such a package
 * exports only its module.exports as default, where Node gives the named exports the code takes.
 */
const EXTERNAL = ['better-sqlite3'];

/**
 * The modules a bundled module loads from its own directory by file name, as a Worker's script:
 * `new URL('./name.js', import.meta.url)` where a source name.ts is beside it. Each becomes an entry point of
 * its own, dist/daemon/name.js, where the bundled module looks for it.
 */
function besideEntries(inputs) {
  const out = {};
  for (const f of inputs) {
    const text = fs.readFileSync(path.join(repo, f), 'utf8');
    // './name.js', or `./name${…}` (a name whose ending differs between the sources and dist/).
    for (const m of text.matchAll(/new URL\(\s*(?:['"]\.\/([\w-]+)\.js['"]|`\.\/([\w-]+)(?:\.js`|\$\{))/g)) {
      const name = m[1] ?? m[2];
      const src = path.join(path.dirname(f), `${name}.ts`);
      if (fs.existsSync(path.join(repo, src))) out[name] = src;
    }
  }
  return out;
}

function bundle(entryPoints) {
  const esbuild = require('esbuild');
  return esbuild.buildSync({
    absWorkingDir: repo,
    entryPoints,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Whitespace and syntax minified, names kept as written: error stacks name functions a
    // maintainer can find, and a class's name is its own (errdefs.ts tells errors apart by class).
    // Not esbuild's keepNames: it wraps each function in __name(fn, "name"), which redefines the
    // function's `name` and turns its properties into a dictionary (~256 bytes) at every creation,
    // closures made per container included. Measured (a daemon with its API up, no containers):
    // heap used 15.0 MiB with keepNames and identifiers minified, 14.2 MiB this way (13.6 MiB with
    // identifiers minified too, but class names lost); after an apply of 100, 5,364 functions held
    // such a dictionary (1.3 MiB), 2,079 at start.
    minifyWhitespace: true,
    minifySyntax: true,
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
}

function build() {
  const sources = (r) => Object.keys(r.metafile.inputs).filter((f) => !f.includes('node_modules/'));
  let entryPoints = { main: 'server/main.ts' };
  let result = bundle(entryPoints);
  // Until the scripts that bundled modules load by file name are entry points too (they may import more).
  for (;;) {
    const more = { ...besideEntries(sources(result)), ...entryPoints };
    if (Object.keys(more).length === Object.keys(entryPoints).length) break;
    entryPoints = more;
    result = bundle(entryPoints);
  }
  fs.rmSync(OUTDIR, { recursive: true, force: true });
  fs.mkdirSync(OUTDIR, { recursive: true });
  for (const out of result.outputFiles) fs.writeFileSync(out.path, out.contents);
  // Written last: a bundle without its list of sources is rebuilt.
  fs.writeFileSync(`${MAIN}.inputs.json`, JSON.stringify(sources(result)));
}

/** The module bin/berth imports for `berth daemon`: the bundle, built first when it is missing or stale. */
function daemonEntry() {
  if (staleness(MAIN) === undefined) return MAIN;
  try {
    require.resolve('esbuild');
    build();
    return MAIN;
  } catch (err) {
    // No esbuild, or a checkout it cannot write to: tsc's output (`npm run build` makes both), said
    // aloud, since it may be as stale as the bundle.
    const why = String(err && err.message ? err.message : err).split('\n')[0];
    process.stderr.write(`berth: cannot rebuild the daemon bundle dist/daemon/ (${why}); running dist/server/main.js, which may be older than the sources: run \`npm run build\`\n`);
    return UNBUNDLED;
  }
}

module.exports = { build, daemonEntry, MAIN };

if (require.main === module) build();
