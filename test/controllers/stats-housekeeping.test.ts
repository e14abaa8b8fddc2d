// The background collection of container stats for /metrics (stats-housekeeping.ts), on a simulated
// clock: a scrape serves what was collected (no read per container per scrape), reads only a
// container it has nothing of yet, collection follows the running containers, and it stops when
// nobody scrapes — unless told to collect always (a daemon serving /metrics).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimulatedClock } from 'xstate';
import { StatsHousekeeping } from '../../controllers/stats-housekeeping.ts';
import type { ContainerStats } from '../../specs/api/containers.ts';

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('stats housekeeping', () => {
  const clock = new SimulatedClock();
  const reads: string[] = [];
  let running = ['a', 'b'];
  let cpu = 1;
  const h = new StatsHousekeeping({
    clock,
    intervalMs: 10_000,
    ids: () => running,
    read: async (id) => {
      reads.push(id);
      return running.includes(id) ? ({ cpuUsageSeconds: cpu, readAt: new Date(clock.now()).toISOString() } as unknown as ContainerStats) : undefined;
    },
  });

  it('reads a container once, then serves what it has until the next collection', async () => {
    assert.equal((await h.get('a'))?.cpuUsageSeconds, 1);
    assert.equal((await h.get('b'))?.cpuUsageSeconds, 1);
    cpu = 2;
    assert.equal((await h.get('a'))?.cpuUsageSeconds, 1);
    assert.deepEqual(reads, ['a', 'b']);
  });

  it('collects every running container each interval, and forgets those that stopped', async () => {
    running = ['a'];
    clock.increment(10_000);
    await settle();
    assert.deepEqual(reads.slice(2), ['a']);
    assert.equal((await h.get('a'))?.cpuUsageSeconds, 2);
    // b is not listed any more: a scrape that still asks reads it (and finds nothing).
    assert.equal(await h.get('b'), undefined);
    assert.deepEqual(reads.slice(3), ['b']);
  });

  it('stops collecting when nobody scrapes', async () => {
    for (let i = 0; i < 8; i++) {
      clock.increment(10_000);
      await settle();
    }
    const n = reads.length;
    clock.increment(10_000);
    await settle();
    assert.equal(reads.length, n, 'no reads without scrapes');
    h.stop();
  });

  it('reads a container started since the last round within a second, while someone scrapes, not at the next scrape', async () => {
    const c = new SimulatedClock();
    const read: string[] = [];
    let ids = ['p'];
    const w = new StatsHousekeeping({
      clock: c,
      intervalMs: 10_000,
      ids: () => ids,
      read: async (id) => {
        read.push(id);
        return { cpuUsageSeconds: 1, readAt: new Date(c.now()).toISOString() } as unknown as ContainerStats;
      },
    });
    await w.get('p');
    ids = ['p', 'q'];
    c.increment(1000);
    await settle();
    assert.deepEqual(read, ['p', 'q'], 'q read once, p not again');
    assert.ok(w.collected('q'), 'the next scrape has it at hand');
    c.increment(1000);
    await settle();
    assert.deepEqual(read, ['p', 'q'], 'nothing read again before the round');
    w.stop();
  });

  it('collects every interval without scrapes when told to collect always, until stopped', async () => {
    const c = new SimulatedClock();
    const read: string[] = [];
    const told: Array<[string, number]> = [];
    const always = new StatsHousekeeping({
      clock: c,
      intervalMs: 10_000,
      ids: () => ['x'],
      collected: (id, s) => told.push([id, s.cpuUsageSeconds]),
      read: async (id) => {
        read.push(id);
        return { cpuUsageSeconds: read.length, readAt: new Date(c.now()).toISOString() } as unknown as ContainerStats;
      },
    });
    always.collectAlways();
    c.increment(1000);
    await settle();
    assert.equal(read.length, 1, 'a container without stats is read within a second, before the round');
    for (let i = 0; i < 10; i++) {
      c.increment(10_000);
      await settle();
    }
    assert.equal(read.length, 11, 'then one read per interval, nobody scraping');
    assert.deepEqual(told, [], 'nobody scrapes: nothing told, nothing made ahead');
    assert.equal(always.collected('x')?.cpuUsageSeconds, 11, 'a scrape serves the last collected');
    c.increment(10_000);
    await settle();
    assert.deepEqual(told, [['x', 12]], 'once someone scrapes, each read in the background is told as it is read');
    always.stop();
    c.increment(30_000);
    await settle();
    assert.equal(read.length, 12, 'nothing read once stopped');
  });

  it('tells nothing of a read a scrape asked for itself, and a failing listener does not stop a round', async () => {
    const c = new SimulatedClock();
    const told: string[] = [];
    const w = new StatsHousekeeping({
      clock: c,
      intervalMs: 10_000,
      ids: () => ['y', 'z'],
      read: async () => ({ cpuUsageSeconds: 1, readAt: new Date(c.now()).toISOString() }) as unknown as ContainerStats,
      collected: (id) => {
        told.push(id);
        throw new Error('listener failed');
      },
    });
    await w.get('y');
    assert.deepEqual(told, [], 'the scrape makes its own lines of what it read');
    c.increment(10_000);
    await settle();
    assert.deepEqual(told, ['z', 'y', 'z'], 'the newcomer z, then the round of both');
    assert.ok(w.collected('z'), 'the round was published');
    w.stop();
  });
});
