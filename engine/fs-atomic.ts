// Replacing a small file whole: written aside under a unique name, then renamed over the old one, so
// a reader (or a crash) never sees it half-written. `durable` also fsyncs before the rename, for
// files whose loss after a power cut would matter (the content store's index). Every file the
// daemon keeps state in is written through here (bind-mounted /etc files, which must keep their
// inode, are the exception: engine/network/hosts.ts).
import { closeSync, fsync as fsyncCb, open as openCb, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { threadId } from 'node:worker_threads';

/**
 * Tells apart the writes of one thread (the pid and thread id tell processes and worker threads
 * apart): a count, not random bytes, which were a call into the CSPRNG per file written.
 */
let written = 0;

function tmpName(path: string): string {
  return `${path}.tmp-${process.pid}-${threadId}-${(written++).toString(36)}`;
}

const openFd = promisify(openCb);
const fsyncFd = promisify(fsyncCb);

/**
 * The file is made and renamed through the thread pool — making an inode is what takes time on a
 * busy disk (0.8–2.5 ms on this journal-less ext4) — but written and closed on the calling thread:
 * a small write into the page cache and a close cost less than the two round trips through the pool
 * they were (each a wakeup of a pool thread and a completion back; an apply writes ~6 files per container).
 */
export async function writeFileAtomic(path: string, data: string | Buffer, o: { durable?: boolean; mode?: number } = {}): Promise<void> {
  const tmp = tmpName(path);
  const fd = await openFd(tmp, 'w', o.mode ?? 0o644);
  try {
    writeFileSync(fd, data);
    if (o.durable) await fsyncFd(fd);
  } catch (err) {
    closeSync(fd);
    await rm(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  await rename(tmp, path).catch(async (err: unknown) => {
    await rm(tmp, { force: true });
    throw err;
  });
}

/**
 * writeFileAtomic without the thread pool, for the places that must stay synchronous (a constructor,
 * a CLI helper) and for small files written under a lock that every container's start waits on (the
 * network attachment records: engine/network/attachments.ts says why). Never durable: no fsync.
 */
export function writeFileAtomicSync(path: string, data: string | Buffer, o: { mode?: number } = {}): void {
  const tmp = tmpName(path);
  try {
    writeFileSync(tmp, data, { mode: o.mode ?? 0o644 });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * A file of a directory that is not yet published, written in one synchronous open, write and
 * close: no temporary name and no rename. Those are there so that a reader, or a crash, never finds
 * a file half-written; here neither can. The directories it is for: a container's while its create
 * runs (container-store.ts: a directory without container.json is no container, and one that a
 * crash left is removed as a create that did not finish — container.json, written last, is its
 * publication: cut short, it cannot be parsed and is no record), and the runtime's staging
 * directory of a start (monitored-runtime.ts, renamed into place whole). The one reader of such a
 * file before then is this daemon (the volumes' users read every container's mounts.json), and it
 * cannot look in the middle of a write that does not yield. Each file is a few KiB into the page
 * cache: through the thread pool, the open and rename cost several times the write (an apply wrote
 * ~5 such files per container). Never durable (no fsync), as writeFileAtomic without `durable`.
 */
export function writeFileUnpublished(path: string, data: string | Buffer, o: { mode?: number } = {}): void {
  writeFileSync(path, data, { mode: o.mode ?? 0o644 });
}

/**
 * Replaces `before`, the whole content of the file at `path`, with `next`, which says the same and
 * more: both are the JSON text of an object, and `next` is `before` with keys added at its end. The
 * new bytes are written over the old in place, where writeFileAtomicSync would make a new file and
 * rename it over the old one — an inode made and one freed, and on ext4 the rename forces the new
 * file's blocks to be allocated and written out there and then (auto_da_alloc), the freed ones
 * discarded on a `discard` mount: a millisecond on the event loop on this host. In place is as safe
 * for a reader, and for a crash, because of what the texts are: a write cut short leaves the bytes
 * of `before` as they were (up to its closing brace `next` is the same), or a beginning of `next`
 * that lacks its closing brace, or `before`'s own text with a comma before its brace (`next`'s first
 * byte past the common part, written over `before`'s last ones): none of which can be parsed, so a
 * reader finds `before` whole or no record — what the callers recover from (they say how). Within
 * this process nothing reads it half written: the write does not yield. When `next` is not such an
 * extension of `before`, the file is replaced atomically instead. Never durable (no fsync).
 */
export function extendFileSync(path: string, before: string, next: string): void {
  if (next === before) return;
  // As JSON.stringify writes an object: its closing brace after one line break at most.
  const common = before.replace(/\s?\}$/, '');
  const extends_ = before.startsWith('{') && common !== before && next.startsWith(common) && next[common.length] === ',' && next.endsWith('}');
  if (!extends_) return writeFileAtomicSync(path, next);
  const data = Buffer.from(next);
  const fd = openSync(path, 'r+');
  try {
    for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off, off);
  } finally {
    closeSync(fd);
  }
}
