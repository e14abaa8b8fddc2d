// The user an exec runs as, resolved in the container's own /etc/passwd and /etc/group, read
// without following a symlink out of its rootfs.
import { closeSync, constants, fstatSync, lstatSync, openSync, readFile as readFileCb, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { isAbsolute, join } from 'node:path';
import { resolveUser, type ResolvedUser } from '../container-config.ts';

async function rootfsOf(bundle: string): Promise<string> {
  const config = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8')) as { root?: { path?: string } };
  const p = config.root?.path ?? 'rootfs';
  return isAbsolute(p) ? p : join(bundle, p);
}

/** Above this size a rootfs file is read through the thread pool, not on the event loop. */
const SYNC_READ_MAX = 1 << 20;
const readFd = promisify(readFileCb);

/**
 * A file of a rootfs (e.g. "etc/passwd"), read only when every component is reached without a
 * symlink (a link could point at the host's file); '' when it is not there or not safe to read.
 * Read synchronously (each create reads two): through fs.promises the two lstats, open, fstat,
 * read and close were a dozen thread-pool round trips per container for files in the page cache.
 * Opened without following a link and without blocking, and read only if it is a regular file, so
 * that what a container put there (a FIFO, a link swapped in after the lstat) cannot hold up the daemon.
 */
export async function readInside(rootfs: string, rel: string): Promise<string> {
  let cur = rootfs;
  for (const part of rel.split('/')) {
    cur = join(cur, part);
    try {
      if (lstatSync(cur).isSymbolicLink()) return '';
    } catch {
      return '';
    }
  }
  let fd: number;
  try {
    fd = openSync(cur, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return '';
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return '';
    // From the descriptor checked above, never by its path again (a link may be swapped in since).
    if (st.size > SYNC_READ_MAX) return await readFd(fd, 'utf8');
    return readFileSync(fd, 'utf8');
  } catch {
    return '';
  } finally {
    closeSync(fd);
  }
}

/** `user` ("uid", "uid:gid", names) as ids in the bundle's rootfs; undefined when none is asked. */
export async function execUser(bundle: string, user: string | undefined): Promise<ResolvedUser | undefined> {
  if (!user) return undefined;
  const rootfs = await rootfsOf(bundle);
  return resolveUser(user, await readInside(rootfs, 'etc/passwd'), await readInside(rootfs, 'etc/group'));
}
