// Shared helpers for benchmarks: timing, medians, interleaving, the final comparison line, the
// list of benches, and a private network namespace to run in.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function timeMs(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/**
 * Runs each contender `rounds` times, interleaved (a, b, a, b, …) so that drift in the machine's load
 * falls on both alike; returns the samples per contender in ms.
 */
export async function interleave(
  rounds: number,
  contenders: Record<string, () => Promise<unknown> | unknown>,
  opts: { warmup?: number } = {},
): Promise<Record<string, number[]>> {
  const names = Object.keys(contenders);
  for (let i = 0; i < (opts.warmup ?? 1); i++) for (const n of names) await contenders[n]!();
  const out: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < rounds; i++) {
    for (const n of names) out[n]!.push(await timeMs(contenders[n]!));
  }
  return out;
}

function fmt(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toPrecision(3);
}

/** Prints the comparison line every bench ends with. */
export function report(name: string, berth: number, peerName: string, peer: number, unit: string): void {
  console.log(`bench ${name}: berth ${fmt(berth)} ${unit}, ${peerName} ${fmt(peer)} ${unit}, ratio ${(berth / peer).toFixed(3)}`);
}

/** Resident memory of a process, in KiB (0 when it is gone). */
export function rssKiB(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** The host's CPU time so far: all of it and the idle part (idle + iowait), from /proc/stat, in ticks. */
function cpuTicks(): { total: number; idle: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { total: f.reduce((a, b) => a + b, 0), idle: f[3]! + f[4]! };
}

/**
 * Waits until the host's CPUs are at least `idleShare` idle over a second, for at most `limitMs`;
 * returns how long it waited and the last second's idle share. For figures taken with many
 * containers just made, so that they measure the daemons at rest rather than the host still busy
 * with what was just started (a peer's 500 new containers kept 2 cores at load 100–200 for minutes).
 */
export async function quietHost(limitMs: number, idleShare = 0.8): Promise<{ waitedMs: number; idle: number }> {
  const t0 = performance.now();
  for (;;) {
    const a = cpuTicks();
    await new Promise((r) => setTimeout(r, 1000));
    const b = cpuTicks();
    const idle = (b.idle - a.idle) / Math.max(1, b.total - a.total);
    const waitedMs = performance.now() - t0;
    if (idle >= idleShare || waitedMs >= limitMs) return { waitedMs, idle };
  }
}

/** The benches in bench/ (every module but the shared ones), sorted. */
export function benchNames(dir: string): string[] {
  const shared = ['run', 'lib', 'fleet', 'plot', 'dockerd'];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !shared.includes(f.slice(0, -3)))
    .map((f) => f.slice(0, -3))
    .sort();
}

const NETNS_ENV = 'BERTH_BENCH_NETNS';

/**
 * True inside a network namespace made for the bench; otherwise makes one (loopback up), runs
 * `npm run bench -- <name> <args>` again inside it (with a mount namespace of its own), removes it
 * and returns false. Bridges, iptables rules and published ports of both contenders stay there.
 */
export function insidePrivateNetns(name: string, args: string[]): boolean {
  if (process.env[NETNS_ENV]) return true;
  const ns = `berth-bench-${randomBytes(4).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    const runTs = fileURLToPath(new URL('run.ts', import.meta.url));
    execFileSync('nsenter', [`--net=/run/netns/${ns}`, 'unshare', '--mount', '--propagation', 'slave', process.execPath, '--import', 'tsx', runTs, name, ...args], {
      stdio: 'inherit',
      env: { ...process.env, [NETNS_ENV]: ns },
    });
  } finally {
    execFileSync('ip', ['netns', 'delete', ns]);
  }
  return false;
}
