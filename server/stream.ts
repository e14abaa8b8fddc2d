// Turns a push source (an emitter subscription) into the AsyncIterable an NDJSON reply streams.
// It subscribes at once, then takes the backlog (`initial`), so nothing that happens in between is
// lost. Items pushed while the consumer is slow are buffered; the subscription ends when the
// consumer stops (the server calls return() when the client goes away) or the signal aborts.

export function subscriptionStream<T>(
  subscribe: (push: (item: T) => void) => () => void,
  signal?: AbortSignal,
  initial: () => T[] = () => [],
): AsyncIterable<T> & AsyncIterator<T> {
  const live: T[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  const unsubscribe = subscribe((item) => {
    if (done) return;
    live.push(item);
    wake?.();
  });
  const queue: T[] = [...initial(), ...live.splice(0)];
  const finish = () => {
    if (done) return;
    done = true;
    unsubscribe();
    signal?.removeEventListener('abort', finish);
    wake?.();
  };
  signal?.addEventListener('abort', finish, { once: true });
  if (signal?.aborted) finish();
  const it: AsyncIterable<T> & AsyncIterator<T> = {
    [Symbol.asyncIterator]: () => it,
    async next(): Promise<IteratorResult<T>> {
      for (;;) {
        queue.push(...live.splice(0));
        if (queue.length) return { value: queue.shift()!, done: false };
        if (done) return { value: undefined, done: true };
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    },
    async return(): Promise<IteratorResult<T>> {
      finish();
      queue.length = 0;
      return { value: undefined, done: true };
    },
  };
  return it;
}

/**
 * The events a task pushes while it runs, as an NDJSON reply: each event as it comes; then, when
 * the task succeeds, `final(result)` if given; when it fails, its error (the last line).
 */
export async function* taskStream<E, R>(run: (push: (e: E) => void) => Promise<R>, final?: (result: R) => unknown): AsyncIterable<unknown> {
  const queue: E[] = [];
  let wake: (() => void) | undefined;
  let settled: { ok: true; value: R } | { ok: false; error: unknown } | undefined;
  void run((e) => {
    queue.push(e);
    wake?.();
  }).then(
    (value) => ((settled = { ok: true, value }), wake?.()),
    (error: unknown) => ((settled = { ok: false, error: error ?? new Error('the task failed') }), wake?.()),
  );
  for (;;) {
    while (queue.length) yield queue.shift();
    if (settled) break;
    await new Promise<void>((r) => (wake = r));
    wake = undefined;
  }
  if (!settled.ok) throw settled.error;
  if (final) yield final(settled.value);
}

