// The Container controller's writes to the store — each container's status after its transitions,
// and the events its actors record — gathered over one turn of the event loop and written in one
// transaction, the latest status of each container only.
//
// Why: an apply of 500 containers made ~6 store transactions per container (a status write after
// each of its four snapshots on the way to Running, an event for each of Pulling/Created/Started),
// each with its own COMMIT, WAL write and change-feed message to every watcher. Transitions of one
// container come in bursts (Pending → Creating in one reconcile; Running, then ready, in one turn),
// and those of many containers land in the same turn under a large apply. A watcher still sees each
// container's every committed status, and its final one; as with kube-apiserver's watch, it is not
// promised a state that was superseded before it was written.
//
// A crash between a transition and the flush (the rest of that turn) loses that status as an
// immediate write could lose it a moment earlier: status is observed state, and a restart adopts
// the container from the engine (status.ts restoreContext).

export interface BatchStore {
  transaction<T>(fn: () => T, opts?: { durable?: boolean }): T;
}

export class WriteBatch {
  readonly #store: BatchStore;
  readonly #onError: (err: unknown) => void;
  #events: Array<() => void> = [];
  #statuses = new Map<string, () => void>();
  #scheduled = false;

  constructor(store: BatchStore, onError: (err: unknown) => void) {
    this.#store = store;
    this.#onError = onError;
  }

  /** An event to record (kept in order; events are written before the statuses of the same batch). */
  event(write: () => void): void {
    this.#events.push(write);
    this.#schedule();
  }

  /** The status write of `name`; replaces one of the same name not written yet. */
  status(name: string, write: () => void): void {
    this.#statuses.set(name, write);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Writes what is gathered now, in one transaction (light: observed state, see store.ts). */
  flush(): void {
    this.#scheduled = false;
    const writes = [...this.#events, ...this.#statuses.values()];
    this.#events = [];
    this.#statuses = new Map();
    if (writes.length === 0) return;
    try {
      this.#store.transaction(() => {
        for (const w of writes) {
          // One failed write (an object deleted meanwhile) does not undo the others.
          try {
            w();
          } catch (err) {
            this.#onError(err);
          }
        }
      }, { durable: false });
    } catch (err) {
      // The store itself failed (closed, disk full): said, not thrown from a timer into the process.
      this.#onError(err);
    }
  }
}
