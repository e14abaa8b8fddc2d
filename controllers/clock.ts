// The clock every timer in the controllers goes through (workqueue delays, backoff, probes, XState
// delays), so that tests drive time with a SimulatedClock (xstate's) instead of waiting. The shape is
// XState's own Clock plus now(), so one object serves both createActor({clock}) and our code.

import { isoTime as formatTime } from '../specs/timestamps.ts';

export interface Clock {
  /** Milliseconds since the epoch (a simulated clock starts wherever the test sets it). */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

/** The wall clock. Timers are unref'd: a pending retry or probe must not keep the process alive. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return t;
  },
  clearTimeout(id) {
    clearTimeout(id as NodeJS.Timeout);
  },
};

/** A promise that resolves after `ms` on `clock`, or rejects when `signal` aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const id = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clock.clearTimeout(id);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function isoTime(clock: Clock): string {
  return formatTime(clock.now());
}
