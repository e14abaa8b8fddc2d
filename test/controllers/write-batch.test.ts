// The Container controller's write batch, on the real store (SQLite in memory).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WriteBatch } from '../../controllers/write-batch.ts';
import { ContainerObject } from '../../specs/schema.ts';
import { Store } from '../../store/store.ts';
import { settle } from './fake-engine.ts';

function setup() {
  const store = new Store(':memory:');
  for (const name of ['a', 'b']) {
    store.put(ContainerObject.parse({ apiVersion: 'berth.dev/v1', kind: 'Container', metadata: { name }, spec: { image: 'busybox:1' } }), 'file:/t.yaml');
  }
  const seen: string[] = [];
  store.feed.onObject((c) => seen.push(`${c.type} ${c.name} ${(c.resource.status as { phase?: string }).phase ?? ''}`.trim()));
  store.feed.onEvent((e) => seen.push(`event ${e.involvedObject.name} ${e.reason}`));
  const errors: unknown[] = [];
  const batch = new WriteBatch(store, (err) => errors.push(err));
  const status = (name: string, phase: string) => batch.status(name, () => store.setStatus({ kind: 'Container', name }, { phase }));
  const event = (name: string, reason: string) => batch.event(() => store.recordEvent({ type: 'Normal', reason, message: reason, involvedObject: { kind: 'Container', name }, component: 'test' }));
  return { store, seen, errors, batch, status, event };
}

describe('WriteBatch', () => {
  it('writes the latest status of each object and the events, in order, once per turn', async () => {
    const t = setup();
    t.status('a', 'Pending');
    t.event('a', 'Created');
    t.status('a', 'Creating');
    t.status('b', 'Pending');
    t.event('a', 'Started');
    t.status('a', 'Running');
    assert.deepEqual(t.seen, [], 'nothing before the turn ends');
    await settle(1);
    assert.deepEqual(t.seen, ['event a Created', 'event a Started', 'status a Running', 'status b Pending']);
    assert.equal((t.store.get('Container', 'a')!.status as { phase: string }).phase, 'Running');
    assert.deepEqual(t.store.listEvents({ name: 'a' }).map((e) => e.reason), ['Created', 'Started']);
  });

  it('a write that fails (its object deleted meanwhile) is reported and does not undo the others', async () => {
    const t = setup();
    t.status('a', 'Running');
    t.status('b', 'Running');
    t.store.delete('Container', 'a');
    t.seen.length = 0;
    t.batch.flush();
    assert.deepEqual(t.seen, ['status b Running']);
    assert.equal(t.errors.length, 1);
    assert.match(String(t.errors[0]), /Container "a" not found/);
  });

  it('a store that is closed is reported, not thrown', async () => {
    const t = setup();
    t.status('a', 'Running');
    t.store.close();
    t.batch.flush();
    assert.equal(t.errors.length, 1);
    await settle(1);
  });
});
