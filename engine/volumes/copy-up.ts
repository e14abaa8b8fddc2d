// Docker's copy-up: a volume mounted empty over a directory the image fills starts with the image's
// files — owners, modes, timestamps, links and xattrs kept (cp -a; GNU cp does each of these right,
// hand-written copying would not) — and the volume's root takes the owner and mode of the image's
// directory. The rootfs is the new container's, before anything runs in it; the path is resolved
// inside it (a symlink in the image never points the copy at the host).
import { chmod, chown, lstat, readdir } from 'node:fs/promises';
import { resolveInRoot } from '../builder/rootfs-path.ts';
import { runTool } from './mount-table.ts';

/** Copies the image's directory at `path` into the empty volume; false when there is nothing to copy or the volume is not empty. */
export async function copyUp(rootfs: string, path: string, volumeDir: string): Promise<boolean> {
  const src = await resolveInRoot(rootfs, path);
  const st = await lstat(src).catch(() => undefined);
  if (!st?.isDirectory()) return false;
  if ((await readdir(volumeDir)).length > 0) return false;
  await runTool('cp', ['-a', '-T', '--', src, volumeDir]);
  await chown(volumeDir, st.uid, st.gid);
  await chmod(volumeDir, st.mode & 0o7777);
  return true;
}
