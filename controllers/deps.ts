// The narrow views of the store and the event recorder the controllers need (server/ passes the
// real Store and EventRecorder; the shapes match theirs).
import type { Status } from '../specs/schema.ts';
import type { Resource } from '../specs/objects.ts';

export interface ObjectStore {
  get(kind: string, name: string): Resource | undefined;
  list(kind?: string): Resource[];
  /** Every object's metadata.labels of one kind, by name (one read for all: /metrics). */
  labels(kind: string): Map<string, Record<string, string>>;
  setStatus(ref: { kind: string; name: string }, status: Status): unknown;
  /** Deletes an object (a Container with autoRemove, once exited). */
  delete(kind: string, name: string): unknown;
  /** Gives an object another name, atomically (`rename`). */
  rename(kind: string, from: string, to: string): unknown;
  /** Writes an object's new spec (`update`, once its container has it). */
  put(m: Pick<Resource, 'apiVersion' | 'kind' | 'spec'> & { metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> } }, source: string): unknown;
  /** Runs fn in one transaction (durable: false for observed state: status, events). */
  transaction<T>(fn: () => T, opts?: { durable?: boolean }): T;
}

export interface EventTargetRef {
  kind: string;
  name: string;
  uid?: string;
}

export interface EventSink {
  normal(target: EventTargetRef, reason: string, message: string): unknown;
  warning(target: EventTargetRef, reason: string, message: string): unknown;
}

export interface ControllerLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLog: ControllerLog = { info() {}, warn() {}, error() {} };
