// `run` (and `create`): Docker's flags → a Container object (specs/docker/run.ts), then, for run,
// its output followed until it exits (its exit code is ours) or, with -d, its id printed.
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, UnavailableError } from '../../specs/errdefs.ts';
import { dockerRunRequest, parseEnvFile, type DockerRunOptions } from '../../specs/docker/run.ts';
import type { ContainerDetail, RunEvent, WaitResult } from '../../specs/api/containers.ts';
import type { ApiClient } from '../client.ts';
import { printLog } from '../print-log.ts';
import { printError } from '../action.ts';
import { proxySignals, sigProxyFlag } from '../sig-proxy.ts';

export interface RunCliOptions extends Omit<DockerRunOptions, 'envFiles'> {
  envFile?: string[];
  detachKeys?: string;
  /** Docker's --sig-proxy (default true): the client's signals go to the container while attached without a terminal. */
  sigProxy?: string | boolean;
}

/** The --env-file files, read here on the client, as Docker's. */
function readEnvFiles(files: string[]): Promise<Array<{ file: string; text: string }>> {
  return Promise.all(
    files.map(async (file) => ({
      file,
      text: await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new InvalidArgumentError(`--env-file ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
      }),
    })),
  );
}

/** `exec --env-file`: the files' NAME=VALUE lines. */
export async function envFileLines(files: string[]): Promise<string[]> {
  return (await readEnvFiles(files)).flatMap((f) => parseEnvFile(f.file, f.text, process.env)).map((e) => `${e.name}=${e.value}`);
}

/** The request for POST /v1/containers. */
export async function runRequest(image: string, args: string[], o: RunCliOptions): Promise<ReturnType<typeof dockerRunRequest>> {
  return dockerRunRequest(image, args, { ...o, envFiles: await readEnvFiles(o.envFile ?? []) }, process.env);
}

export { printLog };

export async function run(client: ApiClient, image: string, args: string[], o: RunCliOptions): Promise<number> {
  const attached = !o.detach && (o.interactive || o.tty);
  if (attached) {
    // Docker's client refuses this itself, with 1; what the daemon refuses is 125 (the verb's errorExit).
    try {
      (await import('./attach.ts')).checkTty(!!o.interactive, !!o.tty);
    } catch (err) {
      printError(err);
      return 1;
    }
  }
  const { volumesToCreate, ...body } = await runRequest(image, args, o);
  // `--mount type=volume,…,volume-opt=…`: the volume is made with those options first (Docker's way).
  for (const v of volumesToCreate ?? []) await client.json('POST', '/v1/volumes', { body: v });
  return attached ? runAttached(client, body, o) : runStreamed(client, body, o);
}

/**
 * Without a terminal or stdin, one request: the daemon creates the container, answers once it
 * started, streams its output and ends with its exit code — after removing it for --rm in the
 * foreground (with -d the spec says so).
 */
async function runStreamed(client: ApiClient, body: Omit<ReturnType<typeof dockerRunRequest>, 'volumesToCreate'>, o: RunCliOptions): Promise<number> {
  let name: string | undefined;
  const unproxy = o.detach || !sigProxyFlag(o.sigProxy) ? () => undefined : proxySignals(client, () => name);
  try {
    for await (const e of client.stream<RunEvent>('POST', '/v1/containers/run', { body, query: { detach: o.detach, rm: o.rm && !o.detach } })) {
      if (e.type === 'started') {
        name = e.name;
        if (o.detach) process.stdout.write(`${e.id}\n`);
      } else if (e.type === 'log') printLog(e, false);
      else if (e.type === 'exit') return e.exitCode ?? 125;
    }
    if (o.detach) return 0;
    throw new UnavailableError(`the daemon ended \`run\` of container "${name ?? body.name ?? '?'}" before its exit code: see \`berth describe container ${name ?? body.name ?? ''}\``);
  } finally {
    unproxy();
  }
}

/** -i / -t: the container made, then its streams attached over an upgraded connection (attach.ts). */
async function runAttached(client: ApiClient, body: Omit<ReturnType<typeof dockerRunRequest>, 'volumesToCreate'>, o: RunCliOptions): Promise<number> {
  const { name } = await client.json<{ name: string }>('POST', '/v1/containers', { body });
  // The exit is waited for from the start: with --rm the daemon removes the container once it has
  // exited, so asking afterwards could find nothing.
  const ac = new AbortController();
  const exited = client.json<WaitResult>('GET', `/v1/containers/${name}/wait`, { signal: ac.signal });
  exited.catch(() => undefined);
  let rm = o.rm;
  try {
    await waitStarted(client, name, rm);
    // Detached from (the detach keys): it keeps running, and --rm is then the daemon's (autoRemove).
    if ((await (await import('./attach.ts')).runAttached(client, name, { interactive: !!o.interactive, sigProxy: !o.tty && sigProxyFlag(o.sigProxy), ...(o.detachKeys ? { detachKeys: o.detachKeys } : {}) })) === 'detached') {
      rm = false;
      return 0;
    }
    return (await exited).exitCode ?? 125;
  } finally {
    ac.abort();
    // --rm takes the container's anonymous volumes with it, as Docker's does.
    if (rm) await client.json('DELETE', `/v1/containers/${name}`, { query: { force: true, volumes: true } }).catch(() => undefined);
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
  if (r.phase === 'Failed' || r.phase === 'Removed' || !r.id || r.startError !== undefined) {
    const c = await client.json<ContainerDetail>('GET', `/v1/containers/${name}`).catch(() => undefined);
    const st = c?.status ?? {};
    if (rm) await client.json('DELETE', `/v1/containers/${name}`, { query: { force: true } }).catch(() => undefined);
    throw new UnavailableError(`container "${name}" failed to start: ${r.startError ?? st.message ?? st.reason ?? `see \`berth describe container ${name}\``}`);
  }
  return { id: r.id };
}
