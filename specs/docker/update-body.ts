// Docker's `POST /containers/{id}/update` body (UpdateConfig) as berth's ContainerUpdate: the
// resources and restart policy berth applies live; any other field set to a value is refused by
// name rather than dropped (secure by default, never silently weaker).
import { InvalidArgumentError } from '../errdefs.ts';
import type { ContainerUpdate } from '../api/containers.ts';

const TAKEN = ['Memory', 'MemorySwap', 'NanoCpus', 'NanoCPUs', 'CpuShares', 'PidsLimit', 'RestartPolicy'];

export function dockerUpdateRequest(body: unknown): ContainerUpdate {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidArgumentError('update: the body must be a JSON object (Docker\'s UpdateConfig)');
  const b = body as Record<string, unknown>;
  for (const [k, v] of Object.entries(b)) {
    const empty = v === null || v === 0 || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);
    if (!TAKEN.includes(k) && !empty) throw new InvalidArgumentError(`update: ${k} is not supported by berth (it applies Memory, MemorySwap, NanoCpus, CpuShares, PidsLimit and RestartPolicy)`);
  }
  const num = (k: string): number | undefined => {
    const v = b[k];
    if (v === undefined || v === null || v === 0) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new InvalidArgumentError(`update: ${k} must be an integer, not ${JSON.stringify(v)}`);
    return v;
  };
  const out: ContainerUpdate = {};
  const memory = num('Memory');
  const memorySwap = num('MemorySwap');
  const nanoCpus = num('NanoCpus') ?? num('NanoCPUs');
  const cpuShares = num('CpuShares');
  const pidsLimit = num('PidsLimit');
  if (memory !== undefined) out.memory = memory;
  if (memorySwap !== undefined) out.memorySwap = memorySwap;
  if (nanoCpus !== undefined) out.nanoCpus = nanoCpus;
  if (cpuShares !== undefined) out.cpuShares = cpuShares;
  if (pidsLimit !== undefined) out.pidsLimit = pidsLimit;
  const rp = b.RestartPolicy as { Name?: unknown; MaximumRetryCount?: unknown } | undefined;
  if (rp && typeof rp.Name === 'string' && rp.Name !== '') {
    out.restartPolicy = { name: rp.Name, ...(typeof rp.MaximumRetryCount === 'number' && rp.MaximumRetryCount > 0 ? { maximumRetryCount: rp.MaximumRetryCount } : {}) };
  }
  return out;
}
