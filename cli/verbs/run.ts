// `run` (and `create`): Docker's flags → a Container object (specs/docker/run.ts), then, for run,
// its output followed until it exits (its exit code is ours) or, with -d, its id printed.
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, UnavailableError } from '../../specs/errdefs.ts';
import { dockerRunRequest, type DockerRunOptions } from '../../specs/docker/run.ts';
import type { ContainerDetail, LogEntry, WaitResult } from '../../specs/api/containers.ts';
import type { ApiClient } from '../client.ts';
import { printLog } from '../print-log.ts';

export interface RunCliOptions extends Omit<DockerRunOptions, 'envFiles'> {
  envFile?: string[];
  detachKeys?: string;
}

/** The request for POST /v1/containers: --env-file files are read here, on the client, as Docker's. */
export async function runRequest(image: string, args: string[], o: RunCliOptions): Promise<ReturnType<typeof dockerRunRequest>> {
  const envFiles = await Promise.all(
    (o.envFile ?? []).map(async (file) => ({
      file,
      text: await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new InvalidArgumentError(`--env-file ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
      }),
    })),
  );
  return dockerRunRequest(image, args, { ...o, envFiles }, process.env);
}

export { printLog };

export async function run(client: ApiClient, image: string, args: string[], o: RunCliOptions): Promise<number> {
  const attached = !o.detach && (o.interactive || o.tty);
  if (attached) (await import('./attach.ts')).checkTty(!!o.interactive, !!o.tty);
  const { volumesToCreate, ...body } = await runRequest(image, args, o);
  // `--mount type=volume,…,volume-opt=…`: the volume is made with those options first (Docker's way).
  for (const v of volumesToCreate ?? []) await client.json('POST', '/v1/volumes', { body: v });
  const { name } = await client.json<{ name: string }>('POST', '/v1/containers', { body });
  if (o.detach) {
    process.stdout.write(`${(await waitStarted(client, name, o.rm)).id}\n`);
    return 0;
  }
  // The exit is waited for from the start: with --rm the daemon removes the container once it has
  // exited, so asking afterwards could find nothing.
  const ac = new AbortController();
  const exited = client.json<WaitResult>('GET', `/v1/containers/${name}/wait`, { signal: ac.signal });
  exited.catch(() => undefined);
  const onSignal = () => void client.json('POST', `/v1/containers/${name}/stop`).catch(() => undefined);
  process.on('SIGINT', onSignal);
  try {
    await waitStarted(client, name, o.rm);
    if (attached) {
      // Detached from (the detach keys): it keeps running, and --rm is then the daemon's (autoRemove).
      if ((await (await import('./attach.ts')).runAttached(client, name, { interactive: !!o.interactive, ...(o.detachKeys ? { detachKeys: o.detachKeys } : {}) })) === 'detached') {
        o = { ...o, rm: false };
        return 0;
      }
      return (await exited).exitCode ?? 125;
    }
    for await (const e of client.stream<LogEntry>('GET', `/v1/containers/${name}/logs`, { query: { follow: true } })) printLog(e, false);
    return (await exited).exitCode ?? 125;
  } finally {
    ac.abort();
    process.off('SIGINT', onSignal);
    // --rm in the foreground: removed once its output and exit code are read (with -d the daemon does it).
    // --rm takes the container's anonymous volumes with it, as Docker's does.
    if (o.rm) await client.json('DELETE', `/v1/containers/${name}`, { query: { force: true, volumes: true } }).catch(() => undefined);
  }
}

/** `create`: the container made, not started (Docker's Created state); prints its id. */
export async function create(client: ApiClient, image: string, args: string[], o: RunCliOptions): Promise<number> {
  const { volumesToCreate, ...body } = await runRequest(image, args, o);
  for (const v of volumesToCreate ?? []) await client.json('POST', '/v1/volumes', { body: v });
  const { id } = await client.json<{ name: string; id: string }>('POST', '/v1/containers', { body, query: { start: 'false' } });
  process.stdout.write(`${id}\n`);
  return 0;
}

/**
 * Waits until the container has a process (or ended / failed before getting one): the daemon
 * answers when it has. A container that never started is removed when --rm asked for it.
 */
export async function waitStarted(client: ApiClient, name: string, rm?: boolean): Promise<{ id: string }> {
  const r = await client.json<WaitResult>('GET', `/v1/containers/${name}/wait`, { query: { condition: 'started' } });
  if (r.phase === 'Failed' || r.phase === 'Removed' || !r.id) {
    const c = await client.json<ContainerDetail>('GET', `/v1/containers/${name}`).catch(() => undefined);
    const st = c?.status ?? {};
    if (rm) await client.json('DELETE', `/v1/containers/${name}`, { query: { force: true } }).catch(() => undefined);
    throw new UnavailableError(`container "${name}" failed to start: ${st.message ?? st.reason ?? `see \`berth describe container ${name}\``}`);
  }
  return { id: r.id };
}
