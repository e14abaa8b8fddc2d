// `start -a` / `start -i`: start one container and stay attached to it, as `run` without -d does:
// its output from this start on (replayed: nothing is lost to a quick exit), this terminal's input
// with -i, and its exit code as ours. Thin: the lifecycle and the streams are the daemon's routes.
import { FailedPreconditionError, InvalidArgumentError, isErrorOf } from '../../specs/errdefs.ts';
import type { ContainerDetail, LogEntry, WaitResult } from '../../specs/api/containers.ts';
import type { ApiClient } from '../client.ts';
import { printLog } from '../print-log.ts';
import { sigProxyFlag } from '../sig-proxy.ts';
import { checkTty, runAttached } from './attach.ts';

export async function startAttached(client: ApiClient, names: string[], o: { attach?: boolean; interactive?: boolean; detachKeys?: string }): Promise<number> {
  if (names.length !== 1) throw new InvalidArgumentError('you cannot start and attach multiple containers at once');
  const c = await client.json<ContainerDetail>('GET', `/v1/containers/${encodeURIComponent(names[0]!)}`);
  const name = c.metadata.name;
  const spec = c.spec as { tty?: boolean; stdin?: boolean };
  const interactive = o.interactive === true && spec.stdin === true;
  checkTty(interactive, spec.tty === true);
  // Its log's lines of this run are those written from now on (the previous runs' are older).
  const since = Date.now();
  await client.json('POST', `/v1/containers/${name}/start`);
  const end = await runAttached(client, name, { interactive, sigProxy: spec.tty !== true && sigProxyFlag(undefined), ...(o.detachKeys ? { detachKeys: o.detachKeys } : {}) }).catch(async (err: unknown) => {
    // Ended before the attach reached it: its output of this run is in its log. The runtime's "not
    // running" says so even while the object's phase is still Running (its controller has not seen
    // the exit yet).
    if (!isErrorOf(err, FailedPreconditionError)) {
      const now = await client.json<ContainerDetail>('GET', `/v1/containers/${name}`);
      if (now.status.phase === 'Running' || now.status.phase === 'Paused') throw err;
    }
    for await (const e of client.stream<LogEntry>('GET', `/v1/containers/${name}/logs`)) if (Date.parse(e.time) >= since) printLog(e, false);
    return 'ended' as const;
  });
  if (end === 'detached') return 0;
  return (await client.json<WaitResult>('GET', `/v1/containers/${name}/wait`)).exitCode ?? 0;
}
