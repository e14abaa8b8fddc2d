// The state store: desired objects (with generation, uid, source), their observed status, and
// events, in one SQLite database (WAL). Every change is one transaction; the change feed fires
// only after commit. Opening runs the versioned migrations.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { AlreadyExistsError, NotFoundError } from '../specs/errdefs.ts';
import { API_VERSION, type Status } from '../specs/schema.ts';
import { isoTime } from '../specs/timestamps.ts';
import type { Manifest, ObjectRef, Resource } from '../specs/objects.ts';
import { canonicalJSON } from './canonical.ts';
import { type ObjectChange, StoreFeed } from './feed.ts';
import { migrate } from './migrations.ts';
import type { BerthEvent, EventInput, EventType } from '../specs/api/events.ts';

export type ApplyAction = 'created' | 'configured' | 'unchanged';

export interface PutResult {
  action: ApplyAction;
  /** The object as stored after the put (as it would be, for a dry run). */
  resource: Resource;
  /** The object before the put, when it existed. */
  previous?: Resource;
}

export interface EventQuery {
  kind?: string;
  name?: string;
  /** Only events with id greater than this. */
  afterId?: number;
  /** The newest `limit` events (still returned oldest first). */
  limit?: number;
}

export interface StoreOptions {
  /** Clock, injectable for tests. */
  now?: () => Date;
  /** Events kept; the oldest are dropped beyond this (Kubernetes keeps them for an hour). */
  maxEvents?: number;
}

interface ObjectRow {
  kind: string;
  name: string;
  uid: string;
  generation: number;
  source: string;
  labels: string;
  annotations: string;
  spec: string;
  status: string;
  created_at: string;
  updated_at: string;
}

interface EventRow {
  id: number;
  type: EventType;
  reason: string;
  kind: string;
  name: string;
  uid: string | null;
  message: string;
  component: string;
  count: number;
  first_timestamp: string;
  last_timestamp: string;
}

function rowToResource(r: ObjectRow): Resource {
  const labels = JSON.parse(r.labels) as Record<string, string>;
  const annotations = JSON.parse(r.annotations) as Record<string, string>;
  return {
    apiVersion: API_VERSION,
    kind: r.kind,
    metadata: {
      name: r.name,
      ...(Object.keys(labels).length ? { labels } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
      generation: r.generation,
      uid: r.uid,
      creationTimestamp: r.created_at,
      source: r.source,
    },
    spec: JSON.parse(r.spec),
    status: JSON.parse(r.status),
  } as Resource;
}

function rowToEvent(r: EventRow): BerthEvent {
  return {
    id: r.id,
    type: r.type,
    reason: r.reason,
    message: r.message,
    involvedObject: { kind: r.kind, name: r.name, ...(r.uid ? { uid: r.uid } : {}) },
    component: r.component,
    count: r.count,
    firstTimestamp: r.first_timestamp,
    lastTimestamp: r.last_timestamp,
  };
}

export class Store {
  readonly feed = new StoreFeed();
  readonly db: Database.Database;
  readonly #now: () => Date;
  readonly #maxEvents: number;
  /** Notifications of the transaction in progress; sent on commit, dropped on rollback. */
  #pending: Array<() => void> | undefined;
  /** Prepared statements by SQL text: preparing compiles the SQL, which costs more than running it. */
  readonly #statements = new Map<string, Database.Statement>();

  constructor(path: string, opts: StoreOptions = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // FULL: a committed apply survives power loss, not only a process crash.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
    this.#now = opts.now ?? (() => new Date());
    this.#maxEvents = opts.maxEvents ?? 10_000;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /**
   * Runs fn in one transaction (nested calls join the outer one). Feed notifications queued
   * inside are delivered after the outermost commit and discarded if fn throws.
   */
  transaction<T>(fn: () => T, opts: { durable?: boolean } = {}): T {
    if (this.#pending) return fn();
    this.#pending = [];
    let pending: Array<() => void>;
    // Observed state (status, events) commits without its own fsync: it describes the host and is
    // observed again after a crash, and the next durable commit syncs the WAL with it anyway.
    // Desired state (what a user applied) is synced before the call returns.
    const light = opts.durable === false;
    if (light) this.db.pragma('synchronous = NORMAL');
    try {
      const result = this.db.transaction(fn)();
      pending = this.#pending;
      return result;
    } finally {
      if (light) this.db.pragma('synchronous = FULL');
      this.#pending = undefined;
      // Delivered outside the transaction so that listeners may write to the store.
      for (const notify of pending! ?? []) notify();
    }
  }

  #prepare(sql: string): Database.Statement {
    let st = this.#statements.get(sql);
    if (!st) this.#statements.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  #notifyObject(change: ObjectChange): void {
    this.#queue(() => this.feed.emitObject(change));
  }

  #queue(notify: () => void): void {
    if (this.#pending) this.#pending.push(notify);
    else notify();
  }

  get(kind: string, name: string): Resource | undefined {
    const row = this.#prepare('SELECT * FROM objects WHERE kind = ? AND name = ?').get(kind, name) as ObjectRow | undefined;
    return row && rowToResource(row);
  }

  /**
   * Every object's metadata.labels of one kind, by name: one query of the labels column, for a
   * /metrics scrape (a get() per container parsed each whole row, spec and status: most of a scrape
   * of 200 containers).
   */
  labels(kind: string): Map<string, Record<string, string>> {
    const rows = this.#prepare('SELECT name, labels FROM objects WHERE kind = ?').all(kind) as Array<{ name: string; labels: string }>;
    return new Map(rows.map((r) => [r.name, r.labels === '{}' ? {} : (JSON.parse(r.labels) as Record<string, string>)]));
  }

  /** Like get, but a missing object is a NotFoundError. */
  mustGet(kind: string, name: string): Resource {
    const r = this.get(kind, name);
    if (!r) throw new NotFoundError(`${kind} "${name}" not found; \`berth get ${kind.toLowerCase()}\` lists what exists`);
    return r;
  }

  /** Objects ordered by kind then name; all kinds when kind is omitted. */
  list(kind?: string): Resource[] {
    const rows = (
      kind
        ? this.#prepare('SELECT * FROM objects WHERE kind = ? ORDER BY name').all(kind)
        : this.#prepare('SELECT * FROM objects ORDER BY kind, name').all()
    ) as ObjectRow[];
    return rows.map(rowToResource);
  }

  /** Objects whose source is one of `sources` (exact) or starts with one of `prefixes`. */
  listBySource(sel: { sources?: string[]; prefixes?: string[] }): Resource[] {
    const all = this.#prepare('SELECT * FROM objects ORDER BY kind, name').all() as ObjectRow[];
    const exact = new Set(sel.sources ?? []);
    return all
      .filter((r) => exact.has(r.source) || (sel.prefixes ?? []).some((p) => r.source.startsWith(p)))
      .map(rowToResource);
  }

  /**
   * What putting `m` would do, without writing: generation is bumped only when the spec changes
   * (labels, annotations or a new source alone make it "configured" at the same generation).
   */
  plan(m: Manifest, source: string): PutResult {
    const previous = this.get(m.kind, m.metadata.name);
    const now = isoTime(this.#now());
    if (!previous) {
      const resource = {
        apiVersion: API_VERSION,
        kind: m.kind,
        metadata: {
          ...m.metadata,
          generation: 1,
          uid: randomUUID(),
          creationTimestamp: now,
          source,
        },
        spec: m.spec,
        status: {},
      } as Resource;
      return { action: 'created', resource };
    }
    const specChanged = canonicalJSON(previous.spec) !== canonicalJSON(m.spec);
    const metaChanged =
      canonicalJSON(previous.metadata.labels ?? {}) !== canonicalJSON(m.metadata.labels ?? {}) ||
      canonicalJSON(previous.metadata.annotations ?? {}) !== canonicalJSON(m.metadata.annotations ?? {}) ||
      previous.metadata.source !== source;
    const resource = {
      ...previous,
      metadata: {
        ...m.metadata,
        generation: previous.metadata.generation + (specChanged ? 1 : 0),
        uid: previous.metadata.uid,
        creationTimestamp: previous.metadata.creationTimestamp,
        source,
      },
      spec: m.spec,
    } as Resource;
    return { action: specChanged || metaChanged ? 'configured' : 'unchanged', resource, previous };
  }

  /** Creates or updates one object from a validated manifest. */
  put(m: Manifest, source: string): PutResult {
    return this.transaction(() => {
      const result = this.plan(m, source);
      if (result.action === 'unchanged') return result;
      const r = result.resource;
      const now = isoTime(this.#now());
      this.#prepare(
          `INSERT INTO objects (kind, name, uid, generation, source, labels, annotations, spec, status, created_at, updated_at)
           VALUES (@kind, @name, @uid, @generation, @source, @labels, @annotations, @spec, @status, @created, @now)
           ON CONFLICT (kind, name) DO UPDATE SET generation = @generation, source = @source, labels = @labels,
             annotations = @annotations, spec = @spec, updated_at = @now`,
        )
        .run({
          kind: r.kind,
          name: r.metadata.name,
          uid: r.metadata.uid,
          generation: r.metadata.generation,
          source: r.metadata.source,
          labels: JSON.stringify(r.metadata.labels ?? {}),
          annotations: JSON.stringify(r.metadata.annotations ?? {}),
          spec: JSON.stringify(r.spec),
          status: JSON.stringify(r.status ?? {}),
          created: r.metadata.creationTimestamp,
          now,
        });
      const stored = this.mustGet(r.kind, r.metadata.name);
      this.#notifyObject({ type: result.previous ? 'modified' : 'added', kind: r.kind, name: r.metadata.name, resource: stored });
      return { ...result, resource: stored };
    });
  }

  /** Removes an object; returns it as it was. A missing object is a NotFoundError. */
  delete(kind: string, name: string): Resource {
    return this.transaction(() => {
      const resource = this.mustGet(kind, name);
      this.#prepare('DELETE FROM objects WHERE kind = ? AND name = ?').run(kind, name);
      this.#notifyObject({ type: 'deleted', kind, name, resource });
      return resource;
    });
  }

  /**
   * Gives an object another name, its uid, spec and status with it, in one transaction (`rename`).
   * The feed says the old name was deleted and the new one added. A missing object is a
   * NotFoundError; a name already taken, an AlreadyExistsError.
   */
  rename(kind: string, from: string, to: string): Resource {
    return this.transaction(() => {
      const before = this.mustGet(kind, from);
      if (this.get(kind, to)) throw new AlreadyExistsError(`${kind} "${to}" already exists; choose another name or remove it first`);
      this.db.prepare('UPDATE objects SET name = ?, updated_at = ? WHERE kind = ? AND name = ?').run(to, isoTime(this.#now()), kind, from);
      const resource = this.mustGet(kind, to);
      this.#notifyObject({ type: 'deleted', kind, name: from, resource: before });
      this.#notifyObject({ type: 'added', kind, name: to, resource });
      return resource;
    });
  }

  /**
   * Replaces an object's status (controllers). When `expectGeneration` is given and the spec has
   * moved on meanwhile, the write still happens: observedGeneration inside says what it describes.
   */
  setStatus(ref: ObjectRef, status: Status): Resource {
    return this.transaction(() => {
      const before = this.mustGet(ref.kind, ref.name);
      if (canonicalJSON(before.status) === canonicalJSON(status)) return before;
      const text = JSON.stringify(status);
      this.#prepare('UPDATE objects SET status = ? WHERE kind = ? AND name = ?').run(text, ref.kind, ref.name);
      // The row as it now reads, without reading and parsing it again (only its status changed):
      // every transition of every container comes here.
      const resource = { ...before, status: JSON.parse(text) } as Resource;
      this.#notifyObject({ type: 'status', kind: ref.kind, name: ref.name, resource });
      return resource;
    }, { durable: false });
  }

  /**
   * Records an event. An identical one (same object, type, reason, message) already recorded is
   * counted again (count+1, lastTimestamp now) instead of adding a row, as Kubernetes does.
   */
  recordEvent(e: EventInput): BerthEvent {
    return this.transaction(() => {
      const now = isoTime(this.#now());
      const { kind, name } = e.involvedObject;
      const uid = e.involvedObject.uid ?? this.get(kind, name)?.metadata.uid ?? null;
      const same = this.#prepare(
          `SELECT id, count, first_timestamp FROM events WHERE kind = ? AND name = ? AND type = ? AND reason = ? AND message = ?
             AND uid IS ? ORDER BY id DESC LIMIT 1`,
        )
        .get(kind, name, e.type, e.reason, e.message, uid) as Pick<EventRow, 'id' | 'count' | 'first_timestamp'> | undefined;
      let row: EventRow;
      // The event as its row now reads, from what was just written (not read back: every container
      // records a few events on its way to Running).
      const fields = { type: e.type, reason: e.reason, kind, name, uid, message: e.message, component: e.component, last_timestamp: now };
      if (same) {
        this.#prepare('UPDATE events SET count = count + 1, last_timestamp = ?, component = ? WHERE id = ?').run(now, e.component, same.id);
        row = { ...fields, id: same.id, count: same.count + 1, first_timestamp: same.first_timestamp };
      } else {
        const id = Number(
          this.#prepare(
              `INSERT INTO events (type, reason, kind, name, uid, message, component, count, first_timestamp, last_timestamp)
               VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
            )
            .run(e.type, e.reason, kind, name, uid, e.message, e.component, now, now).lastInsertRowid,
        );
        this.#prepare('DELETE FROM events WHERE id <= ?').run(id - this.#maxEvents);
        row = { ...fields, id, count: 1, first_timestamp: now };
      }
      const event = rowToEvent(row);
      this.#queue(() => this.feed.emitEvent(event));
      return event;
    }, { durable: false });
  }

  /** Events, oldest (by last occurrence) first. */
  listEvents(q: EventQuery = {}): BerthEvent[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.kind) (where.push('kind = ?'), args.push(q.kind));
    if (q.name) (where.push('name = ?'), args.push(q.name));
    if (q.afterId !== undefined) (where.push('id > ?'), args.push(q.afterId));
    const sql =
      `SELECT * FROM (SELECT * FROM events ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
        ORDER BY last_timestamp DESC, id DESC ${q.limit ? 'LIMIT ' + Math.max(0, Math.floor(q.limit)) : ''})
       ORDER BY last_timestamp, id`;
    return (this.#prepare(sql).all(...args) as EventRow[]).map(rowToEvent);
  }
}
