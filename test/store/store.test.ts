// The store: migrations, generation, transactions, events aggregation, the change feed.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { AlreadyExistsError, NotFoundError } from '../../specs/errdefs.ts';
import type { Manifest } from '../../specs/objects.ts';
import type { ObjectChange } from '../../store/feed.ts';
import { migrate, MIGRATIONS } from '../../store/migrations.ts';
import { Store } from '../../store/store.ts';
import { tempDir } from '../fixtures/helpers.ts';

const container = (name: string, image: string, labels?: Record<string, string>): Manifest => ({
  apiVersion: 'berth.dev/v1',
  kind: 'Container',
  metadata: { name, ...(labels ? { labels } : {}) },
  spec: { image, restartPolicy: 'Always', readOnlyRootFilesystem: false, terminationGracePeriodSeconds: 30 },
});

describe('store', () => {
  const tmp = tempDir('berth-store-');
  after(async () => (await tmp).remove());
  let n = 0;
  const dbPath = async () => join((await tmp).path, `s${n++}`, 'state.db');

  it('migrates a new database, reopens without re-running, refuses a newer one', async () => {
    const path = await dbPath();
    const s = new Store(path);
    assert.equal(s.db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    assert.equal(s.db.pragma('journal_mode', { simple: true }), 'wal');
    s.put(container('a', 'x/y'), 'cli');
    s.close();
    const again = new Store(path);
    assert.equal(again.list().length, 1);
    again.db.pragma('user_version = 99');
    again.close();
    assert.throws(() => new Store(path), /store schema version 99 is newer than this berth understands/);
  });

  it('a failing migration leaves the database at the previous version', () => {
    const db = new Database(':memory:');
    const migrations = [
      { version: 1, description: 'one', up: 'CREATE TABLE a (x INTEGER);' },
      { version: 2, description: 'two', up: 'CREATE TABLE b (x INTEGER); INSERT INTO nope VALUES (1);' },
    ];
    assert.throws(() => migrate(db, migrations), /no such table: nope/);
    assert.equal(db.pragma('user_version', { simple: true }), 1);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>;
    assert.deepEqual(tables.map((t) => t.name), ['a']);
    assert.deepEqual(migrate(db, migrations.slice(0, 1)), { from: 1, to: 1 });
  });

  it('bumps generation only when the spec changes; uid and creation time stay', async () => {
    const s = new Store(await dbPath());
    const a = s.put(container('web', 'x/a'), 'file:/m/a.yaml');
    assert.equal(a.action, 'created');
    assert.equal(a.resource.metadata.generation, 1);
    assert.deepEqual(a.resource.status, {});
    const same = s.put(container('web', 'x/a'), 'file:/m/a.yaml');
    assert.equal(same.action, 'unchanged');
    const labelled = s.put(container('web', 'x/a', { app: 'web' }), 'file:/m/a.yaml');
    assert.equal(labelled.action, 'configured');
    assert.equal(labelled.resource.metadata.generation, 1);
    const moved = s.put(container('web', 'x/a', { app: 'web' }), 'file:/m/b.yaml');
    assert.equal(moved.action, 'configured');
    assert.equal(moved.resource.metadata.source, 'file:/m/b.yaml');
    const changed = s.put(container('web', 'x/b', { app: 'web' }), 'file:/m/b.yaml');
    assert.equal(changed.action, 'configured');
    assert.equal(changed.resource.metadata.generation, 2);
    assert.equal(changed.resource.metadata.uid, a.resource.metadata.uid);
    assert.equal(changed.resource.metadata.creationTimestamp, a.resource.metadata.creationTimestamp);
    // Key order does not make a spec different.
    const reordered = { ...container('web', 'x/b', { app: 'web' }) };
    reordered.spec = Object.fromEntries(Object.entries(reordered.spec).reverse()) as typeof reordered.spec;
    assert.equal(s.put(reordered, 'file:/m/b.yaml').action, 'unchanged');
    // Status writes never bump generation.
    const written = s.setStatus({ kind: 'Container', name: 'web' }, { observedGeneration: 2, phase: 'Pending', message: undefined });
    assert.equal(s.mustGet('Container', 'web').metadata.generation, 2);
    assert.deepEqual(s.mustGet('Container', 'web').status, { observedGeneration: 2, phase: 'Pending' });
    // What setStatus returns is the object as it now reads from the store.
    assert.deepEqual(written, s.mustGet('Container', 'web'));
    // A delete then re-create is a new object: new uid, generation 1.
    s.delete('Container', 'web');
    const again = s.put(container('web', 'x/b'), 'cli');
    assert.equal(again.resource.metadata.generation, 1);
    assert.notEqual(again.resource.metadata.uid, a.resource.metadata.uid);
    assert.throws(() => s.delete('Container', 'nope'), NotFoundError);
    s.close();
  });

  it('a transaction that throws leaves nothing behind and notifies nobody', async () => {
    const s = new Store(await dbPath());
    s.put(container('keep', 'x/a'), 'cli');
    const seen: ObjectChange[] = [];
    s.feed.onObject((c) => seen.push(c));
    assert.throws(() =>
      s.transaction(() => {
        s.put(container('one', 'x/a'), 'cli');
        s.delete('Container', 'keep');
        s.recordEvent({ type: 'Normal', reason: 'X', message: 'm', involvedObject: { kind: 'Container', name: 'one' }, component: 't' });
        throw new Error('boom');
      }),
    /boom/);
    assert.deepEqual(s.list().map((r) => r.metadata.name), ['keep']);
    assert.deepEqual(s.listEvents(), []);
    assert.deepEqual(seen, []);
    s.close();
  });

  it('notifies after commit, so a listener reads the change', async () => {
    const s = new Store(await dbPath());
    const seen: string[] = [];
    s.feed.onObject((c) => seen.push(`${c.type} ${c.kind}/${c.name} gen=${s.get(c.kind, c.name)?.metadata.generation ?? '-'}`));
    s.transaction(() => {
      s.put(container('a', 'x/a'), 'cli');
      s.put(container('a', 'x/b'), 'cli');
      // Inside the transaction nothing is delivered yet.
      assert.deepEqual(seen, []);
    });
    s.setStatus({ kind: 'Container', name: 'a' }, { phase: 'Running' });
    s.setStatus({ kind: 'Container', name: 'a' }, { phase: 'Running' }); // unchanged: no notification
    s.delete('Container', 'a');
    assert.deepEqual(seen, ['added Container/a gen=2', 'modified Container/a gen=2', 'status Container/a gen=2', 'deleted Container/a gen=-']);
    s.close();
  });

  it('aggregates identical events (count, first and last time) like Kubernetes', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const s = new Store(await dbPath(), { now: () => now, maxEvents: 3 });
    const { resource } = s.put(container('web', 'x/a'), 'cli');
    const ev = (reason: string, message = 'm') =>
      s.recordEvent({ type: 'Warning', reason, message, involvedObject: { kind: 'Container', name: 'web' }, component: 'test' });
    const first = ev('BackOff');
    now = new Date('2026-01-01T00:01:00Z');
    const second = ev('BackOff');
    assert.equal(second.id, first.id);
    assert.equal(second.count, 2);
    assert.equal(second.firstTimestamp, '2026-01-01T00:00:00.000Z');
    assert.equal(second.lastTimestamp, '2026-01-01T00:01:00.000Z');
    assert.equal(second.involvedObject.uid, resource.metadata.uid);
    ev('BackOff', 'other message');
    ev('Killing');
    ev('Started');
    // Only the newest maxEvents are kept, oldest first.
    assert.deepEqual(s.listEvents().map((e) => `${e.reason}/${e.message}`), ['BackOff/other message', 'Killing/m', 'Started/m']);
    assert.deepEqual(s.listEvents({ limit: 1 }).map((e) => e.reason), ['Started']);
    assert.deepEqual(s.listEvents({ kind: 'Image' }), []);
    s.close();
  });

  it('renames an object with its uid, spec and status in one step; a taken or missing name changes nothing', async () => {
    const s = new Store(await dbPath());
    s.put(container('old', 'x/y', { app: 'a' }), 'cli:run');
    s.setStatus({ kind: 'Container', name: 'old' }, { phase: 'Running' });
    s.put(container('taken', 'x/y'), 'cli:run');
    const before = s.mustGet('Container', 'old');
    const seen: ObjectChange[] = [];
    s.feed.onObject((c) => seen.push(c));
    const after = s.rename('Container', 'old', 'new');
    assert.equal(s.get('Container', 'old'), undefined);
    assert.deepEqual({ ...after.metadata, name: 'old' }, before.metadata);
    assert.deepEqual([after.spec, after.status], [before.spec, before.status]);
    assert.deepEqual(seen.map((c) => `${c.type} ${c.name}`), ['deleted old', 'added new']);
    assert.throws(() => s.rename('Container', 'new', 'taken'), AlreadyExistsError);
    assert.throws(() => s.rename('Container', 'gone', 'x'), NotFoundError);
    assert.deepEqual(s.list('Container').map((r) => r.metadata.name), ['new', 'taken']);
    s.close();
  });

  it('lists by source: exact sources and directory prefixes', async () => {
    const s = new Store(await dbPath());
    s.put(container('a', 'x/a'), 'file:/d/a.yaml');
    s.put(container('b', 'x/a'), 'file:/d/sub/b.yaml');
    s.put(container('c', 'x/a'), 'file:/dd/c.yaml');
    s.put(container('d', 'x/a'), 'stdin');
    const names = (sel: Parameters<Store['listBySource']>[0]) => s.listBySource(sel).map((r) => r.metadata.name);
    assert.deepEqual(names({ prefixes: ['file:/d/'] }), ['a', 'b']);
    assert.deepEqual(names({ sources: ['stdin', 'file:/dd/c.yaml'] }), ['c', 'd']);
    assert.deepEqual(names({}), []);
    s.close();
  });
});

describe('store crash consistency', () => {
  it('a process killed mid-write leaves only whole transactions', async () => {
    const { spawn } = await import('node:child_process');
    const tmp = await tempDir('berth-crash-');
    try {
      const path = join(tmp.path, 'state.db');
      for (let round = 0; round < 3; round++) {
        const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'crash-writer.ts'), path], { stdio: ['ignore', 'pipe', 'inherit'] });
        // Kill it (SIGKILL: no cleanup) once it has committed a few more batches.
        await new Promise<void>((resolve) => {
          let seen = 0;
          child.stdout.on('data', (d: Buffer) => {
            seen += d.toString().split('\n').filter(Boolean).length;
            if (seen >= 5 + round * 7) child.kill('SIGKILL');
          });
          child.on('close', () => resolve());
        });
        const s = new Store(path);
        assert.equal(s.db.pragma('integrity_check', { simple: true }), 'ok');
        const perBatch = new Map<string, number>();
        for (const r of s.list('Container')) perBatch.set(r.metadata.labels!.batch!, (perBatch.get(r.metadata.labels!.batch!) ?? 0) + 1);
        assert.ok(perBatch.size >= 5);
        for (const [batch, count] of perBatch) assert.equal(count, 10, `batch ${batch} is whole`);
        assert.equal(s.listEvents().length, s.list().length);
        // The next round starts over on the same database: names collide, so clear it.
        s.transaction(() => s.list().forEach((r) => s.delete(r.kind, r.metadata.name)));
        s.db.exec('DELETE FROM events');
        s.close();
      }
    } finally {
      await tmp.remove();
    }
  });
});
