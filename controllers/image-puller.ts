// Registry references used directly by Containers (no Image object): pulled as the Container's
// imagePullPolicy says — once when missing (IfNotPresent), never (Never: ErrImageNeverPull), or once
// more for each Container created since the last pull (Always, as `run --pull always`);
// one pull per reference at a time, failures retried with kubelet's ImagePullBackOff (10 s doubling
// to 5 min). availability() only looks: it answers at once from what is known, and says "missing"
// when a pull is due; the reconcile decision then asks for the pull, which the controller's
// executor starts with pull(). A finished pull re-enqueues the containers that wait for it.
import type { ImageEngine, ImageHandle } from '../engine/engine.ts';
import { pullBackoffMs } from './backoff.ts';
import type { Clock } from './clock.ts';
import { pullingImage, type ImageAvailability } from './container-reconcile.ts';
import { errorMessage } from './errors.ts';
import type { BerthMetrics } from './metrics.ts';

interface Failure {
  at: number;
  attempts: number;
  message: string;
}

export class ImagePuller {
  readonly #pulls = new Map<string, Promise<ImageHandle | undefined>>();
  readonly #failures = new Map<string, Failure>();
  /** When each reference was last pulled with policy Always. */
  readonly #pulledAt = new Map<string, number>();

  constructor(
    readonly o: { engine: ImageEngine; clock: Clock; metrics?: BerthMetrics; onSettled: (ref: string) => void },
  ) {}

  /** Docker's short forms: "busybox" → "docker.io/library/busybox:latest" is the images part's job; here only a tag default. */
  normalise(ref: string): string {
    return /[@]|:[^/]+$/.test(ref) ? ref : `${ref}:latest`;
  }

  /**
   * What is known of the image, without side effects. `since`: when the Container was created (an
   * Always pull must have happened after it).
   */
  async availability(image: string, policy: 'IfNotPresent' | 'Always' | 'Never' = 'IfNotPresent', since = 0): Promise<ImageAvailability> {
    const ref = this.normalise(image);
    const local = await this.o.engine.resolveImage(ref);
    const fresh = policy !== 'Always' || (this.#pulledAt.get(ref) ?? -1) >= since;
    if (local && fresh) return { state: 'ready', image: local };
    if (policy === 'Never') {
      return { state: 'failed', reason: 'ErrImageNeverPull', message: `image "${ref}" is not present and imagePullPolicy is Never; pull it (\`berth pull ${ref}\`)` };
    }
    if (this.#pulls.has(ref)) return pullingImage(ref);
    const f = this.#failures.get(ref);
    if (f && this.o.clock.now() < f.at + pullBackoffMs(f.attempts)) {
      return { state: 'failed', reason: 'ImagePullBackOff', message: `Back-off pulling image "${ref}": ${f.message}` };
    }
    return { state: 'missing', ref, ...(fresh ? {} : { always: true }) };
  }

  /** Starts pulling ref (normalised), unless a pull of it is already running. */
  pull(ref: string, policy: 'IfNotPresent' | 'Always' = 'IfNotPresent'): void {
    if (this.#pulls.has(ref)) return;
    const t0 = this.o.clock.now();
    let bytes = 0;
    const p = this.o.engine
      .ensureImage(ref, policy, (prog) => {
        this.o.metrics?.imagePullBytes.inc({ image: ref }, Math.max(0, prog.bytes - bytes));
        bytes = prog.bytes;
      })
      .then(
        (h) => {
          this.#failures.delete(ref);
          if (policy === 'Always') this.#pulledAt.set(ref, t0);
          this.o.metrics?.imagePullDuration.observe({ image: ref }, (this.o.clock.now() - t0) / 1000);
          return h;
        },
        (err) => {
          const prev = this.#failures.get(ref);
          this.#failures.set(ref, { at: this.o.clock.now(), attempts: (prev?.attempts ?? 0) + 1, message: errorMessage(err) });
          return undefined;
        },
      )
      .finally(() => {
        this.#pulls.delete(ref);
        this.o.onSettled(ref);
      });
    this.#pulls.set(ref, p);
  }
}
