// The image verbs' work: calls to /v1/images… and their output. Pull and push draw one progress bar
// per layer on a terminal (cli-progress) and print plain lines otherwise.
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import type { ApiClient } from '../client.ts';
import { formatJson, humanDuration, humanSize } from '../output.ts';
import { renderFormat } from '../../specs/gotemplate/format.ts';
import type { HistoryEntry, ImageSummary, PullEvent } from '../../specs/api/images.ts';


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
  // Docker's last lines: the digest, the status, the reference pulled.
  process.stdout.write(o.quiet ? `${image.digest}\n` : `Digest: ${image.digest}\nStatus: Downloaded newer image for ${image.ref}\n${image.ref}\n`);
  return 0;
}

export async function push(client: ApiClient, ref: string, o: { quiet?: boolean }): Promise<number> {
  const res = await showProgress(client.stream('POST', '/v1/images/push', { body: { ref } }), 'push');
  // Docker's last line: "TAG: digest: sha256:… size: N".
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  const tag = last.includes('@') ? last.slice(last.indexOf('@') + 1) : last.includes(':') ? last.slice(last.indexOf(':') + 1) : 'latest';
  process.stdout.write(o.quiet ? `${res.digest}\n` : `${tag}: digest: ${res.digest} size: ${res.size ?? 0}\n`);
  return 0;
}

export interface ImagesOptions {
  output?: string;
  quiet?: boolean;
  digests?: boolean;
  noTrunc?: boolean;
  filter?: string[];
  format?: string;
}

const IMAGE_HEADERS = { Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', ID: 'IMAGE ID', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', Size: 'SIZE', Containers: 'CONTAINERS' };

/** `images` as Docker prints them (REPOSITORY TAG IMAGE ID CREATED SIZE), -q ids, -f, --format; -o json: berth's summaries and the total with shared layers counted once. */
export async function images(client: ApiClient, o: ImagesOptions): Promise<number> {
  const { items: all, totalSize } = await client.json<{ items: ImageSummary[]; totalSize: number }>('GET', '/v1/images');
  const items = all.filter(imageFilter(o.filter ?? []));
  if (o.output === 'json') return void process.stdout.write(formatJson({ items, totalSize })), 0;
  const id = (i: ImageSummary) => (o.noTrunc ? i.id : i.id.slice(7, 19));
  if (o.quiet) {
    for (const i of new Set(items.map(id))) process.stdout.write(`${i}\n`);
    return 0;
  }
  const rows = items.map((i) => ({
    Repository: i.repository, Tag: i.tag, Digest: i.digest, ID: id(i),
    CreatedSince: i.created ? `${humanDuration(Date.now() - Date.parse(i.created))} ago` : 'N/A',
    CreatedAt: i.created ?? '', Size: humanSize(i.size), Containers: 'N/A',
  }));
  const table = `table {{.Repository}}\\t{{.Tag}}\\t${o.digests ? '{{.Digest}}\\t' : ''}{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}`;
  process.stdout.write(renderFormat(o.format, rows, { headers: IMAGE_HEADERS, defaultTable: table }));
  return 0;
}

/** Docker's image filters: dangling=true|false (untagged images, `<none>`), reference=PATTERN. */
function imageFilter(list: string[]): (i: ImageSummary) => boolean {
  const tests = list.map((f) => {
    const [k, v = ''] = [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)];
    if (k === 'dangling') {
      if (v !== 'true' && v !== 'false') throw new InvalidArgumentError(`--filter dangling="${v}" must be true or false`);
      return (i: ImageSummary) => (i.tag === '<none>') === (v === 'true');
    }
    if (k === 'reference') {
      const re = new RegExp(`^${v.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '[^/]*')}$`);
      return (i: ImageSummary) => re.test(i.repository) || re.test(`${i.repository}:${i.tag}`);
    }
    throw new InvalidArgumentError(`--filter "${f}": images filters are dangling=true|false and reference=PATTERN`);
  });
  return (i) => tests.every((t) => t(i));
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
      for (const u of r.untagged) process.stdout.write(u.startsWith('sha256:') ? `Deleted: ${u}\n` : `Untagged: ${u}\n`);
    } catch (err) {
      process.stderr.write(`error: ${(err as Error).message}\n`);
      code = 1;
    }
  }
  return code;
}

export async function prune(client: ApiClient, o: { all?: boolean } = {}): Promise<number> {
  const r = await client.json<{ blobs: number; bytes: number; layers: number; untagged: string[] }>('POST', '/v1/images/prune', { query: { all: !!o.all } });
  // Docker's report: the tags taken away and the untagged images deleted, then the space.
  if (r.untagged.length) process.stdout.write(`Deleted Images:\n${r.untagged.map((u) => (u.startsWith('sha256:') ? `deleted: ${u}` : `untagged: ${u}`)).join('\n')}\n\n`);
  process.stdout.write(`Total reclaimed space: ${humanSize(r.bytes)}\n`);
  return 0;
}

/** `save`: to -o FILE, or to stdout (as Docker's, not to a terminal). */
export async function save(client: ApiClient, refs: string[], o: { output?: string; format: string }): Promise<number> {
  if (o.format !== 'docker-archive' && o.format !== 'oci-archive') throw new InvalidArgumentError(`--format "${o.format}" must be docker-archive or oci-archive`);
  if (o.output === undefined && process.stdout.isTTY) throw new InvalidArgumentError('cowardly refusing to save to a terminal: use -o FILE or redirect stdout');
  const res = await client.download('GET', '/v1/images/save', { query: { ref: refs, format: o.format } });
  if ((res.statusCode ?? 500) >= 400) {
    const chunks: Buffer[] = [];
    for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
    const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { error?: { message?: string } };
    throw new InvalidArgumentError(body.error?.message ?? `save failed (${res.statusCode})`);
  }
  if (o.output === undefined) {
    await pipeline(res, process.stdout);
    return 0;
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

/** `load`: from -i FILE, or from stdin (as Docker's). */
export async function load(client: ApiClient, input: string | undefined): Promise<number> {
  if (input === undefined && process.stdin.isTTY) throw new InvalidArgumentError('requested load from stdin, but stdin is a terminal: use -i FILE or redirect stdin');
  const r = await client.upload<{ loaded: string[] }>('POST', '/v1/images/load', input === undefined ? process.stdin : createReadStream(input), { contentType: 'application/x-tar' });
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

/** `history`: Docker's columns (IMAGE CREATED CREATED BY SIZE COMMENT), -q, -H=false, --no-trunc, --format. */
export async function history(client: ApiClient, ref: string, o: { quiet?: boolean; human?: boolean; noTrunc?: boolean; format?: string }): Promise<number> {
  const { items } = await client.json<{ items: HistoryEntry[] }>('GET', '/v1/images/history', { query: { ref } });
  const id = (h: HistoryEntry) => (h.id === '<missing>' || o.noTrunc ? h.id : h.id.slice(7, 19));
  if (o.quiet) return void process.stdout.write(items.map((h) => `${id(h)}\n`).join('')), 0;
  const human = o.human !== false;
  const by = (s: string) => (o.noTrunc || [...s].length <= 45 ? s : `${[...s].slice(0, 44).join('')}…`);
  const rows = items.map((h) => ({
    ID: id(h),
    CreatedSince: h.created ? (human ? `${humanDuration(Date.now() - Date.parse(h.created))} ago` : h.created) : 'N/A',
    CreatedAt: h.created ?? '',
    CreatedBy: by(h.createdBy),
    Size: human ? humanSize(h.size) : String(h.size),
    Comment: h.comment,
    Tags: h.tags.join(', '),
  }));
  const headers = { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT', Tags: 'TAGS' };
  process.stdout.write(renderFormat(o.format, rows, { headers, defaultTable: 'table {{.ID}}\\t{{.CreatedSince}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}' }));
  return 0;
}
