// The directories that hold one subdirectory per container, marked "top of a hierarchy" for ext4
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
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from './spawner.ts';

/** Under the data root: the parents of per-container directories (the root's own children too). */
const PER_CONTAINER_PARENTS = ['containers', 'snapshots/containers', 'runtime/containers', 'networks/containers'];

/** Makes (if need be) and marks the root and its per-container parents; never fails. */
export async function spreadContainerDirs(root: string): Promise<void> {
  const dirs = PER_CONTAINER_PARENTS.map((d) => join(root, d));
  try {
    // The root first, so that its children made next are spread too (when they are new).
    await mkdir(root, { recursive: true });
    await runCommand('chattr', ['+T', root]);
    await Promise.all(dirs.map((d) => mkdir(d, { recursive: true })));
    await runCommand('chattr', ['+T', ...dirs]);
  } catch {
    // Not ext4 (chattr: "Operation not supported"), or no chattr: the allocator's default placement.
  }
}
