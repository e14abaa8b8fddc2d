// Unpacking a layer tar (plain, gzip or zstd: decompress.ts) into a directory that serves
// as an overlayfs lower layer. Layers are hostile input, so:
//  - node-tar extracts with its path protections on (no absolute paths, no "..", never through a
//    symlink, hard links only inside the directory);
//  - symbolic links are NOT given to node-tar (it would rewrite absolute targets such as
//    /bin/busybox, which an image needs verbatim); they are made at the end, after checking that
//    no component of their parent is itself a symlink, so nothing can be written through one;
//  - OCI whiteouts become overlay whiteouts (a 0/0 character device; trusted.overlay.opaque=y for
//    `.wh..wh..opq`) through native/berth-fsutil, which walks paths with O_NOFOLLOW;
//  - device nodes and FIFOs are not created (node-tar skips them): a layer cannot plant a device;
//  - the uncompressed stream is hashed and must equal the config's diff_id.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { lchown, lstat, lutimes, mkdir, open, symlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Transform, type Duplex, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, UnavailableError } from '../../specs/errdefs.ts';
import { commandErrorText } from '../command-error.ts';
import { decompressorFor } from './decompress.ts';

export class HostileLayerError extends InvalidArgumentError {}

export function fsutilPath(): string {
  for (const rel of ['../../native/build/berth-fsutil', '../../../native/build/berth-fsutil']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new UnavailableError('native/build/berth-fsutil is missing: run `npm run build` (it needs make and a C compiler)');
}

async function readHead(file: string): Promise<Buffer> {
  const fh = await open(file, 'r');
  const head = Buffer.alloc(4);
  await fh.read(head, 0, 4, 0);
  await fh.close();
  return head;
}

const READ_CHUNK = 1 << 20;

interface PendingLink {
  path: string;
  target: string;
  uid: number;
  gid: number;
  mtime?: Date;
}

/**
 * Unpacks `blob` into `dir` (which must be empty) and returns the diff_id (sha256 of the
 * uncompressed tar). Throws HostileLayerError for an entry that tries to leave the directory.
 */
export async function unpackLayer(blob: string, dir: string, expectedDiffId?: string): Promise<string> {
  // tar on first use: layers are unpacked in the unpack pool's workers, and the daemon's main thread
  // imports this module for its other exports, without needing tar.
  const { Unpack } = await import('tar');
  await mkdir(dir, { recursive: true });
  const hash = createHash('sha256');
  const links = new Map<string, PendingLink>();
  const whiteouts: string[] = [];
  const refused: string[] = [];
  const clean = (p: string) => posix.normalize(p.replace(/^\/+/, '')).replace(/\/+$/, '');
  const unpack = new Unpack({
    cwd: dir,
    strict: false,
    preservePaths: false,
    preserveOwner: true,
    chmod: true,
    processUmask: 0,
    maxDepth: 1024,
    filter: (path, entry) => {
      const p = clean(path);
      if (p === '..' || p.startsWith('../') || p.split('/').includes('..')) {
        refused.push(`${path}: the path leaves the layer`);
        return false;
      }
      const base = posix.basename(p);
      const type = (entry as { type?: string }).type;
      if (base.startsWith('.wh.')) {
        whiteouts.push(p);
        return false;
      }
      links.delete(p);
      if (type === 'SymbolicLink') {
        const e = entry as unknown as { linkpath: string; uid?: number; gid?: number; mtime?: Date };
        links.set(p, { path: p, target: e.linkpath, uid: e.uid ?? 0, gid: e.gid ?? 0, ...(e.mtime ? { mtime: e.mtime } : {}) });
        return false;
      }
      if (type === 'Link') {
        const lp = clean(String((entry as unknown as { linkpath: string }).linkpath));
        if (lp === '..' || lp.startsWith('../') || lp.split('/').includes('..')) {
          refused.push(`${path}: hard link to ${lp} leaves the layer`);
          return false;
        }
      }
      return true;
    },
    onwarn: (code, message) => {
      if (code === 'TAR_ENTRY_ERROR') refused.push(message);
    },
  });
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  // Read in 1 MiB chunks: each is a thread-pool job for zlib and a write for tar.
  const dec = decompressorFor(await readHead(blob));
  const streams: Array<Readable | Duplex> = [createReadStream(blob, { highWaterMark: READ_CHUNK })];
  if (dec) streams.push(dec);
  try {
    await pipeline([...streams, tap, unpack] as unknown as [Readable, ...Transform[]]);
  } catch (err) {
    throw new InvalidArgumentError(`layer ${blob}: not a valid tar archive: ${(err as Error).message}`);
  }
  if (refused.length) throw new HostileLayerError(`layer ${blob} was refused: ${refused.slice(0, 5).join('; ')}`);
  const diffId = `sha256:${hash.digest('hex')}`;
  if (expectedDiffId && diffId !== expectedDiffId) {
    throw new InvalidArgumentError(`layer ${blob}: uncompressed digest ${diffId} is not the image config's diff_id ${expectedDiffId}`);
  }
  await makeSymlinks(dir, [...links.values()]);
  if (whiteouts.length) await applyWhiteouts(dir, whiteouts);
  return diffId;
}

/** Each component of rel's parent must be a real directory inside dir (or be created as one). */
async function safeParent(dir: string, rel: string): Promise<string> {
  let cur = dir;
  for (const part of posix.dirname(rel).split('/')) {
    if (part === '.' || part === '') continue;
    cur = join(cur, part);
    let st = await lstat(cur).catch(() => undefined);
    if (!st) {
      // Made meanwhile by a sibling's check (makeSymlinks): then it must be a directory too.
      const made = await mkdir(cur, { mode: 0o755 }).then(() => true, (err: NodeJS.ErrnoException) => (err.code === 'EEXIST' ? false : Promise.reject(err)));
      if (!made) st = await lstat(cur);
    }
    if (st && !st.isDirectory()) throw new HostileLayerError(`layer entry ${rel}: its parent ${posix.dirname(rel)} is not a directory inside the layer (a symlink?)`);
  }
  return cur;
}

/** Symlinks made at once, at most this many (each is a few thread-pool requests). */
const SYMLINK_BATCH = 64;

/**
 * The layer's symlinks, after its files: those of one depth at once (an image's /bin holds hundreds),
 * the depths in order. A symlink's parents are all shallower, so every symlink that could stand on
 * its path exists before its parents are checked, and none is made while they are: checking a
 * parent and making the link in it cannot be raced by a sibling turning that parent into a link.
 */
async function makeSymlinks(dir: string, links: PendingLink[]): Promise<void> {
  const byDepth = new Map<number, PendingLink[]>();
  for (const l of links) {
    const depth = l.path.split('/').length;
    const level = byDepth.get(depth);
    if (level) level.push(l);
    else byDepth.set(depth, [l]);
  }
  for (const depth of [...byDepth.keys()].sort((a, b) => a - b)) {
    const level = byDepth.get(depth)!;
    for (let i = 0; i < level.length; i += SYMLINK_BATCH) {
      // Settled, not Promise.all: nothing of this layer is still being made when an error is thrown.
      const failed = (await Promise.allSettled(level.slice(i, i + SYMLINK_BATCH).map((l) => makeSymlink(dir, l)))).find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    }
  }
}

async function makeSymlink(dir: string, l: PendingLink): Promise<void> {
  await safeParent(dir, l.path);
  const at = join(dir, l.path);
  if (await lstat(at).catch(() => undefined)) throw new HostileLayerError(`layer entry ${l.path}: a symlink over an existing entry`);
  await symlink(l.target, at);
  await lchown(at, l.uid, l.gid);
  if (l.mtime) await lutimes(at, l.mtime, l.mtime).catch(() => undefined);
}

async function applyWhiteouts(dir: string, whiteouts: string[]): Promise<void> {
  const cmds: string[] = [];
  for (const w of whiteouts) {
    const parent = posix.dirname(w);
    const name = posix.basename(w).slice(4);
    if (name === '.wh..opq') {
      if (parent !== '.') await safeParent(dir, `${parent}/x`);
      cmds.push(`o ${parent === '.' ? '.' : parent}`);
    } else {
      if (!name || name === '.' || name === '..' || name.includes('/')) throw new HostileLayerError(`layer whiteout ${w} names no valid entry`);
      await safeParent(dir, w);
      cmds.push(`w ${parent === '.' ? name : `${parent}/${name}`}`);
    }
  }
  // An opaque root ("o .") means the layer hides everything below: not valid for a whole rootfs.
  const lines = cmds.filter((c) => c !== 'o .');
  await new Promise<void>((resolve, reject) => {
    const child = execFile(fsutilPath(), [dir], (err, _out, stderr) => (err ? reject(new HostileLayerError(`layer whiteouts: ${commandErrorText({ stderr, message: err.message })}`)) : resolve()));
    child.stdin!.end(lines.join('\n') + '\n');
  });
}
