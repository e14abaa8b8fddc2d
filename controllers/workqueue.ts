// A workqueue of object keys with controller-runtime's contract:
//  - a key is queued at most once however often it is added (no duplicates);
//  - a key is handled by one worker at a time; added again while handled, it runs once more after;
//  - an error requeues it with a per-key exponential delay (5 ms doubling to 1000 s by default);
//  - a result's requeueAfter handles it again after that delay (the earliest pending delay wins);
//  - a terminal error (see errors.ts) is reported through onTerminal and not retried;
//  - success forgets the key's failure count.
// Events only add keys; the handler re-reads desired and observed state (level-triggered).
import type { Clock } from './clock.ts';
import { isTerminal } from './errors.ts';

export interface ReconcileResult {
  /** Handle the key again after this many ms (periodic checks, backoff waits). */
  requeueAfter?: number;
}

export type ResultLabel = 'success' | 'error' | 'requeue_after' | 'terminal';

export interface QueueObserver {
  depth?(n: number): void;
  result?(label: ResultLabel, seconds: number): void;
}

export interface RateLimiter {
  /** Delay before the next retry of key; counts the failure. */
  when(key: string): number;
  forget(key: string): void;
  failures(key: string): number;
}

/** controller-runtime's default per-item limiter: base × 2^failures, capped. */
export class ExponentialRateLimiter implements RateLimiter {
  readonly #failures = new Map<string, number>();
  constructor(
    readonly baseMs = 5,
    readonly maxMs = 1_000_000,
  ) {}
  when(key: string): number {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    return Math.min(this.baseMs * 2 ** n, this.maxMs);
  }
  forget(key: string): void {
    this.#failures.delete(key);
  }
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}

export interface WorkQueueOptions {
  clock: Clock;
  handler: (key: string) => Promise<ReconcileResult | void>;
  /** Workers: distinct keys handled at once. */
  concurrency?: number;
  rateLimiter?: RateLimiter;
  onTerminal?: (key: string, err: unknown) => void;
  /** Called for a retried error (for logging). */
  onError?: (key: string, err: unknown, retryInMs: number) => void;
  observer?: QueueObserver;
}

export class WorkQueue {
  readonly #opts: WorkQueueOptions;
  readonly #limiter: RateLimiter;
  readonly #concurrency: number;
  /** Keys waiting for a worker, in order. */
  readonly #queue: string[] = [];
  /** Keys that need handling (queued, or added again while being handled). */
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  /** Pending delayed adds: one timer per key, the earliest wins. */
  readonly #delayed = new Map<string, { at: number; timer: unknown }>();
  readonly #idleWaiters: Array<() => void> = [];
  #shutdown = false;
  #inflight = new Set<Promise<void>>();

  constructor(opts: WorkQueueOptions) {
    this.#opts = opts;
    this.#limiter = opts.rateLimiter ?? new ExponentialRateLimiter();
    this.#concurrency = opts.concurrency ?? 4;
  }

  get depth(): number {
    return this.#queue.length;
  }

  /** Keys queued, being handled, or waiting on a timer. */
  pending(): { queued: string[]; processing: string[]; delayed: string[] } {
    return { queued: [...this.#queue], processing: [...this.#processing], delayed: [...this.#delayed.keys()] };
  }

  add(key: string): void {
    if (this.#shutdown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (!this.#processing.has(key)) {
      this.#queue.push(key);
      this.#opts.observer?.depth?.(this.#queue.length);
    }
    this.#pump();
  }

  addAfter(key: string, ms: number): void {
    if (this.#shutdown) return;
    if (ms <= 0) return this.add(key);
    const at = this.#opts.clock.now() + ms;
    const existing = this.#delayed.get(key);
    if (existing && existing.at <= at) return;
    if (existing) this.#opts.clock.clearTimeout(existing.timer);
    const timer = this.#opts.clock.setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, ms);
    this.#delayed.set(key, { at, timer });
  }

  addRateLimited(key: string): number {
    const ms = this.#limiter.when(key);
    this.addAfter(key, ms);
    return ms;
  }

  forget(key: string): void {
    this.#limiter.forget(key);
  }

  failures(key: string): number {
    return this.#limiter.failures(key);
  }

  /** Resolves when nothing is queued or being handled (delayed keys do not count). */
  idle(): Promise<void> {
    if (this.#queue.length === 0 && this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops taking work, cancels timers, waits for the handlers in progress. */
  async shutdown(): Promise<void> {
    this.#shutdown = true;
    for (const { timer } of this.#delayed.values()) this.#opts.clock.clearTimeout(timer);
    this.#delayed.clear();
    this.#queue.length = 0;
    await Promise.allSettled([...this.#inflight]);
  }

  #pump(): void {
    while (!this.#shutdown && this.#processing.size < this.#concurrency && this.#queue.length > 0) {
      const key = this.#queue.shift()!;
      this.#dirty.delete(key);
      this.#processing.add(key);
      this.#opts.observer?.depth?.(this.#queue.length);
      const p = this.#work(key).finally(() => this.#inflight.delete(p));
      this.#inflight.add(p);
    }
  }

  async #work(key: string): Promise<void> {
    const t0 = performance.now();
    let label: ResultLabel;
    try {
      const res = await this.#opts.handler(key);
      this.#limiter.forget(key);
      if (res?.requeueAfter !== undefined && res.requeueAfter >= 0) {
        label = 'requeue_after';
        this.addAfter(key, res.requeueAfter);
      } else {
        label = 'success';
      }
    } catch (err) {
      if (isTerminal(err)) {
        label = 'terminal';
        this.#limiter.forget(key);
        this.#opts.onTerminal?.(key, err);
      } else {
        label = 'error';
        const ms = this.addRateLimited(key);
        this.#opts.onError?.(key, err, ms);
      }
    }
    this.#opts.observer?.result?.(label, (performance.now() - t0) / 1000);
    this.#processing.delete(key);
    if (this.#dirty.has(key) && !this.#shutdown) {
      this.#queue.push(key);
      this.#opts.observer?.depth?.(this.#queue.length);
    }
    this.#pump();
    if (this.#queue.length === 0 && this.#processing.size === 0) {
      for (const w of this.#idleWaiters.splice(0)) w();
    }
  }
}
