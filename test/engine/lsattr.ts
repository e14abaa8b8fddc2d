// The inode flags of a directory as lsattr (e2fsprogs, the tool that reads them back) prints them.
import { execFileSync } from 'node:child_process';

/** The attribute letters of `dir`; undefined where the filesystem has none (tmpfs, overlay). */
export function lsattrDir(dir: string): string | undefined {
  try {
    return execFileSync('lsattr', ['-d', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(' ')[0];
  } catch {
    return undefined;
  }
}
