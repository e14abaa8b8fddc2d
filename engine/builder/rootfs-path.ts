// Paths inside a rootfs being built, resolved as if chrooted into it: an absolute symlink target
// means the rootfs's root, `..` stops at the root. Nothing a layer contains can make the builder
// read or write outside the rootfs through a path resolved here.
import { lstat, readFile, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { InvalidArgumentError } from '../../specs/errdefs.ts';

/** Resolves every component (the last one too when followLast) inside root; returns the host path. */
export async function resolveInRoot(root: string, path: string, followLast = true): Promise<string> {
  const parts = posix.normalize('/' + path).split('/').filter(Boolean);
  const cur: string[] = [];
  let hops = 0;
  while (parts.length) {
    const part = parts.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      cur.pop();
      continue;
    }
    const host = join(root, ...cur, part);
    const st = await lstat(host).catch(() => undefined);
    if (st?.isSymbolicLink() && (parts.length > 0 || followLast)) {
      if (++hops > 40) throw new InvalidArgumentError(`${path}: too many levels of symbolic links in the image`);
      const target = await readlink(host);
      if (posix.isAbsolute(target)) cur.length = 0;
      parts.unshift(...target.split('/').filter(Boolean));
      continue;
    }
    cur.push(part);
  }
  return join(root, ...cur);
}

/** A file of the rootfs (e.g. etc/passwd) read through resolveInRoot; "" when absent. */
export async function readInRoot(root: string, path: string): Promise<string> {
  return readFile(await resolveInRoot(root, path), 'utf8').catch(() => '');
}
