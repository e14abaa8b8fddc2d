// The daemon's collection after a burst (server/idle-memory.ts): when it collects, and that the
// collection it makes frees what is garbage.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BurstWatch, lowMemoryCollector } from '../../server/idle-memory.ts';

test('collects at the first quiet look after a burst, once per burst; start-up is a burst', () => {
  const w = new BurstWatch();
  const periodMs = 5_000;
  const quiet = 100_000; // 0.1 s of CPU in 5 s: 2 %
  const busy = 2_000_000; // 2 s of CPU in 5 s: 40 %
  assert.equal(w.look(quiet, periodMs), true, 'the first quiet look after start-up');
  assert.equal(w.look(quiet, periodMs), false, 'nothing happened since');
  assert.equal(w.look(busy, periodMs), false, 'not while busy');
  assert.equal(w.look(busy, periodMs), false);
  assert.equal(w.look(quiet, periodMs), true, 'the burst is over');
  assert.equal(w.look(quiet, periodMs), false);
});

test('the low-memory collection frees garbage in the old generation and gives the pages back', async () => {
  const collect = await lowMemoryCollector();
  assert.ok(collect, 'this Node has the inspector');
  // ~40 MiB of small objects kept long enough to be promoted out of the young generation, then dropped.
  let kept: Array<{ a: number[] }> | undefined = Array.from({ length: 200_000 }, (_, i) => ({ a: [i, i + 1, i + 2, i + 3, i + 4, i + 5, i + 6, i + 7, i + 8, i + 9, i + 10, i + 11, i + 12, i + 13, i + 14, i + 15, i + 16, i + 17, i + 18, i + 19, i + 20, i + 21, i + 22, i + 23] }));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(kept.length, 200_000);
  const before = process.memoryUsage();
  kept = undefined;
  await collect();
  const after = process.memoryUsage();
  const MiB = 1 << 20;
  assert.ok(after.heapUsed < before.heapUsed - 20 * MiB, `heap used ${(before.heapUsed / MiB).toFixed(1)} → ${(after.heapUsed / MiB).toFixed(1)} MiB`);
  assert.ok(after.heapTotal < before.heapTotal - 20 * MiB, `heap committed ${(before.heapTotal / MiB).toFixed(1)} → ${(after.heapTotal / MiB).toFixed(1)} MiB`);
});
