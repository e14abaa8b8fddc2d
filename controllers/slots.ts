// At most `limit` runs of some work at once; the others wait their turn, first come first served.
// The Container controller passes its creates and starts through one (container-actors.ts): an
// apply of hundreds of containers otherwise begins every create at the same moment, and they all
// contend for the same two cores, thread pool and locks — each one's rootfs, namespace and process
// then come last for all of them, instead of a steady stream of containers that are Running.
export class Slots {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`slots: limit must be at least 1, not ${limit}`);
    this.#free = limit;
  }

  /** Runs fn once a slot is free; a run whose signal aborts while it waits is not started (rejects). */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      signal?.throwIfAborted();
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}
