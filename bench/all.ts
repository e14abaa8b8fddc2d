// `npm run bench -- all`: every benchmark, one after the other (each in its own process, its output
// shown as it comes), then a Markdown table of every comparison line they printed — with the goal
// from issue 16 where there is one — written to bench/results.md. `bench scale` draws bench/scale.svg.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchNames } from './lib.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));

/** A comparison line: `[bench ]what: berth X unit, peer Y unit, ratio R`. */
const LINE = /^(?:bench )?(.+?): berth ([\d.]+) (\S+), (.+?) ([\d.]+) (\S+), ratio ([\d.]+)$/;

/** What each line measures, in a user's words, and issue 16's goal for its ratio. */
const ROWS: Record<string, { path: string; goal?: string }> = {
  run: { path: '`run --rm IMG true` through the CLI', goal: '≤ 0.4' },
  apply: { path: 'apply 50 `sleep` containers → all Running', goal: '≤ 0.08' },
  'apply-500': { path: 'apply 500 `sleep` containers → all Running', goal: '< 8 s' },
  build: { path: 'unchanged rebuild through the CLI', goal: '≤ 0.2' },
  'cold build, CLI (--no-cache)': { path: 'cold build through the CLI', goal: '≤ 0.5' },
  'pull (download only)': { path: 'pull, download only', goal: '≤ 1.0' },
  pull: { path: 'pull, whole (download + unpack)', goal: '≤ 0.6' },
  network: { path: 'start-to-ready on a network with a published port', goal: '≤ 0.35' },
  'ps-100': { path: '`ps -a` with 100 containers through the CLI' },
  exec: { path: '`exec` of `true` in a running container, through the CLI' },
  'exec-keystroke': { path: 'a keystroke\'s round trip through `exec -it`/`attach`' },
  pods: { path: 'a Pod of 3 containers up (peer: 3 × `docker run --network container:`)' },
  'start-100': { path: '100 containers started one after another, from ready bundles' },
  store: { path: 'objects stored per second (higher is better)' },
  'rss-100': { path: 'daemon RSS with 100 containers', goal: '≤ 0.4' },
  'rss-per-container': { path: 'daemon RSS per container (slope 10 → 500)', goal: 'berth ≪ 512 KiB' },
  'monitor-rss': { path: 'RSS of one monitor (500 running)', goal: '≤ 1024 KiB' },
  start: { path: 'one container start from a ready bundle', goal: '≤ 0.3' },
  cli: { path: '`berth --version`', goal: '≤ 1.0' },
  'metrics-500': { path: '`/metrics` with 500 containers (peer: `docker stats --no-stream`)', goal: 'berth ≤ 50 ms' },
  watch: { path: 'file change in a watched directory → reconcile started', goal: 'berth ≤ 250 ms' },
  'docker-api-run': { path: '`docker run --rm IMG true` on the Docker API socket' },
  'docker-api-ps-100': { path: '`docker ps -a` with 100 containers, on the Docker API socket' },
  'docker-api': { path: '`docker-compose up -d` of 50 services, on the Docker API socket' },
};

interface Result {
  bench: string;
  what: string;
  berth: string;
  peer: string;
  ratio: string;
}

function runBench(name: string, args: string[]): Promise<{ code: number; lines: string[] }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'run.ts'), name, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      process.stdout.write(d);
      out += d.toString('utf8');
    });
    child.on('close', (code) => resolve({ code: code ?? 1, lines: out.split('\n') }));
  });
}

export default async function all(args: string[]): Promise<void> {
  // scale last: it takes the longest (500 containers each side), and the table is written after each bench.
  const only = args.length ? args : benchNames(HERE).filter((b) => b !== 'all' && b !== 'scale').concat('scale');
  const results: Result[] = [];
  const failed: string[] = [];
  const started = new Date();
  const earlier = history(join(HERE, 'results.md'));
  for (const [i, name] of only.entries()) {
    console.log(`\n== bench ${name}`);
    const { code, lines } = await runBench(name, []);
    if (code !== 0) failed.push(name);
    for (const l of lines) {
      const m = LINE.exec(l.trim());
      if (m) results.push({ bench: name, what: m[1]!, berth: `${m[2]} ${m[3]}`, peer: `${m[4]} ${m[5]} ${m[6]}`, ratio: m[7]! });
    }
    writeResults(results, failed, only.slice(i + 1), started, earlier);
  }
  console.log(`\nwrote bench/results.md (${results.length} figures${failed.length ? `; failed: ${failed.join(', ')}` : ''})`);
  if (failed.length) process.exitCode = 1;
}

/** What results.md held below its table (the earlier runs' sections, from its first `## `), kept under the new table. */
function history(file: string): string {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const at = text.search(/^## /m);
  return at < 0 ? '' : text.slice(at);
}

function writeResults(results: Result[], failed: string[], pending: string[], started: Date, earlier: string): void {
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: HERE, encoding: 'utf8' }).trim();
  const table = results.map((r) => {
    const row = ROWS[r.what];
    return `| ${row?.path ?? r.what} | ${r.berth} | ${r.peer} | ${r.ratio} | ${row?.goal ?? ''} | \`bench ${r.bench}\` |`;
  });
  const md = [
    '# Benchmarks',
    '',
    `\`npm run bench -- all\` at ${commit}, ${started.toISOString()}: ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)} at the end`,
    '(other work shared the host; every bench interleaves berth and its peer, so the ratios hold where the absolute times do not).',
    '',
    '| path | berth | peer | ratio | goal | from |',
    '|---|---|---|---|---|---|',
    ...table,
    '',
    ...(failed.length ? [`Failed to finish: ${failed.map((f) => `\`bench ${f}\``).join(', ')} (see the run's output).`, ''] : []),
    ...(pending.length ? [`Not run yet when this was written: ${pending.map((f) => `\`bench ${f}\``).join(', ')}.`, ''] : []),
    '![apply time and daemon memory against N containers](scale.svg)',
    '',
    ...(earlier ? [earlier] : []),
  ].join('\n');
  writeFileSync(join(HERE, 'results.md'), md);
}
