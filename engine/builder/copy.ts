// COPY and ADD into a step's merged rootfs, with Docker's rules: a directory source copies its
// contents; several sources need a destination ending in "/"; a relative destination is under
// WORKDIR; files keep their mode and mtime and belong to root unless --chown (names looked up in
// the image's /etc/passwd and /etc/group); --chmod sets the mode; ADD extracts a local tar archive
// (after checking no entry climbs out of the destination or passes through a symlink) and
// downloads URLs. Destinations are resolved inside the rootfs (rootfs-path.ts).
import { createReadStream } from 'node:fs';
import { chmod, copyFile, lchown, lstat, mkdir, open, readlink, rm, symlink, utimes, lutimes, writeFile, chown } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import { resolveUser } from '../container-config.ts';
import type { BuildContext, SourceEntry } from './context.ts';
import { readInRoot, resolveInRoot } from './rootfs-path.ts';

export interface Owner {
  uid: number;
  gid: number;
}

/** --chown=user[:group] → ids, names resolved in the rootfs. A bare number is uid and gid, as Docker. */
export async function parseChown(spec: string, rootfs: string): Promise<Owner> {
  const [u, g] = spec.split(':', 2) as [string, string | undefined];
  if (/^\d+$/.test(u) && g === undefined) return { uid: Number(u), gid: Number(u) };
  if (/^\d+$/.test(u) && g !== undefined && /^\d+$/.test(g)) return { uid: Number(u), gid: Number(g) };
  const passwd = await readInRoot(rootfs, 'etc/passwd');
  const group = await readInRoot(rootfs, 'etc/group');
  let spec2 = spec;
  // `--chown=name` alone: the group of the same name when there is one (Docker), else the user's own.
  if (g === undefined && group.split('\n').some((l) => l.split(':')[0] === u)) spec2 = `${u}:${u}`;
  const r = resolveUser(spec2, passwd, group);
  return { uid: r.uid, gid: r.gid };
}

export function parseChmod(spec: string): number {
  if (!/^[0-7]{3,4}$/.test(spec)) throw new InvalidArgumentError(`--chmod=${spec}: use an octal mode such as 755 or 0644`);
  return parseInt(spec, 8);
}

export interface CopyOptions {
  rootfs: string;
  workdir: string;
  dest: string;
  owner?: Owner;
  mode?: number;
}

/** Where a destination written in the Dockerfile is, as an absolute path inside the image. */
export function imageDest(dest: string, workdir: string): string {
  const abs = posix.isAbsolute(dest) ? dest : posix.join(workdir || '/', dest);
  const n = posix.normalize(abs);
  return dest.endsWith('/') || dest === '.' || dest.endsWith('/.') ? n.replace(/\/?$/, '/') : n.replace(/(.)\/$/, '$1');
}

/** mkdir -p inside the rootfs; new directories get the owner (root by default) and 0755. */
async function mkdirs(rootfs: string, dir: string, owner: Owner | undefined): Promise<string> {
  const parts = dir.split('/').filter(Boolean);
  let path = '/';
  for (const p of parts) {
    path = posix.join(path, p);
    const host = await resolveInRoot(rootfs, path);
    const st = await lstat(host).catch(() => undefined);
    if (st?.isDirectory()) continue;
    if (st) throw new InvalidArgumentError(`${path} exists in the image and is not a directory`);
    // A symlink on the way may point where parents are missing too: make those first.
    const inImage = host.slice(rootfs.length) || '/';
    if (inImage !== path) await mkdirs(rootfs, posix.dirname(inImage), owner);
    await mkdir(host, { mode: 0o755 });
    await chmod(host, 0o755);
    if (owner) await chown(host, owner.uid, owner.gid);
  }
  return resolveInRoot(rootfs, dir);
}

/** Copies context sources to dest (COPY, and ADD of plain files). */
export async function copySources(ctx: BuildContext, sources: SourceEntry[], o: CopyOptions): Promise<void> {
  const dest = imageDest(o.dest, o.workdir);
  const destIsDir = dest.endsWith('/');
  if (sources.length > 1 && !destIsDir) throw new InvalidArgumentError(`when copying more than one source the destination must be a directory and end with a /, not "${o.dest}"`);
  for (const src of sources) {
    if (src.stat.isDirectory()) {
      await mkdirs(o.rootfs, dest, o.owner);
      for (const e of await ctx.walk(src)) {
        if (e.rel === '') continue;
        // Resolved inside the rootfs entry by entry: a symlink the image has on the way (bin ->
        // usr/bin, or a hostile etc -> /etc) is followed within the rootfs, never on the host.
        await copyEntry(e.abs, await hostPathOf(o.rootfs, posix.join(dest, e.rel), e.stat.isDirectory()), e.stat, o);
      }
      continue;
    }
    const base = posix.basename(src.rel);
    let file = destIsDir ? posix.join(dest, base) : dest;
    // An existing directory at dest receives the file inside it, as Docker does.
    const existing = await lstat(await resolveInRoot(o.rootfs, file)).catch(() => undefined);
    if (!destIsDir && existing?.isDirectory()) file = posix.join(dest, base);
    const parent = await mkdirs(o.rootfs, posix.dirname(file), o.owner);
    await copyEntry(src.abs, join(parent, posix.basename(file)), src.stat, o);
  }
}

/** The host path of an image path: directories followed (merged into), other entries replaced. */
async function hostPathOf(rootfs: string, imgPath: string, isDir: boolean): Promise<string> {
  if (isDir) return resolveInRoot(rootfs, imgPath);
  return join(await resolveInRoot(rootfs, posix.dirname(imgPath)), posix.basename(imgPath));
}

async function copyEntry(from: string, to: string, st: import('node:fs').Stats, o: CopyOptions): Promise<void> {
  const uid = o.owner?.uid ?? 0;
  const gid = o.owner?.gid ?? 0;
  const old = await lstat(to).catch(() => undefined);
  const lst = await lstat(from);
  if (lst.isDirectory()) {
    if (old && !old.isDirectory()) await rm(to, { recursive: true, force: true });
    if (!old?.isDirectory()) await mkdir(to);
    await chown(to, uid, gid);
    await chmod(to, o.mode ?? lst.mode & 0o7777);
    await utimes(to, lst.atime, lst.mtime);
    return;
  }
  if (old) await rm(to, { recursive: true, force: true });
  if (lst.isSymbolicLink()) {
    await symlink(await readlink(from), to);
    await lchown(to, uid, gid);
    await lutimes(to, lst.atime, lst.mtime).catch(() => undefined);
    return;
  }
  if (!lst.isFile() && !st.isFile()) return; // sockets, fifos, devices of the context are not copied
  await copyFile(from, to);
  await chown(to, uid, gid);
  await chmod(to, o.mode ?? st.mode & 0o7777);
  await utimes(to, st.atime, st.mtime);
}

/** Writes a heredoc's content as a file (COPY <<EOF /dest). */
export async function writeHeredoc(name: string, content: string, o: CopyOptions, several: boolean): Promise<void> {
  const dest = imageDest(o.dest, o.workdir);
  if (several && !dest.endsWith('/')) throw new InvalidArgumentError(`when copying more than one source the destination must be a directory and end with a /, not "${o.dest}"`);
  const file = dest.endsWith('/') ? posix.join(dest, name) : dest;
  const parent = await mkdirs(o.rootfs, posix.dirname(file), o.owner);
  const host = join(parent, posix.basename(file));
  await rm(host, { recursive: true, force: true });
  await writeFile(host, content, { mode: o.mode ?? 0o644 });
  await chmod(host, o.mode ?? 0o644);
  if (o.owner) await chown(host, o.owner.uid, o.owner.gid);
}

/** Does this file look like a tar archive (plain, gzip, bzip2 or xz), as ADD auto-extracts? */
export async function isArchive(path: string): Promise<'tar' | 'gzip' | 'bzip2' | 'xz' | undefined> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(512);
    const { bytesRead } = await fh.read(b, 0, 512, 0);
    if (bytesRead >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
    if (bytesRead >= 3 && b.subarray(0, 3).toString() === 'BZh') return 'bzip2';
    if (bytesRead >= 6 && b.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
    if (bytesRead >= 263 && b.subarray(257, 262).toString() === 'ustar') return 'tar';
    return undefined;
  } finally {
    await fh.close();
  }
}

/**
 * Checks every entry of an archive before anything is extracted: no absolute path or `..` that
 * climbs out, no entry under a symlink the archive made, no hard link to outside.
 */
export async function checkArchive(path: string, label: string): Promise<void> {
  const links = new Set<string>();
  let problem: string | undefined;
  const inside = (p: string) => {
    const n = posix.normalize(p.replace(/^\/+/, ''));
    return n !== '..' && !n.startsWith('../');
  };
  const tar = await import('tar');
  await tar.t({
    file: path,
    onReadEntry: (e) => {
      if (problem) return;
      const p = e.path;
      if (posix.isAbsolute(p) || !inside(p)) problem = `entry "${p}" would be written outside the destination`;
      const n = posix.normalize(p.replace(/^\/+/, '')).replace(/\/$/, '');
      const parts = n.split('/');
      for (let i = 1; i < parts.length && !problem; i++) {
        if (links.has(parts.slice(0, i).join('/'))) problem = `entry "${p}" is written through the symlink "${parts.slice(0, i).join('/')}" the archive created`;
      }
      if (e.type === 'SymbolicLink') links.add(n);
      if (e.type === 'Link' && e.linkpath && (posix.isAbsolute(e.linkpath) || !inside(e.linkpath))) problem = `hard link "${p}" points outside the destination (${e.linkpath})`;
    },
  }).catch((err: Error) => {
    throw new InvalidArgumentError(`${label}: not a readable archive: ${err.message}`);
  });
  if (problem) throw new InvalidArgumentError(`${label}: ${problem}; refused`);
}

/** ADD of a local archive: checked, then extracted into dest (owners from the archive unless --chown). */
export async function extractArchive(path: string, label: string, o: CopyOptions): Promise<void> {
  await checkArchive(path, label);
  const dest = imageDest(o.dest.endsWith('/') ? o.dest : `${o.dest}/`, o.workdir);
  const target = await mkdirs(o.rootfs, dest, o.owner);
  const tar = await import('tar');
  await new Promise<void>((resolve, reject) => {
    const x = tar.x({ cwd: target, preserveOwner: !o.owner, strict: true, ...(o.owner ? { uid: o.owner.uid, gid: o.owner.gid } : {}) });
    x.on('error', (err: Error) => reject(new InvalidArgumentError(`${label}: extraction failed: ${err.message}`)));
    x.on('close', () => resolve());
    createReadStream(path).on('error', reject).pipe(x);
  });
}
