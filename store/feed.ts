// The store's change feed: an in-process emitter controllers subscribe to. Notifications are sent
// only after the transaction that made the change commits, so a listener that re-reads the store
// always sees the change (level-triggered: a notification is a hint to look, not the data itself).
import { EventEmitter } from 'node:events';
import type { Resource } from '../specs/objects.ts';
import type { BerthEvent } from '../specs/api/events.ts';

export type ObjectChangeType = 'added' | 'modified' | 'status' | 'deleted';

export interface ObjectChange {
  /** added: new object; modified: spec, labels, annotations or source changed; status: only status; deleted. */
  type: ObjectChangeType;
  kind: string;
  name: string;
  /** The object after the change (for deleted: as it was just before). */
  resource: Resource;
}

export class StoreFeed {
  readonly #emitter = new EventEmitter();

  constructor() {
    // Every controller and every `events --follow` client subscribes; that is not a leak.
    this.#emitter.setMaxListeners(0);
  }

  /** Calls fn for each committed object change; returns the function that unsubscribes. */
  onObject(fn: (change: ObjectChange) => void): () => void {
    this.#emitter.on('object', fn);
    return () => this.#emitter.off('object', fn);
  }

  /** Calls fn for each recorded (or re-counted) event; returns the function that unsubscribes. */
  onEvent(fn: (event: BerthEvent) => void): () => void {
    this.#emitter.on('event', fn);
    return () => this.#emitter.off('event', fn);
  }

  emitObject(change: ObjectChange): void {
    this.#emitter.emit('object', change);
  }

  emitEvent(event: BerthEvent): void {
    this.#emitter.emit('event', event);
  }
}
