// The image verbs' work: calls to /v1/images… and their output. Pull and push draw one progress bar
// per layer on a terminal (cli-progress) and print plain lines otherwise.
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import type { ApiClient } from '../client.ts';
import { age, formatJson, formatTable, humanSize as size } from '../output.ts';
import type { ImageSummary, PullEvent } from '../../specs/api/images.ts';

/** Shows per-layer progress: bars on a terminal, one line per layer state otherwise. */
async function showProgress(events: AsyncIterable<PullEvent & { status: string }>, verb: string): Promise<Record<string, unknown>> {
  const tty = process.stderr.isTTY;
  const bars = new Map<string, { update(v: number, p?: object): void; setTotal(t: number): void }>();
  let multi: { create(total: number, start: number, payload?: object): { update(v: number, p?: object): void; setTotal(t: number): void }; stop(): void } | undefined;
  if (tty) {
    const { MultiBar, Presets } = await import('cli-progress');
    multi = new MultiBar({ format: '{id} {bar} {status} {value}/{total}', hideCursor: true, clearOnComplete: false, stream: process.stderr }, Presets.shades_classic);
  }
  const said = new Set<string>();
  let last: Record<string, unknown> = {};
  try {
    for await (const e of events) {
      if (e.status === 'done' && !('id' in e && e.id)) {
        last = e as unknown as Record<string, unknown>;
        continue;
      }
      if (e.id === 'mirror') {
        // Which mirror the pull goes through, and why it moves on: said before any layer bar.
        process.stderr.write(`${e.message ?? e.status}\n`);
      } else if (multi && e.id !== 'manifest') {
        let b = bars.get(e.id);
        if (!b) bars.set(e.id, (b = multi.create(e.total ?? 0, 0, { id: e.id, status: e.status })));
        if (e.total) b.setTotal(e.total);
        b.update(e.current ?? (e.status === 'exists' || e.status === 'done' || e.status === 'pushed' || e.status === 'mounted' ? (e.total ?? 0) : 0), { id: e.id, status: e.status });
      } else if (!tty && e.status !== 'downloading' && !said.has(`${e.id} ${e.status}`)) {
        said.add(`${e.id} ${e.status}`);
        process.stderr.write(`${e.id}: ${e.status === 'exists' ? 'already present' : e.status}\n`);
      }
    }
  } finally {
    multi?.stop();
  }
  void verb;
  return last;
}

export async function pull(client: ApiClient, ref: string, o: { quiet?: boolean }): Promise<number> {
  const res = await showProgress(client.stream('POST', '/v1/images/pull', { body: { ref } }), 'pull');
  const image = res.image as ImageSummary;
  process.stdout.write(o.quiet ? `${image.digest}\n` : `Digest: ${image.digest}\nPulled ${image.ref}\n`);
  return 0;
}

export async function push(client: ApiClient, ref: string, o: { quiet?: boolean }): Promise<number> {
  const res = await showProgress(client.stream('POST', '/v1/images/push', { body: { ref } }), 'push');
  process.stdout.write(o.quiet ? `${res.digest}\n` : `Pushed ${ref}: digest ${res.digest}\n`);
  return 0;
}

export async function images(client: ApiClient, o: { output?: string; quiet?: boolean; digests?: boolean }): Promise<number> {
  const { items, totalSize } = await client.json<{ items: ImageSummary[]; totalSize: number }>('GET', '/v1/images');
  if (o.output === 'json') return void process.stdout.write(formatJson({ items, totalSize })), 0;
  if (o.quiet) {
    for (const id of new Set(items.map((i) => i.id.slice(7, 19)))) process.stdout.write(`${id}\n`);
    return 0;
  }
  const head = ['REPOSITORY', 'TAG', ...(o.digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE'];
  const rows = items.map((i) => [i.repository, i.tag, ...(o.digests ? [i.digest] : []), i.id.slice(7, 19), i.created ? `${age(i.created)} ago` : '-', size(i.size)]);
  process.stdout.write(formatTable(head, rows));
  process.stdout.write(`${items.length} image${items.length === 1 ? '' : 's'}, ${size(totalSize)} in all (shared layers counted once)\n`);
  return 0;
}

export async function tag(client: ApiClient, source: string, target: string): Promise<number> {
  await client.json('POST', '/v1/images/tag', { body: { source, target } });
  return 0;
}

export async function rmi(client: ApiClient, refs: string[], o: { force?: boolean }): Promise<number> {
  let code = 0;
  for (const ref of refs) {
    try {
      const r = await client.json<{ untagged: string[] }>('DELETE', '/v1/images', { query: { ref, force: !!o.force } });
      for (const u of r.untagged) process.stdout.write(`Untagged: ${u}\n`);
    } catch (err) {
      process.stderr.write(`error: ${(err as Error).message}\n`);
      code = 1;
    }
  }
  return code;
}

export async function inspect(client: ApiClient, refs: string[]): Promise<number> {
  const out = [];
  for (const ref of refs) out.push(await client.json('GET', '/v1/images/inspect', { query: { ref } }));
  process.stdout.write(formatJson(out));
  return 0;
}

export async function prune(client: ApiClient): Promise<number> {
  const r = await client.json<{ blobs: number; bytes: number; layers: number }>('POST', '/v1/images/prune');
  process.stdout.write(`Deleted ${r.blobs} blob${r.blobs === 1 ? '' : 's'} and ${r.layers} unpacked layer${r.layers === 1 ? '' : 's'}\nTotal reclaimed space: ${size(r.bytes)}\n`);
  return 0;
}

export async function save(client: ApiClient, refs: string[], o: { output: string; format: string }): Promise<number> {
  if (o.format !== 'docker-archive' && o.format !== 'oci-archive') throw new InvalidArgumentError(`--format "${o.format}" must be docker-archive or oci-archive`);
  const res = await client.download('GET', '/v1/images/save', { query: { ref: refs, format: o.format } });
  if ((res.statusCode ?? 500) >= 400) {
    const chunks: Buffer[] = [];
    for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
    const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { error?: { message?: string } };
    throw new InvalidArgumentError(body.error?.message ?? `save failed (${res.statusCode})`);
  }
  // Written aside and renamed: a failed save never leaves a truncated archive under the name.
  const tmp = `${o.output}.tmp-${process.pid}`;
  try {
    await pipeline(res, createWriteStream(tmp));
    await rename(tmp, o.output);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return 0;
}

export async function load(client: ApiClient, input: string): Promise<number> {
  const r = await client.upload<{ loaded: string[] }>('POST', '/v1/images/load', createReadStream(input), { contentType: 'application/x-tar' });
  for (const ref of r.loaded) process.stdout.write(`Loaded image: ${ref}\n`);
  return 0;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** The daemon checks the credentials against the registry (its /v2/ with them), then keeps them for its pulls. */
export async function login(client: ApiClient, registry: string, o: { username?: string; password?: string; passwordStdin?: boolean }): Promise<number> {
  if (!o.username) throw new InvalidArgumentError('login needs a user name: -u USER');
  const password = o.passwordStdin ? await readStdin() : o.password;
  if (!password) throw new InvalidArgumentError('login needs a password: --password-stdin (or -p)');
  const r = await client.json<{ status: string; helper?: string }>('POST', '/v1/auth', { body: { registry, username: o.username, password } });
  // As docker login says it when no credential helper (credsStore, credHelpers) took the password.
  if (!r.helper) process.stderr.write("WARNING! Your password will be stored unencrypted in the daemon's docker config.json.\nConfigure a credential helper to remove this warning.\n");
  process.stdout.write(`${r.status}\n`);
  return 0;
}

export async function logout(client: ApiClient, registry: string): Promise<number> {
  const r = await client.json<{ domain: string; removed: boolean; warning?: string }>('DELETE', '/v1/auth', { query: { registry } });
  process.stdout.write(r.removed ? `Removing login credentials for ${r.domain}\n` : `Not logged in to ${r.domain}\n`);
  if (r.warning) process.stderr.write(`WARNING: ${r.warning}\n`);
  return 0;
}
