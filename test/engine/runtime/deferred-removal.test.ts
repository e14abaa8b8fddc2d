// A deleted container's directory: gone from its place at once, its files removed in the
// background, and what a crash left aside removed by the next sweep.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DeferredRemoval } from '../../../engine/runtime/deferred-removal.ts';

describe('DeferredRemoval', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'berth-removal-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const container = (name: string) => {
    const dir = join(tmp, 'containers', name);
    mkdirSync(dir, { recursive: true });
    for (const f of ['meta.json', 'pid', 'exit.json']) writeFileSync(join(dir, f), '{}');
    return dir;
  };

  it('moves the directory away at once and removes it, with what a crash left aside', async () => {
    const aside = join(tmp, 'removed');
    mkdirSync(join(aside, 'left-by-a-crash-0123abcd'), { recursive: true });
    writeFileSync(join(aside, 'left-by-a-crash-0123abcd', 'meta.json'), '{}');
    const removal = new DeferredRemoval(aside);
    const dirs = ['a', 'b', 'c'].map(container);
    for (const d of dirs) removal.remove(d);
    for (const d of dirs) assert.ok(!existsSync(d), `${d} still in place`);
    await removal.settled();
    assert.deepEqual(readdirSync(aside), []);
    // A removal after the sweep ended starts another.
    const d = container('d');
    removal.remove(d);
    assert.ok(!existsSync(d));
    await removal.settled();
    assert.deepEqual(readdirSync(aside), []);
  });

  it('a directory already gone is no error', async () => {
    const removal = new DeferredRemoval(join(tmp, 'removed2'));
    removal.remove(join(tmp, 'containers', 'never-made'));
    await removal.settled();
    assert.deepEqual(readdirSync(join(tmp, 'removed2')), []);
  });
});
