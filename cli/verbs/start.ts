// `start -a` / `start -i`: start one container and stay attached to it, as `run` without -d does:
// its output from this start on (nothing is lost to a quick exit), this terminal's input with -i,
// and its exit code as ours. Thin: the lifecycle and the streams are the daemon's routes.
import { FailedPreconditionError, InvalidArgumentError, isErrorOf } from '../../specs/errdefs.ts';
import type { ContainerDetail, LogEntry, WaitResult } from '../../specs/api/containers.ts';
import type { ApiClient } from '../client.ts';
import { printLog } from '../print-log.ts';
import { proxySignals } from '../sig-proxy.ts';
import { checkTty, runAttached } from './attach.ts';

export async function startAttached(client: ApiClient, names: string[], o: { attach?: boolean; interactive?: boolean; detachKeys?: string }): Promise<number> {
  if (names.length !== 1) throw new InvalidArgumentError('you cannot start and attach multiple containers at once');
  const c = await client.json<ContainerDetail>('GET', `/v1/containers/${encodeURIComponent(names[0]!)}`);
  const name = c.metadata.name;
  const spec = c.spec as { tty?: boolean; stdin?: boolean };
  const interactive = o.interactive === true && spec.stdin === true;
  checkTty(interactive, spec.tty === true);
  // Docker's `start -a` forwards this client's signals to a container without a terminal (no flag).
  const sigProxy = spec.tty !== true;
  // Its log's lines of this run are those written from now on (the previous runs' are older).
  const since = Date.now();
  const thisRun = (e: LogEntry) => Date.parse(e.time) >= since;
  if (!interactive && sigProxy) return followStart(client, name, thisRun);
  // With a terminal or stdin, the monitor keeps the output since the start for the attach (replay).
  await client.json('POST', `/v1/containers/${name}/start`);
  const end = await runAttached(client, name, { interactive, sigProxy, ...(o.detachKeys ? { detachKeys: o.detachKeys } : {}) }).catch(async (err: unknown) => {
    // Ended before the attach reached it: its output of this run is in its log. The runtime's "not
    // running" says so even while the object's phase is still Running (its controller has not seen
    // the exit yet).
    if (!isErrorOf(err, FailedPreconditionError)) {
      const now = await client.json<ContainerDetail>('GET', `/v1/containers/${name}`);
      if (now.status.phase === 'Running' || now.status.phase === 'Paused') throw err;
    }
    for await (const e of client.stream<LogEntry>('GET', `/v1/containers/${name}/logs`)) if (thisRun(e)) printLog(e, false);
    return 'ended' as const;
  });
  if (end === 'detached') return 0;
  return exitCode(client, name);
}

/**
 * Without stdin or a terminal there is nothing to send, and the monitor keeps no output for a late
 * attach: what the container writes is followed in its log from this start on until its process
 * ends, as `run` does (POST /v1/containers/run). An attach made after the start lost what a quick
 * container wrote before it connected.
 */
async function followStart(client: ApiClient, name: string, thisRun: (e: LogEntry) => boolean): Promise<number> {
  const unproxy = proxySignals(client, () => name);
  try {
    await client.json('POST', `/v1/containers/${name}/start`);
    for await (const e of client.stream<LogEntry>('GET', `/v1/containers/${name}/logs`, { query: { follow: true } })) if (thisRun(e)) printLog(e, false);
  } finally {
    unproxy();
  }
  return exitCode(client, name);
}

async function exitCode(client: ApiClient, name: string): Promise<number> {
  return (await client.json<WaitResult>('GET', `/v1/containers/${name}/wait`)).exitCode ?? 0;
}
