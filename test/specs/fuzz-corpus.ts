// The fuzz corpus: malformed manifests made by mutating the valid ones of manifests/ (their
// structure, or their bytes), each from a seed, so a failure names its seed and replays. Used by the
// loader's fuzz test and by the JSON Schema test (the schema must reject what the loader rejects).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO } from '../fixtures/helpers.ts';

/** Small deterministic PRNG (mulberry32): a failure names its seed and replays. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SEEDS = ['web.yaml', 'probe.yaml', 'crashloop.yaml', 'images.yaml'].flatMap((f) =>
  readFileSync(join(REPO, 'manifests', f), 'utf8')
    .split(/^---$/m)
    .map((t) => parse(t) as Record<string, unknown>)
    .filter((v) => v && typeof v === 'object'),
);

const WEIRD: unknown[] = [null, true, false, 0, -1, 1.5, 70000, '', 'x', 'Always', '64Mi', '12Q', '-1', [], [1, 'a'], {}, { a: 1 }, '/abs', 'UPPER', 'a'.repeat(100)];
const KEYS = ['imagee', 'sepc', 'metdata', 'nmae', 'ports', 'limits', 'containerPort', 'restartpolicy', 'x', ''];

type Json = Record<string, unknown> | unknown[];

/** Paths to every node of a value. */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out);
  return out;
}

export function mutateStructure(doc: Record<string, unknown>, r: () => number): unknown {
  const copy = structuredClone(doc) as Json;
  const all = paths(copy).filter((p) => p.length > 0);
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const p = all[Math.floor(r() * all.length)];
    if (!p) break;
    let parent: unknown = copy;
    for (const seg of p.slice(0, -1)) parent = (parent as Record<string | number, unknown>)?.[seg];
    if (!parent || typeof parent !== 'object') continue;
    const key = p[p.length - 1]!;
    const obj = parent as Record<string | number, unknown>;
    const op = Math.floor(r() * 4);
    if (op === 0) delete obj[key];
    else if (op === 1) obj[key] = WEIRD[Math.floor(r() * WEIRD.length)];
    else if (op === 2 && !Array.isArray(parent)) {
      obj[KEYS[Math.floor(r() * KEYS.length)]!] = obj[key];
      delete obj[key];
    } else obj[key] = WEIRD[Math.floor(r() * WEIRD.length)];
  }
  return copy;
}

export function mutateBytes(text: string, r: () => number): string {
  const chars = [...text];
  const n = 1 + Math.floor(r() * 4);
  const junk = [':', '-', '[', ']', '{', '}', '"', "'", '\t', '\n', ' ', '#', '&a', '*a', '|', '>', '!!binary', '---', '\u0000', 'é'];
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * (chars.length + 1));
    const op = Math.floor(r() * 3);
    if (op === 0) chars.splice(at, 1);
    else if (op === 1) chars.splice(at, 0, junk[Math.floor(r() * junk.length)]!);
    else chars.splice(at, 1, junk[Math.floor(r() * junk.length)]!);
  }
  return chars.join('');
}
