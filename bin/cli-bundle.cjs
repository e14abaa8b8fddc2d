'use strict';
// The CLI as one file: esbuild bundles cli/main.ts and what it imports (berth's own modules and
// commander) into dist/cli.cjs, so that a verb costs one file read instead of resolving and
// compiling a hundred ES modules. The other npm packages stay in node_modules, required only by
// the verbs that use them (zod and yaml for manifests, tar for remote builds, diff, cli-progress).
// bin/berth runs the bundle through V8's code cache (dist/cli.cjs.v8cache): compiling the bundle
// is most of what it costs otherwise (see `npm run bench -- cli`).
//   node bin/cli-bundle.cjs   builds it (`npm run build` does)
// bin/berth builds it on first use when it is missing, or older than a file it was made from.
const fs = require('node:fs');
const path = require('node:path');

const repo = path.join(__dirname, '..');
const BUNDLE = path.join(repo, 'dist', 'cli.cjs');
const CACHE = `${BUNDLE}.v8cache`;

/** Builds dist/cli.cjs (or `outfile`); returns its text. `write: false` builds in memory (a read-only checkout). */
function build({ write = true, outfile = BUNDLE } = {}) {
  const esbuild = require('esbuild');
  const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
  const bundled = new Set(['commander']);
  const result = esbuild.buildSync({
    absWorkingDir: repo,
    entryPoints: ['cli/main.ts'],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    // Error stacks name functions and lines a maintainer can find.
    keepNames: true,
    external: Object.keys(pkg.dependencies).filter((d) => !bundled.has(d)),
    // import() of those packages becomes require(): a vm.Script has no loader for import().
    supported: { 'dynamic-import': false },
    // specs/version.ts finds package.json next to the code: dist/ is one level down, as specs/ is.
    define: { 'import.meta.url': '__berthBundleUrl' },
    banner: { js: "var __berthBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    outfile,
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  const text = result.outputFiles[0].text;
  if (write) {
    fs.mkdirSync(path.dirname(outfile), { recursive: true });
    const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules/'));
    writeAtomic(outfile, text);
    writeAtomic(`${outfile}.inputs.json`, JSON.stringify(inputs));
    fs.rmSync(`${outfile}.v8cache`, { force: true });
  }
  return text;
}

function writeAtomic(file, data) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** Why the bundle must be (re)built, or undefined when it is current. */
function staleness(bundle = BUNDLE) {
  let built;
  try {
    built = fs.statSync(bundle).mtimeMs;
  } catch {
    return 'missing';
  }
  let inputs;
  try {
    inputs = JSON.parse(fs.readFileSync(`${bundle}.inputs.json`, 'utf8'));
  } catch {
    return 'its list of sources is missing';
  }
  for (const f of inputs) {
    const st = fs.statSync(path.join(repo, f), { throwIfNoEntry: false });
    if (!st || st.mtimeMs > built) return `${f} changed`;
  }
  return undefined;
}

/** The bundle's source, built first when it is missing or stale (and esbuild is installed). */
function source() {
  const why = staleness();
  if (why === undefined) return { text: fs.readFileSync(BUNDLE, 'utf8'), fresh: true };
  let esbuildThere = true;
  try {
    require.resolve('esbuild');
  } catch {
    esbuildThere = false;
  }
  if (!esbuildThere) {
    if (why !== 'missing') return { text: fs.readFileSync(BUNDLE, 'utf8'), fresh: true };
    throw Object.assign(new Error('berth is not built (dist/cli.cjs is missing) and esbuild is not installed: run `npm install` (or `npm run build`) in the checkout'), { code: 'BERTH_NOT_BUILT' });
  }
  try {
    // Written: the code cache can be stamped with it.
    return { text: build(), fresh: true };
  } catch (err) {
    if (err && (err.code === 'EACCES' || err.code === 'EROFS' || err.code === 'EPERM')) return { text: build({ write: false }), fresh: false };
    throw err;
  }
}

/**
 * Runs the bundle as a CommonJS module compiled with V8's code cache: the cache is written when it
 * is missing or V8 rejects it (another Node, other flags), after the verb ran so that it holds the
 * functions the verb compiled too. The cache records the bundle's size and time, so a rebuilt
 * bundle never meets an old cache.
 */
function run() {
  const vm = require('node:vm');
  const Module = require('node:module');
  const { text, fresh } = source();
  const stamp = fresh ? stampOf() : undefined;
  let cachedData;
  if (stamp) {
    try {
      const c = fs.readFileSync(CACHE);
      if (c.subarray(0, stamp.length).equals(stamp)) cachedData = c.subarray(stamp.length);
    } catch {
      // no cache yet
    }
  }
  const script = new vm.Script(Module.wrap(text), { filename: BUNDLE, cachedData });
  if (stamp && (cachedData === undefined || script.cachedDataRejected)) {
    process.once('exit', () => {
      try {
        writeAtomic(CACHE, Buffer.concat([stamp, script.createCachedData()]));
      } catch {
        // a read-only checkout: run without the cache
      }
    });
  }
  const mod = new Module(BUNDLE, module);
  mod.filename = BUNDLE;
  mod.paths = Module._nodeModulePaths(path.dirname(BUNDLE));
  const req = Module.createRequire(BUNDLE);
  script.runInThisContext()(mod.exports, req, mod, BUNDLE, path.dirname(BUNDLE));
}

function stampOf() {
  const st = fs.statSync(BUNDLE);
  return Buffer.from(`berth-cli ${st.size} ${st.mtimeMs} ${process.version}\n`);
}

module.exports = { build, run, staleness, BUNDLE };

if (require.main === module) {
  build();
}
