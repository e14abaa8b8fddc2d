// Container stats for /metrics, collected in the background as cAdvisor's housekeeping does
// (the kubelet's every 10 s), instead of at each scrape. Why: a container's stats are about sixteen
// kernel files (cgroup v1's memory.stat among them, which the kernel computes on each read) plus its
// network counters — 0.4 to 0.7 ms of CPU per container on this host, so a scrape of 500 read at
// scrape time cost 300+ ms of the daemon's one thread and as much again in wall time under load.
// Now a scrape serves the last collected stats of each container (their readAt, hence
// container_last_seen, says when), and reads at once only those of a container it has none of yet.
// While collection runs, a container just started is read within a second (NEWCOMER_MS), so that
// is rare. A daemon that serves /metrics collects from the start, as cAdvisor and the kubelet do
// (collectAlways); otherwise collection runs while someone scrapes: it starts with the first
// scrape and stops when none came for a few intervals. It reads one container at a time, letting
// the event loop run between two.
import type { ContainerStats } from '../specs/api/containers.ts';
import type { Clock } from './clock.ts';

export interface StatsHousekeepingOptions {
  clock: Clock;
  /** Reads one container's stats now (undefined when it has none: not running). */
  read(id: string): Promise<ContainerStats | undefined>;
  /** The containers to collect (those running or paused). */
  ids(): string[];
  /**
   * Told of each container's stats read in the background (a round, or a newcomer's first read),
   * as they are read, while someone scrapes: what a scrape makes of them can be made then, spread
   * over the round. Not told while nobody scrapes (a daemon that collects always, unscraped): what
   * would be made then is never sent, and would be held until the next round.
   */
  collected?(id: string, stats: ContainerStats): void;
  /** Between two collections (default 10 s, the kubelet's housekeeping interval). */
  intervalMs?: number;
}

/** Scrapes missed before collection stops. */
const IDLE_INTERVALS = 6;
/**
 * How soon, while collecting, a container that has no stats yet is read (cAdvisor starts a new
 * container's housekeeping when it appears): a scrape then finds every container's stats at hand
 * instead of reading those of all the containers started since the last round (1.2-3 s with 500).
 */
const NEWCOMER_MS = 1000;

export class StatsHousekeeping {
  readonly #o: StatsHousekeepingOptions;
  readonly #interval: number;
  readonly #latest = new Map<string, ContainerStats>();
  #timer: unknown;
  #lastScrape = -Infinity;
  #collecting: Promise<void> | undefined;
  #welcomeTimer: unknown;
  #welcoming: Promise<void> | undefined;
  #always = false;
  #stopped = false;

  constructor(o: StatsHousekeepingOptions) {
    this.#o = o;
    this.#interval = o.intervalMs ?? 10_000;
  }

  /** A scrape's stats of `id` as last collected (undefined when there are none yet: get() reads them). */
  collected(id: string): ContainerStats | undefined {
    this.#lastScrape = this.#o.clock.now();
    this.#schedule();
    return this.#latest.get(id);
  }

  /** A scrape's stats of `id`: the last collected, or read now when there are none yet. */
  async get(id: string): Promise<ContainerStats | undefined> {
    const known = this.collected(id);
    if (known) return known;
    const now = await this.#read(id);
    if (now) this.#latest.set(id, now);
    return now;
  }

  /** One container's stats now; undefined when it has none (not running) or they cannot be read. */
  #read(id: string): Promise<ContainerStats | undefined> {
    return this.#o.read(id).catch(() => undefined);
  }

  /** Reads the containers one at a time, each to `got`, letting scrapes and API calls go on between two. */
  async #readEach(ids: string[], got: (id: string, s: ContainerStats | undefined) => void): Promise<void> {
    for (const id of ids) {
      const stats = await this.#read(id);
      // What is made of them is made again by the next scrape, which reports a failure.
      if (stats && this.#scraped()) {
        try {
          this.#o.collected?.(id, stats);
        } catch {}
      }
      got(id, stats);
      await new Promise((r) => setImmediate(r));
    }
  }

  /** One collection of every container listed; the stats of those no longer listed are dropped. Resolves when done. */
  collect(): Promise<void> {
    this.#collecting ??= (async () => {
      const ids = this.#o.ids();
      const listed = new Set(ids);
      for (const id of this.#latest.keys()) if (!listed.has(id)) this.#latest.delete(id);
      // Published together at the round's end: between two rounds a scrape finds the very same
      // stats objects, whose exposition lines (and the body made of them) are kept and sent again
      // (container-metrics.ts), instead of a body made anew for each container collected meanwhile.
      const round = new Map<string, ContainerStats | undefined>();
      await this.#readEach(ids, (id, s) => round.set(id, s));
      for (const [id, s] of round) {
        if (s) this.#latest.set(id, s);
        else this.#latest.delete(id);
      }
    })().finally(() => (this.#collecting = undefined));
    return this.#collecting;
  }

  /** Collects every interval from now on, scraped or not (the daemon serves /metrics). */
  collectAlways(): void {
    this.#always = true;
    this.#schedule();
  }

  /** Stops collecting (the daemon stops). */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    if (this.#welcomeTimer !== undefined) this.#o.clock.clearTimeout(this.#welcomeTimer);
    this.#timer = this.#welcomeTimer = undefined;
  }

  /** Collecting: always, or someone scraped within the last few intervals. */
  #active(): boolean {
    return this.#always || this.#scraped();
  }

  /** Someone scraped within the last few intervals. */
  #scraped(): boolean {
    return this.#o.clock.now() - this.#lastScrape <= IDLE_INTERVALS * this.#interval;
  }

  /** Reads, one at a time, the containers listed that have no stats yet. */
  #welcome(): Promise<void> {
    this.#welcoming ??= this.#readEach(
      this.#o.ids().filter((id) => !this.#latest.has(id)),
      // A scrape or a round may have read it meanwhile: theirs is as new.
      (id, s) => {
        if (s && !this.#latest.has(id)) this.#latest.set(id, s);
      },
    ).finally(() => (this.#welcoming = undefined));
    return this.#welcoming;
  }

  #scheduleWelcome(): void {
    if (this.#welcomeTimer !== undefined || this.#stopped) return;
    this.#welcomeTimer = this.#o.clock.setTimeout(() => {
      this.#welcomeTimer = undefined;
      if (this.#active()) void this.#welcome().finally(() => this.#scheduleWelcome());
    }, Math.min(NEWCOMER_MS, this.#interval));
  }

  #schedule(): void {
    this.#scheduleWelcome();
    if (this.#timer !== undefined || this.#stopped) return;
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      if (!this.#active()) {
        this.#latest.clear();
        return;
      }
      void this.collect().finally(() => this.#schedule());
    }, this.#interval);
  }
}
