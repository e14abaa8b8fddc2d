// A volume's size: du(1) of its directory (apparent bytes, hard links counted once, not crossing
// into other filesystems) — coreutils walks a tree faster than a walk written here would, and its
// rules for links and mounts are the ones people expect. Callers keep the answer: this walks.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export async function measureBytes(dir: string): Promise<number> {
  const { stdout } = await exec('du', ['-s', '-x', '-b', '--', dir]);
  const n = Number(stdout.split('\t')[0]);
  if (!Number.isFinite(n)) throw new Error(`du ${dir}: unexpected output "${stdout.trim()}"`);
  return n;
}
