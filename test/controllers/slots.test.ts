// Slots: at most `limit` runs at once, the others started in the order they came, a waiting run
// whose signal aborted never started, and a failing run giving its slot back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Slots } from '../../controllers/slots.ts';

/** A run that stays open until released, recording when it began. */
function gate(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return { run: () => (log.push(name), done.then(() => name)), release };
}

describe('Slots', () => {
  it('runs at most limit at once, the rest first come first served', async () => {
    const slots = new Slots(2);
    const log: string[] = [];
    const gates = ['a', 'b', 'c', 'd'].map((n) => gate(log, n));
    const results = gates.map((g) => slots.run(g.run));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ['a', 'b']);
    gates[1]!.release();
    await results[1];
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ['a', 'b', 'c']);
    gates[0]!.release();
    gates[2]!.release();
    gates[3]!.release();
    assert.deepEqual(await Promise.all(results), ['a', 'b', 'c', 'd']);
  });

  it('does not start a waiting run whose signal aborted, and a failure frees its slot', async () => {
    const slots = new Slots(1);
    const log: string[] = [];
    const first = gate(log, 'first');
    const running = slots.run(first.run);
    const ac = new AbortController();
    const skipped = slots.run(async () => log.push('skipped'), ac.signal);
    const failing = slots.run(async () => {
      log.push('failing');
      throw new Error('boom');
    });
    ac.abort(new Error('stopped'));
    first.release();
    await running;
    await assert.rejects(skipped, /stopped/);
    await assert.rejects(failing, /boom/);
    assert.equal(await slots.run(async () => 'after'), 'after');
    assert.deepEqual(log, ['first', 'failing']);
  });

  it('refuses a limit below one', () => {
    assert.throws(() => new Slots(0), RangeError);
  });
});
