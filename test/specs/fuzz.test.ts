// Fuzz: thousands of malformed manifests, made by mutating valid ones (structure and bytes).
// The loader must never throw, and every problem must be located inside the text it read.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { loadManifests } from '../../specs/load.ts';
import { REPO } from '../fixtures/helpers.ts';
import { mutateBytes, mutateStructure, rng, SEEDS } from './fuzz-corpus.ts';

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
