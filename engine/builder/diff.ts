// An overlay upper directory → an OCI layer tar. Overlay marks a deleted file with a 0/0 character
// device and a directory whose lower contents are hidden as "opaque"; OCI layers say the same with
// `.wh.<name>` and `.wh..wh..opq` entries. Entries are sorted (parent first, then names in byte
// order) so an unchanged tree gives the same bytes; mtimes can be clamped for reproducible layers.
import type { Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { TarWriter, type TarHeader } from '../content/tar-writer.ts';

export interface DiffOptions {
  /** Is this directory (relative, no leading /) opaque in the overlay? */
  isOpaque?: (rel: string) => Promise<boolean>;
  /** Clamp every mtime to at most this (seconds): reproducible layers (SOURCE_DATE_EPOCH). */
  epoch?: number;
  /** Paths (relative) left out: mount points the runtime created and that were not there before. */
  exclude?: Set<string>;
}

export function devMajor(rdev: number): number {
  return ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}
export function devMinor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >> 12) & ~0xff & 0xfffff);
}

export function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** Writes the layer for `upper` to `out`; returns its digest (the diff id: it is not compressed) and how many entries it has. */
export async function writeLayer(upper: string, out: string, o: DiffOptions = {}): Promise<{ digest: string; size: number; entries: number }> {
  const tar = await TarWriter.create(out);
  let entries = 0;
  const links = new Map<string, string>();
  const mtime = (st: Stats) => Math.floor(o.epoch !== undefined ? Math.min(st.mtimeMs / 1000, o.epoch) : st.mtimeMs / 1000);
  const visit = async (dir: string, rel: string): Promise<void> => {
    const names = (await readdir(dir)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      if (o.exclude?.has(r)) continue;
      entries++;
      const abs = join(dir, name);
      const st = await lstat(abs);
      const base: Omit<TarHeader, 'type'> = { name: r, mode: st.mode, uid: st.uid, gid: st.gid, mtime: mtime(st) };
      if (isWhiteout(st)) {
        await tar.add({ ...base, name: rel ? `${rel}/.wh.${name}` : `.wh.${name}`, type: 'file', mode: 0o600, uid: 0, gid: 0, size: 0 });
      } else if (st.isDirectory()) {
        await tar.add({ ...base, type: 'dir' });
        if (o.isOpaque && (await o.isOpaque(r))) await tar.add({ ...base, name: `${r}/.wh..wh..opq`, type: 'file', mode: 0o600, uid: 0, gid: 0, size: 0 });
        await visit(abs, r);
      } else if (st.isSymbolicLink()) {
        await tar.add({ ...base, type: 'symlink', linkname: await readlink(abs) });
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? links.get(key) : undefined;
        if (first) await tar.add({ ...base, type: 'hardlink', linkname: first });
        else {
          if (st.nlink > 1) links.set(key, r);
          await tar.add({ ...base, type: 'file', size: st.size }, abs);
        }
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        await tar.add({ ...base, type: st.isCharacterDevice() ? 'char' : 'block', devmajor: devMajor(st.rdev), devminor: devMinor(st.rdev) });
      } else if (st.isFIFO()) {
        await tar.add({ ...base, type: 'fifo' });
      }
      // Sockets are not archived (as Docker).
    }
  };
  try {
    await visit(upper, '');
    return { ...(await tar.finish()), entries };
  } catch (err) {
    await tar.abort();
    throw err;
  }
}
