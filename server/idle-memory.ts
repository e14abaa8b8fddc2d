// The daemon gives memory back once a burst of work is over. An apply, a pull or a build leaves
// V8's heap with pages of garbage and fragments; V8's own memory reducer collects only while the
// process allocates little, and a daemon whose stats loop keeps allocating (a /metrics server with
// 100 containers) did not look idle to it: in `npm run bench -- apply`, the daemon with 100
// containers held 47.5 MiB of anonymous memory for the 40 s it was watched, and 41.9 MiB with one
// collection after the apply (RSS 97.2 → 92.0 MiB, beside dockerd+containerd's 179-186).
// So the daemon looks every PERIOD_MS at the CPU it spent since the last look: a look above
// QUIET_SHARE of a core is a burst; the first quiet look after a burst makes V8 collect all it
// can and return the freed pages (V8's low-memory notification: full, compacting collections).
// That blocks the event loop for some tens of milliseconds (35-160 ms measured, 100 containers),
// which is why it waits for a quiet moment, and why it happens once per burst.
// Otherwise V8 sizes its heap as it does by default. The daemon once ran with --optimize-for-size (smaller heap
// steps, 165 → 109 MiB RSS with 100 containers before this collection existed); with it, the same
// RSS at rest (88–90 MiB both ways, 100 containers, 30 s after the apply, two runs each) and ~4.5 ms
// more of the daemon's CPU per container in an apply of 500 (V8's frequent full collections: GC
// threads 6.1 → 3.7 ms, main thread 12.1 → 10.2 ms), so it is no longer set.
import { setFlagsFromString } from 'node:v8';
import type { Logger } from './log.ts';

const PERIOD_MS = 5_000;
/** Of one core over PERIOD_MS: the daemon at rest with 500 containers uses ~5 %. */
const QUIET_SHARE = 0.1;

/** When to collect: the first quiet look after a burst (start-up is one). */
export class BurstWatch {
  #burst = true;

  /** Given the CPU microseconds spent since the last look; true when this is the moment to collect. */
  look(usedUs: number, periodMs = PERIOD_MS): boolean {
    if (usedUs > QUIET_SHARE * periodMs * 1000) {
      this.#burst = true;
      return false;
    }
    const collect = this.#burst;
    this.#burst = false;
    return collect;
  }
}

/**
 * V8's "collect all available garbage". Node has no API for it; the inspector's
 * HeapProfiler.collectGarbage is V8's low-memory notification, reached in-process through a session
 * of our own (no port is opened, nothing else of the inspector is enabled). Undefined where Node
 * was built without the inspector.
 */
export async function lowMemoryCollector(): Promise<(() => Promise<void>) | undefined> {
  try {
    const { Session } = await import('node:inspector');
    return async () => {
      const session = new Session();
      session.connect();
      try {
        await new Promise<void>((resolve, reject) => session.post('HeapProfiler.collectGarbage', (err) => (err ? reject(err) : resolve())));
      } finally {
        session.disconnect();
      }
    };
  } catch {
    return undefined;
  }
}

/**
 * Two V8 settings, for a daemon that holds its memory for days: both are read at each collection, so
 * setting them after start is enough.
 *  - Code the daemon no longer runs is dropped at V8's next full collections: the code of start-up,
 *    of a pull, of an apply's first steps. V8 flushes a function's bytecode once it has gone unrun
 *    through `bytecode-old-age` full collections (5 by default, where a daemon at rest has few), and
 *    never a function that has Sparkplug (baseline) code unless told to. A function run again is
 *    compiled again, lazily, as at its first call.
 *  - The old generation grows by a fifth between full collections (`heap-growing-percent`), where
 *    V8's own factor (1.1 to 4 times what was live, chosen from its GC and mutator speeds) let the
 *    garbage of the stats rounds at rest accumulate for longer.
 * Measured with `npm run bench -- apply`'s sequence (pull, applies of 50, runs, an apply of N, the
 * daemon's RSS 20-25 s later; scratch harness, runs interleaved): the flush, with 500 containers,
 * 2.0-2.8 MiB less in three pairs (JIT code pages 3.0-3.2 -> 1.9 MiB), with 100, 2.2 and 2.4 MiB
 * less in two pairs and 0.4 more in a third (JIT code pages 2.7 -> 1.4-2.5 MiB: when the harness read
 * it decided); the growth set, with 100, 69.1-70.5 against 70.4-71.6 MiB in six. The daemon's CPU
 * for an apply of 500 stayed within the runs' noise both times (flush: 10.6, 11.2, 11.4 against
 * 10.8, 12.2, 11.3 ms a container; growth: 10.7, 13.3 against 12.0, 12.2).
 */
function tuneV8ForRest(): void {
  setFlagsFromString('--flush-baseline-code');
  setFlagsFromString('--bytecode-old-age=1');
  setFlagsFromString('--heap-growing-percent=20');
}

/** Starts watching the daemon's CPU for quiet moments; the returned function stops it. */
export function reduceMemoryWhenQuiet(log: Logger): () => void {
  tuneV8ForRest();
  const watch = new BurstWatch();
  let collect: (() => Promise<void>) | undefined;
  let busy = false;
  let last = process.cpuUsage();
  const timer = setInterval(() => {
    const now = process.cpuUsage();
    const usedUs = now.user - last.user + (now.system - last.system);
    last = now;
    if (!watch.look(usedUs) || busy) return;
    busy = true;
    void (async () => {
      collect ??= await lowMemoryCollector();
      if (!collect) return clearInterval(timer);
      const before = process.memoryUsage.rss();
      const t0 = performance.now();
      await collect();
      log.debug('collected garbage while quiet', { ms: Math.round(performance.now() - t0), rssMiB: [before >> 20, process.memoryUsage.rss() >> 20] });
    })()
      .catch((err) => log.warn('cannot collect garbage while quiet', { error: String(err) }))
      .finally(() => {
        busy = false;
        // The collection's own CPU is not a burst.
        last = process.cpuUsage();
      });
  }, PERIOD_MS);
  timer.unref();
  return () => clearInterval(timer);
}
