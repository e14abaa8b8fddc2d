// `cp`'s three operations on a container's files, as Docker's archive API has them: stat a path,
// read a path as a tar stream, extract a tar stream into a directory. Every path is resolved by the
// kernel inside the container's root, never on the host: native/berth-inroot joins a running
// container's mount namespace (so its volumes are there too) or chroots into a stopped one's
// rootfs, then stats, or runs the host's static busybox as tar (opened before entering, so no
// binary of the container runs with the host's privileges). A path string checked on the host and
// used later would be CVE-2018-15664 (a symlink swapped in between); here there is no such gap.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, UnavailableError } from '../specs/errdefs.ts';
import type { PathStat } from '../specs/api/containers.ts';
import { nativeBinary } from './runtime/monitored-runtime.ts';
import { isoTime } from '../specs/timestamps.ts';

/** Where a container's files are: its process (running, paused) or its rootfs (created, stopped). */
export type FilesRoot = { pid: number } | { rootfs: string };

/** Debian's busybox-static: one static binary, so it runs in any root. */
const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'];

function busybox(): string {
  const found = BUSYBOX.find((p) => existsSync(p));
  if (!found) throw new UnavailableError('cp needs a static busybox on the host (Debian package busybox-static) at /bin/busybox');
  return found;
}

function enterArgs(where: FilesRoot): string[] {
  return 'pid' in where ? ['--pid', String(where.pid)] : ['--root', where.rootfs];
}

function checkPath(path: string): void {
  if (!path.startsWith('/')) throw new InvalidArgumentError(`path "${path}" in the container must be absolute (start with /)`);
  if (path.includes('\0')) throw new InvalidArgumentError('a path in the container cannot contain a NUL character');
}

/** Runs berth-inroot; resolves with its stdout, or rejects with its message (NotFound for a missing path). */
function inroot(args: string[], what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(nativeBinary('berth-inroot'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code === 0) return resolve(out);
      const msg = err.trim().replace(/^berth-inroot: /, '');
      reject(code === 2 ? new NotFoundError(`Could not find the file ${what}`) : new FailedPreconditionError(`${what}: ${msg}`));
    });
  });
}

export async function statPath(where: FilesRoot, path: string, container: string): Promise<PathStat> {
  checkPath(path);
  const s = JSON.parse(await inroot([...enterArgs(where), 'stat', path], `${path} in container ${container}`)) as { name: string; size: number; mode: number; mtimeMs: number; linkTarget: string };
  return { name: s.name, size: s.size, mode: s.mode, mtime: isoTime(s.mtimeMs), linkTarget: s.linkTarget };
}

/** A finished tar process: rejects with what it said when it failed. */
function tarProcess(where: FilesRoot, args: string[], what: string, stdin?: Readable): { stdout: Readable; done: Promise<void> } {
  const p = spawn(nativeBinary('berth-inroot'), [...enterArgs(where), '--busybox', busybox(), 'tar', ...args], { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  let err = '';
  p.stderr!.on('data', (d) => (err = (err + d).slice(-2000)));
  if (stdin) {
    stdin.pipe(p.stdin!);
    p.stdin!.on('error', () => undefined); // tar stopped reading: its exit says why
  }
  const done = new Promise<void>((resolve, reject) => {
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new FailedPreconditionError(`${what}: ${err.trim().replace(/^(berth-inroot|tar): /gm, '') || `tar exited with ${code}`}`))));
  });
  return { stdout: p.stdout!, done };
}

/**
 * PATH as a tar stream, as Docker archives it: the entry is PATH's base name ("etc/…"); PATH
 * ending in "/." gives its contents ("./…"). A symlink is archived as the link.
 */
export async function archivePath(where: FilesRoot, path: string, container: string): Promise<{ stat: PathStat; tar: Readable; done: Promise<void> }> {
  const stat = await statPath(where, path, container);
  const contents = /\/\.$/.test(path);
  const trimmed = path.replace(/\/+\.?$/, '') || '/';
  const args = contents || trimmed === '/' ? ['-c', '-C', trimmed, '.'] : ['-c', '-C', posix.dirname(trimmed), posix.basename(trimmed)];
  const { stdout, done } = tarProcess(where, args, `copy ${path} from container ${container}`);
  return { stat, tar: stdout, done };
}

/** Extracts a tar stream into DIR (which must be a directory); the files belong to the container's root, as Docker's, unless keepOwner (the tar's uid and gid). */
export async function extractArchive(where: FilesRoot, dir: string, tar: Readable, container: string, o: { keepOwner?: boolean } = {}): Promise<void> {
  const stat = await statPath(where, dir, container);
  // A symlink to a directory is a directory to extract into (tar -C follows it, inside the root).
  const isDir = (stat.mode & 0o170000) === 0o040000 || ((stat.mode & 0o170000) === 0o120000 && (await statPath(where, `${dir.replace(/\/+$/, '')}/`, container).catch(() => stat)).mode >> 12 === 0o04);
  if (!isDir) throw new InvalidArgumentError(`extraction point is not a directory: ${dir} in container ${container}`);
  await tarProcess(where, ['-x', ...(o.keepOwner ? ['--numeric-owner'] : ['-o']), '-C', dir, '-f', '-'], `copy into ${dir} of container ${container}`, tar).done;
}
