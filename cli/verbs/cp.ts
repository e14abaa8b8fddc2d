// `cp`: files between the host and a container, both ways, as tar streams (Docker's rules). The
// container's side is the daemon's (GET/PUT /v1/containers/:name/archive, every path resolved
// inside the container's root); this side makes and unpacks the tar on the host with node-tar,
// renaming the top entry where Docker's rules say the copy takes the destination's name.
import { lstat, mkdir, rm, stat, symlink } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { InvalidArgumentError, NotFoundError } from '../../specs/errdefs.ts';
import type { PathStat } from '../../specs/api/containers.ts';
import type { ApiClient } from '../client.ts';
import { humanSize } from '../output.ts';

export interface CpOptions {
  archive?: boolean;
  followLink?: boolean;
  quiet?: boolean;
}

/** `NAME:PATH` names a container's path; a local path that has a colon starts with / or . (as Docker reads them). */
export function splitCpArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const i = arg.indexOf(':');
  if (i <= 0) return { path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

const isDir = (mode: number) => (mode & 0o170000) === 0o040000;

/** The top path component renamed (the copy takes the destination's name). */
function renameTop(path: string, from: string, to: string): string {
  return path === from || path.startsWith(`${from}/`) ? to + path.slice(from.length) : path;
}

export async function cp(client: ApiClient, src: string, dst: string, o: CpOptions): Promise<number> {
  const s = splitCpArg(src);
  const d = splitCpArg(dst);
  if (s.container && d.container) throw new InvalidArgumentError('copying between containers is not supported: copy to the host first');
  if (!s.container && !d.container) throw new InvalidArgumentError('must specify at least one container source (CONTAINER:PATH)');
  const copied = s.container ? await fromContainer(client, s.container, s.path, d.path, o) : await toContainer(client, s.path, d.container!, d.path, o);
  if (!o.quiet && process.stderr.isTTY && copied !== undefined) process.stderr.write(`Successfully copied ${humanSize(copied)} to ${dst}\n`);
  return 0;
}

function containerPath(path: string): string {
  return path.startsWith('/') ? path : `/${path}`;
}

async function fromContainer(client: ApiClient, name: string, path: string, dst: string, o: CpOptions): Promise<number | undefined> {
  path = containerPath(path);
  const res = await client.download('GET', `/v1/containers/${encodeURIComponent(name)}/archive`, { query: { path } });
  if (dst === '-') {
    await pipeline(res, process.stdout);
    return undefined;
  }
  const st = JSON.parse(Buffer.from(String(res.headers['x-berth-path-stat'] ?? ''), 'base64').toString('utf8') || '{}') as PathStat;
  const contents = /\/\.$/.test(path);
  const top = contents ? '.' : basename(path.replace(/\/+$/, '')) || '.';
  const target = resolve(dst);
  const here = await stat(target).catch(() => undefined);
  let cwd = target;
  let rename: string | undefined;
  if (here?.isDirectory()) {
    // Into the directory, under the source's own name (or its contents, for "/.").
  } else if (here) {
    if (isDir(st.mode)) throw new InvalidArgumentError('cannot copy directory');
    cwd = dirname(target);
    rename = basename(target);
  } else {
    if (!(await stat(dirname(target)).catch(() => undefined))?.isDirectory()) throw new NotFoundError(`invalid output path: directory "${dirname(target)}" does not exist`);
    if (dst.endsWith('/') && !isDir(st.mode)) throw new NotFoundError(`invalid output path: directory "${target}" does not exist`);
    if (contents) await mkdir(target);
    else {
      cwd = dirname(target);
      rename = basename(target);
    }
  }
  let bytes = 0;
  // node-tar keeps the host safe (no entry written through a link, none outside cwd) and so
  // rewrites absolute or escaping link targets; Docker keeps them as they are. Each link is made
  // with a harmless target while extracting, then given its own once nothing more is written.
  const links: Array<{ at: string; target: string }> = [];
  await pipeline(
    res,
    tar.x({
      cwd,
      preserveOwner: !!o.archive,
      onReadEntry: (e) => {
        bytes += e.size ?? 0;
        if (rename) e.path = renameTop(e.path.replace(/\/$/, ''), top, rename) + (e.path.endsWith('/') ? '/' : '');
        if (e.type === 'SymbolicLink' && e.linkpath) {
          links.push({ at: resolve(cwd, e.path), target: e.linkpath });
          e.linkpath = '.';
        }
      },
    }) as unknown as NodeJS.WritableStream,
  );
  for (const l of links) {
    await rm(l.at, { force: true });
    await symlink(l.target, l.at);
  }
  return bytes;
}

async function toContainer(client: ApiClient, src: string, name: string, path: string, o: CpOptions): Promise<number | undefined> {
  path = containerPath(path);
  const put = (dir: string, body: Readable) =>
    client.json('PUT', `/v1/containers/${encodeURIComponent(name)}/archive`, { query: { path: dir, copyUIDGID: !!o.archive }, body, contentType: 'application/x-tar' });
  if (src === '-') {
    await put(path, process.stdin);
    return undefined;
  }
  const local = resolve(src);
  const st = await (o.followLink ? stat(local) : lstat(local)).catch(() => undefined);
  if (!st) throw new NotFoundError(`lstat ${local}: no such file or directory`);
  const statIn = (p: string) => client.json<PathStat>('GET', `/v1/containers/${encodeURIComponent(name)}/stat`, { query: { path: p } });
  const there = await statIn(path.endsWith('/') ? path : `${path}/`).catch(() => undefined) ?? await statIn(path).catch((err: unknown) => {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  });
  const contents = /\/\.$/.test(src);
  const top = basename(local);
  let dir = path;
  let rename: string | undefined;
  if (there && isDir(there.mode)) {
    // Into the directory, under the source's own name (or its contents, for "/.").
  } else if (there) {
    if (st.isDirectory()) throw new InvalidArgumentError('cannot copy directory');
    if (path.endsWith('/')) throw new NotFoundError(`no such directory: ${path} in container ${name}`);
    dir = posix.dirname(path);
    rename = posix.basename(path);
  } else {
    if (path.endsWith('/')) throw new NotFoundError(`no such directory: ${path} in container ${name}`);
    dir = posix.dirname(path);
    rename = posix.basename(path);
    await statIn(dir); // says "Could not find the file DIR in container NAME" when the parent is missing
  }
  if (contents && rename) throw new InvalidArgumentError(`cannot copy the contents of ${src} to ${path}: it is not a directory in container ${name}`);
  let bytes = 0;
  const pack = tar.c(
    {
      cwd: contents ? local : dirname(local),
      follow: !!o.followLink,
      portable: !o.archive,
      onWriteEntry: (e) => {
        bytes += e.stat?.isFile() ? e.stat.size : 0;
        if (rename && !contents) e.path = renameTop(e.path, top, rename);
      },
    },
    [contents ? '.' : top],
  );
  await put(dir, Readable.from(pack as unknown as AsyncIterable<Buffer>));
  return bytes;
}
