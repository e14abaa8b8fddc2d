import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimulatedClock } from 'xstate';
import { TerminalError } from '../../controllers/errors.ts';
import { WorkQueue, type ResultLabel } from '../../controllers/workqueue.ts';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import { settle } from './fake-engine.ts';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('WorkQueue', () => {
  it('queues a key once however often it is added', async () => {
    const clock = new SimulatedClock();
    const seen: string[] = [];
    const gate = deferred();
    const q = new WorkQueue({
      clock,
      concurrency: 1,
      handler: async (k) => {
        seen.push(k);
        if (k === 'first') await gate.promise;
      },
    });
    q.add('first');
    q.add('a');
    q.add('a');
    q.add('b');
    q.add('a');
    assert.equal(q.depth, 2);
    gate.resolve();
    await q.idle();
    assert.deepEqual(seen, ['first', 'a', 'b']);
  });

  it('never handles one key in two workers; an add while handling runs it once more after', async () => {
    const clock = new SimulatedClock();
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const gates = [deferred(), deferred()];
    const q = new WorkQueue({
      clock,
      concurrency: 4,
      handler: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await gates[runs++]!.promise;
        active--;
      },
    });
    q.add('k');
    await settle();
    q.add('k');
    q.add('k');
    await settle();
    assert.equal(runs, 1, 'the second add waits for the first run');
    gates[0]!.resolve();
    await settle();
    assert.equal(runs, 2);
    gates[1]!.resolve();
    await q.idle();
    assert.equal(runs, 2);
    assert.equal(maxActive, 1);
  });

  it('handles distinct keys concurrently up to the worker count', async () => {
    const clock = new SimulatedClock();
    let active = 0;
    let maxActive = 0;
    const gate = deferred();
    const q = new WorkQueue({
      clock,
      concurrency: 3,
      handler: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await gate.promise;
        active--;
      },
    });
    for (const k of ['a', 'b', 'c', 'd', 'e']) q.add(k);
    await settle();
    assert.equal(active, 3);
    gate.resolve();
    await q.idle();
    assert.equal(maxActive, 3);
  });

  it('retries an error after 5 ms, 10 ms, 20 ms … and forgets the count on success', async () => {
    const clock = new SimulatedClock();
    const at: number[] = [];
    let failures = 3;
    const q = new WorkQueue({
      clock,
      handler: async () => {
        at.push(clock.now());
        if (failures-- > 0) throw new Error('transient');
      },
    });
    q.add('k');
    await q.idle();
    for (const step of [4, 1, 9, 1, 19, 1]) {
      clock.increment(step);
      await q.idle();
      await settle();
    }
    assert.deepEqual(at, [0, 5, 15, 35]);
    assert.equal(q.failures('k'), 0);
  });

  it('requeues after the requested delay; the earliest pending delay wins', async () => {
    const clock = new SimulatedClock();
    const at: number[] = [];
    const q = new WorkQueue({
      clock,
      handler: async () => {
        at.push(clock.now());
        return at.length === 1 ? { requeueAfter: 1000 } : {};
      },
    });
    q.add('k');
    await q.idle();
    q.addAfter('k', 5000);
    clock.increment(999);
    await settle();
    assert.deepEqual(at, [0]);
    clock.increment(1);
    await q.idle();
    assert.deepEqual(at, [0, 1000]);
    clock.increment(10_000);
    await q.idle();
    assert.deepEqual(at, [0, 1000], 'the later delay was folded into the earlier one');
  });

  it('does not retry a terminal error; reports it once', async () => {
    const clock = new SimulatedClock();
    const terminal: unknown[] = [];
    const results: ResultLabel[] = [];
    let runs = 0;
    const q = new WorkQueue({
      clock,
      handler: async (k) => {
        runs++;
        throw k === 'invalid' ? new InvalidArgumentError('spec.image: required') : new TerminalError('no');
      },
      onTerminal: (_k, err) => terminal.push(err),
      observer: { result: (l) => results.push(l) },
    });
    q.add('invalid');
    q.add('other');
    await q.idle();
    clock.increment(3_600_000);
    await q.idle();
    assert.equal(runs, 2);
    assert.equal(terminal.length, 2);
    assert.ok(terminal[0] instanceof InvalidArgumentError);
    assert.deepEqual(results, ['terminal', 'terminal']);
    assert.deepEqual(q.pending(), { queued: [], processing: [], delayed: [] });
  });

  it('reports depth and results to its observer', async () => {
    const clock = new SimulatedClock();
    const depths: number[] = [];
    const results: ResultLabel[] = [];
    const q = new WorkQueue({
      clock,
      concurrency: 1,
      handler: async (k) => (k === 'r' ? { requeueAfter: 10 } : undefined),
      observer: { depth: (n) => depths.push(n), result: (l) => results.push(l) },
    });
    q.add('a');
    q.add('r');
    await q.idle();
    assert.equal(depths.at(-1), 0);
    assert.ok(Math.max(...depths) >= 1);
    assert.deepEqual(results, ['success', 'requeue_after']);
    await q.shutdown();
  });
});
