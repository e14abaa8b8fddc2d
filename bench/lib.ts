// Shared helpers for benchmarks: timing, medians, interleaving and the final comparison line.
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

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

/** The benches in bench/ (every module but the shared ones), sorted. */
export function benchNames(dir: string): string[] {
  const shared = ['run', 'lib', 'fleet', 'plot', 'dockerd'];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !shared.includes(f.slice(0, -3)))
    .map((f) => f.slice(0, -3))
    .sort();
}
