// A deleted container's state directory, moved out of the way at once and removed in the
// background. Removing it is the slow part of a delete on a host whose ext4 is mounted with
// `discard` and no journal (this one): every freed block is a synchronous discard, and meta.json's
// blocks are allocated by its rewrite at start (a rename over an existing file makes ext4 allocate
// the new one's, auto_da_alloc) — its unlink alone took 1.5 ms, the directory's rmdir 0.6 ms, 2-7 ms
// in all on a busy host, with the event loop blocked. A rename within the file system is cheap, and
// once it is done the container is gone for every reader; nothing waits for the files.
import { mkdirSync, readdirSync, renameSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, join } from 'node:path';

export class DeferredRemoval {
  /** Where directories wait for their removal (a crash can leave some: removed by the next sweep). */
  readonly #dir: string;
  readonly #queue: string[] = [];
  #sweeping: Promise<void> | undefined;
  #ready = false;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Moves `dir` aside (nothing to do when it is gone already) and removes it in the background. */
  remove(dir: string): void {
    this.#prepare();
    const aside = join(this.#dir, `${basename(dir)}-${randomBytes(4).toString('hex')}`);
    try {
      renameSync(dir, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    this.#queue.push(aside);
    if (!this.#sweeping) this.#sweeping = this.#sweep();
  }

  /** The directory made, and what a crash left in it queued, once per process. */
  #prepare(): void {
    if (this.#ready) return;
    mkdirSync(this.#dir, { recursive: true });
    this.#queue.push(...readdirSync(this.#dir).map((e) => join(this.#dir, e)));
    this.#ready = true;
  }

  /** Resolves once every directory moved aside so far is removed. */
  async settled(): Promise<void> {
    while (this.#sweeping) await this.#sweeping;
  }

  async #sweep(): Promise<void> {
    await null; // once the caller holds this sweep
    // The queue is looked at again after each removal, in the same turn as the sweep is cleared.
    for (let next = this.#queue.shift(); next; next = this.#queue.shift()) await rm(next, { recursive: true, force: true }).catch(() => undefined);
    this.#sweeping = undefined;
  }
}
