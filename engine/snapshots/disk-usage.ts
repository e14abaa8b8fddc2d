// How much of its filesystem a container's writable layer takes, as cAdvisor reports it for a
// Docker container: `usage` is what the layer's files occupy on disk (du), `limit` and the free
// inodes are those of the filesystem holding it, `device` its mount source ("/dev/vda").
//
// The walk is written here rather than taken from npm: the folder-size packages there add up
// apparent sizes, while du and cAdvisor count allocated blocks and each hard-linked inode once.
import { lstatSync, readdirSync, statfsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FsUsage } from '../../specs/api/containers.ts';

/** Entries looked at between two turns of the event loop (a walk of a big layer does not hold it). */
const WALK_SLICE = 256;

/**
 * Bytes allocated to everything under dir (st_blocks × 512, each inode once) and the inodes used;
 * with apparent, the sum of the sizes of its files instead (each inode once).
 *
 * Synchronous calls, WALK_SLICE entries at a time: through fs.promises each entry was a thread-pool
 * round trip and each directory an opendir (a Dir with its own promisified methods), and the walks of
 * 500 containers' layers every 10 s were a quarter of an idle daemon's CPU (its profile); the
 * entries of a layer are in the dentry and inode caches, which a walk reads without waiting on a disk.
 */
export async function dirUsage(dir: string, o: { apparent?: boolean } = {}): Promise<{ bytes: number; inodes: number }> {
  const seen = new Set<bigint>();
  let bytes = 0;
  const todo = [dir];
  for (let n = 1; todo.length; n++) {
    if (n % WALK_SLICE === 0) await new Promise((r) => setImmediate(r));
    const path = todo.pop()!;
    let st;
    try {
      st = lstatSync(path, { bigint: true });
    } catch {
      continue; // removed while we walk: the container is writing
    }
    if (seen.has(st.ino)) continue;
    seen.add(st.ino);
    // apparent: the files' own sizes, directories not counted — moby's directory.Size, Docker's SizeRw.
    if (!o.apparent) bytes += Number(st.blocks) * 512;
    else if (!st.isDirectory()) bytes += Number(st.size);
    if (!st.isDirectory()) continue;
    let names: string[];
    try {
      names = readdirSync(path);
    } catch {
      continue;
    }
    for (const name of names) todo.push(join(path, name));
  }
  return { bytes, inodes: seen.size };
}

/** Mount sources by device: mountinfo has a line per mount (several per container), read once per device. */
const sources = new Map<bigint, Promise<string>>();

/** The mount source of the filesystem whose device numbers are `dev` (from mountinfo). */
function mountSource(dev: bigint): Promise<string> {
  let source = sources.get(dev);
  if (!source) {
    source = sourceOf(dev);
    sources.set(dev, source);
    source.catch(() => sources.delete(dev));
  }
  return source;
}

async function sourceOf(dev: bigint): Promise<string> {
  // Linux's dev_t layout (glibc's gnu_dev_major/minor).
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  const want = `${major}:${minor}`;
  for (const line of (await readFile('/proc/self/mountinfo', 'utf8')).split('\n')) {
    const [left, right] = line.split(' - ');
    if (left?.split(' ')[2] === want && right) return right.split(' ')[1] ?? want;
  }
  return want;
}

const cache = new Map<string, { at: number; value: Promise<FsUsage> }>();
/** A walk costs a stat per file: like cAdvisor's, the result is reused for a while. */
const MAX_AGE_MS = 10_000;
/** When the cache was last swept of old entries (those of removed containers): once per MAX_AGE_MS, not on each call. */
let swept = 0;

export async function filesystemUsage(dir: string): Promise<FsUsage> {
  const now = Date.now();
  if (now - swept > MAX_AGE_MS) {
    swept = now;
    for (const [k, v] of cache) if (now - v.at > MAX_AGE_MS) cache.delete(k);
  }
  let hit = cache.get(dir);
  if (hit && now - hit.at > MAX_AGE_MS) hit = undefined;
  if (!hit) {
    const value = (async () => {
      // Synchronous (dirUsage says why); each fails (ENOENT) for a directory that is not there.
      const { dev } = statSync(dir, { bigint: true });
      const fs = statfsSync(dir);
      const [used, device] = await Promise.all([dirUsage(dir), mountSource(dev)]);
      return { device, usageBytes: used.bytes, limitBytes: fs.blocks * fs.bsize, inodesFree: fs.ffree };
    })();
    hit = { at: now, value };
    cache.set(dir, hit);
    value.catch(() => cache.delete(dir));
  }
  return hit.value;
}
