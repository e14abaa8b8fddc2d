// Registry references used directly by Containers (no Image object): pulled once (IfNotPresent),
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

  constructor(
    readonly o: { engine: ImageEngine; clock: Clock; metrics?: BerthMetrics; onSettled: (ref: string) => void },
  ) {}

  /** Docker's short forms: "busybox" → "docker.io/library/busybox:latest" is the images part's job; here only a tag default. */
  normalise(ref: string): string {
    return /[@]|:[^/]+$/.test(ref) ? ref : `${ref}:latest`;
  }

  /** What is known of the image, without side effects. */
  async availability(image: string): Promise<ImageAvailability> {
    const ref = this.normalise(image);
    const local = await this.o.engine.resolveImage(ref);
    if (local) return { state: 'ready', image: local };
    if (this.#pulls.has(ref)) return pullingImage(ref);
    const f = this.#failures.get(ref);
    if (f && this.o.clock.now() < f.at + pullBackoffMs(f.attempts)) {
      return { state: 'failed', reason: 'ImagePullBackOff', message: `Back-off pulling image "${ref}": ${f.message}` };
    }
    return { state: 'missing', ref };
  }

  /** Starts pulling ref (normalised), unless a pull of it is already running. */
  pull(ref: string): void {
    if (this.#pulls.has(ref)) return;
    const t0 = this.o.clock.now();
    let bytes = 0;
    const p = this.o.engine
      .ensureImage(ref, 'IfNotPresent', (prog) => {
        this.o.metrics?.imagePullBytes.inc({ image: ref }, Math.max(0, prog.bytes - bytes));
        bytes = prog.bytes;
      })
      .then(
        (h) => {
          this.#failures.delete(ref);
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
