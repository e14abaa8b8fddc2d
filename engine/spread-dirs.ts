// Directories that hold one subdirectory per container, marked "top of a hierarchy" for ext4
// (`chattr +T`, FS_TOPDIR_FL): its Orlov allocator then spreads their subdirectories over the
// filesystem's block groups, as it does the root's, instead of putting each in its parent's group.
// Why: ext4 without a journal (this host's /) does not reuse an inode freed in the last minutes, and
// looks at each such inode of the group, in its inode table, before every inode it allocates
// (find_inode_bit → recently_deleted). Every container's directories and files (its record, bundle,
// overlay upper and work, attachment, runtime state: about 30 inodes) in one parent's group, after
// an apply and a delete of a few hundred containers, made each new inode a walk past thousands:
// __ext4_new_inode was a quarter of all CPU in an apply of 200 (perf), the monitors' and mount's
// too. Spread, a group holds a few containers' inodes. A placement hint and nothing more: on other
// filesystems (or without chattr) it is not applied, and nothing depends on it.
//
// Each owner of such a parent marks it where it makes a container's directory in it (the container
// store, the snapshotter, the runtime, the network's attachments), once per process and in the
// background; the engine marks the data root, before any of them.
import { mkdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { runCommand } from './spawner.ts';

/** Directories marked by this process: chattr runs once for each. */
const marked = new Set<string>();

/** Marks `dir`, which exists, the first time this process asks; never fails. */
function mark(dir: string): Promise<void> {
  if (marked.has(dir)) return Promise.resolve();
  marked.add(dir);
  // Not ext4 (chattr: "Operation not supported"), or no chattr: the allocator's default placement.
  return runCommand('chattr', ['+T', dir]).then(
    () => undefined,
    () => undefined,
  );
}

/**
 * Marks `dir`, which exists, once per process and in the background: a placement hint for the
 * directories made in it from now on, which need not wait for it.
 */
export function markSpread(dir: string): void {
  void mark(dir);
}

/**
 * Makes `dir` (if need be) and marks it: waited for when the directory is new, so that what is made
 * in it next is spread; in the background when it was there (a daemon's start does not wait for a
 * chattr on the data root it marked before).
 */
export async function spreadDir(dir: string): Promise<void> {
  if (await mkdir(dir, { recursive: true })) await mark(dir);
  else markSpread(dir);
}

/**
 * Makes `dir`, a new entry of `parent` (made too, the first time, when missing), and marks `parent`
 * (markSpread). Synchronous: a mkdir is tens of µs of the kernel's, a trip through the thread pool
 * several times that (mount-point.ts). An entry already there fails with EEXIST, as mkdir does.
 */
export function makeSpreadEntry(parent: string, dir: string, mode?: number): void {
  try {
    mkdirSync(dir, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(parent, { recursive: true });
    mkdirSync(dir, mode);
  }
  markSpread(parent);
}
