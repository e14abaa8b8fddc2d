// Pulling through mirrors as dockerd does: the registry's mirrors first, in order; any failure of a
// mirror (down, image missing, bad content) moves on to the next, and last to the registry itself,
// whose error is the one reported. The image is stored under its own reference, whichever served it.
import { formatReference, type Reference } from '../images/reference.ts';
import type { PullEvent } from '../../specs/api/images.ts';
import type { RegistryClient } from './client.ts';

export interface MirrorReport {
  onProgress?: (e: PullEvent) => void;
  log?: { warn(msg: string, fields?: Record<string, unknown>): void };
}

export async function throughMirrors<T>(registry: RegistryClient, ref: Reference, pull: (client: RegistryClient) => Promise<T>, report: MirrorReport): Promise<T> {
  const endpoints = registry.pullEndpoints(ref);
  for (const [i, { client, mirror }] of endpoints.entries()) {
    if (!mirror) return pull(client);
    report.onProgress?.({ id: 'mirror', status: 'mirror', message: `pulling through mirror ${mirror}` });
    try {
      return await pull(client);
    } catch (err) {
      const next = endpoints[i + 1]!.mirror ?? ref.domain;
      report.log?.warn('registry mirror failed; trying the next', { ref: formatReference(ref), mirror, next, error: (err as Error).message });
      report.onProgress?.({ id: 'mirror', status: 'fallback', message: `mirror ${mirror} failed (${(err as Error).message}); trying ${next}` });
    }
  }
  throw new Error('unreachable: the registry itself is the last endpoint');
}

/** Runs `n` copies of `worker` at once; every one is let finish (nothing left running), then the first error is thrown. */
export async function runWorkers(n: number, worker: () => Promise<void>): Promise<void> {
  const results = await Promise.allSettled(Array.from({ length: n }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}
