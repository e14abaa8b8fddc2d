// How much of its filesystem a container's writable layer takes, as cAdvisor reports it for a
// Docker container: `usage` is what the layer's files occupy on disk (du), `limit` and the free
// inodes are those of the filesystem holding it, `device` its mount source ("/dev/vda").
//
// The walk is written here rather than taken from npm: the folder-size packages there add up
// apparent sizes, while du and cAdvisor count allocated blocks and each hard-linked inode once.
import { lstat, opendir, readFile, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { FsUsage } from '../../specs/api/containers.ts';


/**
 * Bytes allocated to everything under dir (st_blocks × 512, each inode once) and the inodes used;
 * with apparent, the sum of the sizes of its files instead (each inode once).
 */
export async function dirUsage(dir: string, o: { apparent?: boolean } = {}): Promise<{ bytes: number; inodes: number }> {
  const seen = new Set<bigint>();
  let bytes = 0;
  const visit = async (path: string): Promise<void> => {
    let st;
    try {
      st = await lstat(path, { bigint: true });
    } catch {
      return; // removed while we walk: the container is writing
    }
    if (seen.has(st.ino)) return;
    seen.add(st.ino);
    // apparent: the files' own sizes, directories not counted — moby's directory.Size, Docker's SizeRw.
    if (!o.apparent) bytes += Number(st.blocks) * 512;
    else if (!st.isDirectory()) bytes += Number(st.size);
    if (!st.isDirectory()) return;
    let d;
    try {
      d = await opendir(path);
    } catch {
      return;
    }
    for await (const e of d) await visit(join(path, e.name));
  };
  await visit(dir);
  return { bytes, inodes: seen.size };
}

/** Mount sources by device: mountinfo has a line per mount (several per container), read once per device. */
const sources = new Map<bigint, Promise<string>>();

/** The mount source of the filesystem whose device numbers are those of `dir` (from mountinfo). */
async function mountSource(dir: string): Promise<string> {
  const dev = (await stat(dir, { bigint: true })).dev;
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

export async function filesystemUsage(dir: string): Promise<FsUsage> {
  const now = Date.now();
  for (const [k, v] of cache) if (now - v.at > MAX_AGE_MS) cache.delete(k);
  let hit = cache.get(dir);
  if (!hit) {
    const value = (async () => {
      const [used, fs, device] = await Promise.all([dirUsage(dir), statfs(dir), mountSource(dir)]);
      return { device, usageBytes: used.bytes, limitBytes: fs.blocks * fs.bsize, inodesFree: fs.ffree };
    })();
    hit = { at: now, value };
    cache.set(dir, hit);
    value.catch(() => cache.delete(dir));
  }
  return hit.value;
}
