// Replacing a small file whole: written aside under a unique name, then renamed over the old one, so
// a reader (or a crash) never sees it half-written. `durable` also fsyncs before the rename, for
// files whose loss after a power cut would matter (the content store's index). Every file the
// daemon keeps state in is written through here (bind-mounted /etc files, which must keep their
// inode, are the exception: engine/network/hosts.ts).
import { closeSync, fsync as fsyncCb, open as openCb, renameSync, rmSync, writeFileSync } from 'node:fs';
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
