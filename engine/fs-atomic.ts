// Replacing a small file whole: written aside under a unique name, then renamed over the old one, so
// a reader (or a crash) never sees it half-written. `durable` also fsyncs before the rename, for
// files whose loss after a power cut would matter (the content store's index). Every file the
// daemon keeps state in is written through here (bind-mounted /etc files, which must keep their
// inode, are the exception: engine/network/hosts.ts).
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { threadId } from 'node:worker_threads';

/**
 * Tells apart the writes of one thread (the pid and thread id tell processes and worker threads
 * apart): a count, not random bytes, which were a call into the CSPRNG per file written.
 */
let written = 0;

function tmpName(path: string): string {
  return `${path}.tmp-${process.pid}-${threadId}-${(written++).toString(36)}`;
}

export async function writeFileAtomic(path: string, data: string | Buffer, o: { durable?: boolean; mode?: number } = {}): Promise<void> {
  const tmp = tmpName(path);
  const fh = await open(tmp, 'w', o.mode ?? 0o644);
  try {
    await fh.writeFile(data);
    if (o.durable) await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
}

/** writeFileAtomic for the few places that must stay synchronous (a constructor, a CLI helper). */
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
