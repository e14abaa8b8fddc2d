// A container's log as a stream that, when following, ends with the container's process.
import type { ContainerEngine } from '../../engine/engine.ts';
import type { LogEntry } from '../../specs/api/containers.ts';

/**
 * The log, following it (when asked) until the container's process ends: the runtime's follow is
 * told when the process has ended and reads what is left before it ends (nothing written is lost,
 * also when the container is removed meanwhile: the follow holds the file open).
 */
export async function* followUntilExit(
  engine: Pick<ContainerEngine, 'logs' | 'wait'>,
  id: string,
  o: { follow: boolean; tail?: number; signal: AbortSignal },
): AsyncIterable<LogEntry> {
  const tail = o.tail !== undefined ? { tail: o.tail } : {};
  if (!o.follow) {
    yield* engine.logs(id, { ...tail, signal: o.signal });
    return;
  }
  const exited = new AbortController();
  const waiting = new AbortController();
  const stop = () => waiting.abort();
  o.signal.addEventListener('abort', stop, { once: true });
  void engine.wait(id, waiting.signal).then(() => exited.abort(), () => undefined);
  try {
    yield* engine.logs(id, { follow: true, ...tail, signal: o.signal, ended: exited.signal });
  } finally {
    o.signal.removeEventListener('abort', stop);
    waiting.abort();
  }
}
