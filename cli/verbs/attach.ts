// The verbs on streams: `attach`, `exec -i/-t`, and the attached part of `run -i/-t`. Each one
// opens the stream route (cli/streams.ts) and ends with the process's exit code, as Docker's.
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../specs/streams/detach-keys.ts';
import type { ContainerDetail, WaitResult } from '../../specs/api/containers.ts';
import type { ApiClient } from '../client.ts';
import { streamAttached, type StreamEnd } from '../streams.ts';
import { sigProxyFlag } from '../sig-proxy.ts';

/** Docker's check: a terminal with input needs a terminal to read it from. */
export function checkTty(stdin: boolean, tty: boolean): void {
  if (stdin && tty && !process.stdin.isTTY) throw new InvalidArgumentError('the input device is not a TTY');
}

function detachKeys(keys: string | undefined): { text: string; bytes: Buffer } {
  const text = keys ?? DEFAULT_DETACH_KEYS;
  return { text, bytes: parseDetachKeys(text) };
}

/** `run -i/-t` once the container runs: its streams from its start (replayed), until it ends or is detached from. */
export async function runAttached(client: ApiClient, name: string, o: { interactive: boolean; detachKeys?: string; sigProxy?: boolean }): Promise<StreamEnd> {
  const keys = detachKeys(o.detachKeys);
  return streamAttached(client, {
    ...(o.sigProxy ? { sigProxy: name } : {}),
    path: `/v1/containers/${name}/attach`,
    query: { stdin: o.interactive, replay: true, detachKeys: keys.text },
    resizePath: `/v1/containers/${name}/resize`,
    stdin: o.interactive,
    detachKeys: keys.bytes,
  });
}

/** `attach NAME`: until the container ends (its exit code) or the detach keys (exit 1, as Docker's). */
export async function attach(client: ApiClient, name: string, o: { stdin?: boolean; detachKeys?: string; sigProxy?: string | boolean }): Promise<number> {
  const keys = detachKeys(o.detachKeys);
  const c = await client.json<ContainerDetail>('GET', `/v1/containers/${encodeURIComponent(name)}`);
  const spec = c.spec as { tty?: boolean; stdin?: boolean };
  const stdin = o.stdin !== false && spec.stdin === true;
  checkTty(stdin, spec.tty === true);
  const target = c.metadata.name;
  // Its exit is waited for from the start: once it has ended, it may be gone (--rm).
  const ac = new AbortController();
  const exited = client.json<WaitResult>('GET', `/v1/containers/${target}/wait`, { signal: ac.signal });
  exited.catch(() => undefined);
  const end = await streamAttached(client, {
    ...(spec.tty !== true && sigProxyFlag(o.sigProxy) ? { sigProxy: target } : {}),
    path: `/v1/containers/${target}/attach`,
    query: { stdin, detachKeys: keys.text },
    resizePath: `/v1/containers/${target}/resize`,
    stdin,
    detachKeys: keys.bytes,
  });
  if (end === 'detached') {
    ac.abort();
    process.stderr.write('read escape sequence\n');
    return 1;
  }
  return (await exited).exitCode ?? 0;
}

/** `exec -i/-t`: an exec session's streams, then its exit code. */
export async function execAttached(client: ApiClient, name: string, args: string[], o: { interactive?: boolean; tty?: boolean; env?: string[]; user?: string; workdir?: string; detachKeys?: string }): Promise<number> {
  const stdin = o.interactive === true;
  const tty = o.tty === true;
  checkTty(stdin, tty);
  const keys = detachKeys(o.detachKeys);
  const { id } = await client.json<{ id: string }>('POST', `/v1/containers/${encodeURIComponent(name)}/execs`, {
    body: { args, tty, stdin, ...(o.env?.length ? { env: o.env } : {}), ...(o.user ? { user: o.user } : {}), ...(o.workdir ? { cwd: o.workdir } : {}) },
  });
  const end = await streamAttached(client, {
    path: `/v1/execs/${id}/start`,
    query: { stdin, detachKeys: keys.text },
    resizePath: `/v1/execs/${id}/resize`,
    stdin,
    detachKeys: keys.bytes,
  });
  if (end === 'detached') return 0;
  const r = await client.json<{ exitCode?: number }>('GET', `/v1/execs/${id}`);
  return r.exitCode ?? 126;
}
