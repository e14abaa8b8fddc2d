// The user an exec runs as, resolved in the container's own /etc/passwd and /etc/group, read
// without following a symlink out of its rootfs.
import { lstat, readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { resolveUser, type ResolvedUser } from '../container-config.ts';

async function rootfsOf(bundle: string): Promise<string> {
  const config = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8')) as { root?: { path?: string } };
  const p = config.root?.path ?? 'rootfs';
  return isAbsolute(p) ? p : join(bundle, p);
}

/**
 * A file of a rootfs (e.g. "etc/passwd"), read only when every component is reached without a
 * symlink (a link could point at the host's file); '' when it is not there or not safe to read.
 */
export async function readInside(rootfs: string, rel: string): Promise<string> {
  let cur = rootfs;
  for (const part of rel.split('/')) {
    cur = join(cur, part);
    const st = await lstat(cur).catch(() => undefined);
    if (!st || st.isSymbolicLink()) return '';
  }
  return readFile(cur, 'utf8').catch(() => '');
}

/** `user` ("uid", "uid:gid", names) as ids in the bundle's rootfs; undefined when none is asked. */
export async function execUser(bundle: string, user: string | undefined): Promise<ResolvedUser | undefined> {
  if (!user) return undefined;
  const rootfs = await rootfsOf(bundle);
  return resolveUser(user, await readInside(rootfs, 'etc/passwd'), await readInside(rootfs, 'etc/group'));
}
