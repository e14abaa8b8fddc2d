// Fuzz: thousands of malformed manifests, made by mutating valid ones (structure and bytes).
// The loader must never throw, and every problem must be located inside the text it read.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { loadManifests } from '../../specs/load.ts';
import { REPO } from '../fixtures/helpers.ts';

/** Small deterministic PRNG (mulberry32): a failure names its seed and replays. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEEDS = ['web.yaml', 'probe.yaml', 'crashloop.yaml', 'images.yaml'].flatMap((f) =>
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

function mutateStructure(doc: Record<string, unknown>, r: () => number): unknown {
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

function mutateBytes(text: string, r: () => number): string {
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

function checkLocated(text: string, seed: number): number {
  let result: ReturnType<typeof loadManifests>;
  try {
    result = loadManifests([{ file: '/fuzz.yaml', text }]);
  } catch (e) {
    assert.fail(`seed ${seed}: the loader threw ${(e as Error).stack}\n--- input ---\n${text}`);
  }
  const lineCount = text.split('\n').length;
  for (const e of result.errors) {
    assert.equal(e.file, '/fuzz.yaml');
    assert.ok(Number.isInteger(e.line) && e.line >= 1 && e.line <= lineCount + 1, `seed ${seed}: line ${e.line} outside 1..${lineCount + 1}: ${e.message}\n${text}`);
    assert.ok(Number.isInteger(e.col) && e.col >= 1, `seed ${seed}: col ${e.col}: ${e.message}`);
    assert.ok(e.message.length > 0 && !/undefined|\[object Object\]/.test(e.message), `seed ${seed}: message ${JSON.stringify(e.message)}`);
  }
  return result.errors.length;
}

describe('fuzzing the loader', () => {
  it('1,500 structurally mutated manifests: no crash, every error located, every one rejected or still valid by the schema', () => {
    let rejected = 0;
    for (let seed = 1; seed <= 1500; seed++) {
      const r = rng(seed);
      const base = SEEDS[seed % SEEDS.length]!;
      const mutated = mutateStructure(base, r);
      const text = stringify(mutated);
      const before = loadManifests([{ file: '/fuzz.yaml', text }]);
      const errors = checkLocated(text, seed);
      if (errors > 0) rejected++;
      // A mutant without errors must have produced an object: nothing silently dropped.
      else assert.equal(before.objects.length, 1, `seed ${seed}: no errors and no object\n${text}`);
    }
    // Most mutations break something; if almost none are caught, validation has gone lax.
    assert.ok(rejected > 1000, `only ${rejected} of 1500 mutants rejected`);
  });

  it('1,000 byte-mutated manifests (broken YAML): no crash, every error located', () => {
    const texts = ['web.yaml', 'probe.yaml', 'images.yaml'].map((f) => readFileSync(join(REPO, 'manifests', f), 'utf8'));
    for (let seed = 1; seed <= 1000; seed++) {
      const r = rng(100_000 + seed);
      checkLocated(mutateBytes(texts[seed % texts.length]!, r), 100_000 + seed);
    }
  });
});
