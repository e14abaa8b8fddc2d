// Waiting on a writable that refused a write, for the layers that write streams (the daemon's
// replies and hijacked connections, the engine's layer unpacking).
/**
 * Resolves once a writable that refused a write can take more ('drain') or is gone ('close'),
 * taking both listeners off again: a long output waits here thousands of times on one connection.
 */
export function drained(w: NodeJS.WritableStream & { readonly destroyed?: boolean }): Promise<void> {
  if (w.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      w.off('drain', done);
      w.off('close', done);
      resolve();
    };
    w.once('drain', done);
    w.once('close', done);
  });
}
