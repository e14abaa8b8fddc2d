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

/**
 * Node's builtins whose ES facade is costly. An ES import of a builtin makes Node build the module's
 * facade, which reads every export once, getters included: `node:crypto`'s `webcrypto`, `subtle` and
 * `getRandomValues` load all of WebCrypto, `node:tls`'s `rootCertificates` makes a string of each of
 * the 144 root certificates; the daemon uses none of them (`node --expose-gc` on Node 20.20, used
 * heap against require(): crypto +226 KiB, tls +190 KiB; in a heap snapshot of the daemon with 100
 * containers, the certificates' strings were 214 KiB). So the bundle
 * imports these two from a module of its own that requires the builtin and exports its other
 * properties, read once; those getters stay behind the default export (`tls.rootCertificates`),
 * read where used. A named import of one fails the build. (A plugin, hence esbuild's asynchronous
 * build: buildSync takes none.)
 */
const COSTLY_GETTERS = { crypto: ['webcrypto', 'subtle', 'getRandomValues'], tls: ['rootCertificates'] };
const builtinsWithoutFacade = {
  name: 'builtins-without-facade',
  setup(build) {
    build.onResolve({ filter: /^(?:node:)?(?:crypto|tls)$/ }, (a) =>
      a.kind === 'import-statement' ? { path: a.path.replace(/^node:/, ''), namespace: 'builtin' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, (a) => {
      const mod = require(`node:${a.path}`);
      const names = Object.keys(mod).filter((k) => k !== 'default' && !COSTLY_GETTERS[a.path].includes(k));
      const contents = `const m = require("node:${a.path}");\nexport const { ${names.join(', ')} } = m;\nexport default m;\n`;
      return { contents, loader: 'js' };
    });
  },
};

/**
 * zod's messages in English only. zod's namespace (`z`, which berth imports) carries `z.locales`, its
 * messages in 60-odd languages, so all of them were in the bundle and their ~250 KB of source text in
 * the daemon's heap; berth uses zod's default, English (which zod's classic API imports itself). zod's
 * locale index is swapped for one of English alone; were zod to move that file, this would match
 * nothing and the bundle would hold every language again, as before.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (a) =>
      /[/\\]node_modules[/\\]zod[/\\]/.test(a.importer) ? { path: path.join(path.dirname(a.importer), '..', 'locales', 'en.js'), namespace: 'zod-locales' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (a) => ({ contents: `export { default as en } from ${JSON.stringify(a.path)};`, loader: 'js', resolveDir: path.dirname(a.path) }));
  },
};

function bundle(entryPoints) {
  const esbuild = require('esbuild');
  return esbuild.build({
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
    plugins: [builtinsWithoutFacade, zodEnglishOnly],
  });
}

async function build() {
  const sources = (r) => Object.keys(r.metafile.inputs).filter((f) => !f.includes('node_modules/') && !/^[\w-]+:/.test(f));
  let entryPoints = { main: 'server/main.ts' };
  let result = await bundle(entryPoints);
  // Until the scripts that bundled modules load by file name are entry points too (they may import more).
  for (;;) {
    const more = { ...besideEntries(sources(result)), ...entryPoints };
    if (Object.keys(more).length === Object.keys(entryPoints).length) break;
    entryPoints = more;
    result = await bundle(entryPoints);
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
    // Built by a child: esbuild's build with a plugin is asynchronous, and bin/berth asks synchronously.
    const r = require('node:child_process').spawnSync(process.execPath, [__filename], { encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] });
    if (r.status !== 0) throw new Error(String(r.stderr || (r.error && r.error.message) || `exit status ${r.status}`).trim());
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

if (require.main === module) {
  build().catch((err) => {
    process.stderr.write(`${err && err.message ? err.message : err}\n`);
    process.exitCode = 1;
  });
}
