// A container's log as a stream that, when following, ends with the container's process.
import type { ContainerEngine } from '../../engine/engine.ts';
import type { LogEntry } from '../../specs/api/containers.ts';

/**
 * The log, following it (when asked) until the container's process ends: the runtime's follow is
 * stopped on exit, then whatever was written after the last entry seen is read without follow.
 */
export async function* followUntilExit(
  engine: Pick<ContainerEngine, 'logs' | 'wait'>,
  id: string,
  o: { follow: boolean; tail?: number; signal: AbortSignal },
): AsyncIterable<LogEntry> {
  if (!o.follow) {
    yield* engine.logs(id, { ...(o.tail !== undefined ? { tail: o.tail } : {}), signal: o.signal });
    return;
  }
  const ac = new AbortController();
  const stop = () => ac.abort();
  o.signal.addEventListener('abort', stop, { once: true });
  void engine.wait(id, ac.signal).then(stop, () => undefined);
  let lastTime = '';
  try {
    for await (const e of engine.logs(id, { follow: true, ...(o.tail !== undefined ? { tail: o.tail } : {}), signal: ac.signal })) {
      lastTime = e.time;
      yield e;
      if (ac.signal.aborted) break;
    }
  } catch (err) {
    if (!ac.signal.aborted) throw err;
  } finally {
    o.signal.removeEventListener('abort', stop);
  }
  if (o.signal.aborted) return;
  // The process ended: what it wrote after the follow stopped.
  const rest: LogEntry[] = [];
  for await (const e of engine.logs(id, {})) if (e.time > lastTime) rest.push(e);
  yield* rest;
}
