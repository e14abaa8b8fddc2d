// Whether a filesystem of its own is mounted on a path, by two stat calls: its device differs
// from its parent's (or it is the root of its filesystem). What berth mounts on the paths it asks
// about is always another filesystem — an overlay (a rootfs), a sysfs (userns.ts), an nsfs (a
// network namespace pinned on its file) — so this tells them apart without reading
// /proc/self/mountinfo, which has lines for every container and, read at each create and start,
// made N containers N² work. A bind mount from the same filesystem is not seen; berth makes none
// on these paths (netns.ts isMountPoint reads mountinfo where that matters).
//
// The stats are synchronous: a stat of a path in the dentry cache is a few µs, and through
// fs.promises each was a trip through the thread pool (a wakeup of a pool thread and a completion
// back), about five times the CPU and, on a loaded host, milliseconds of waiting. Asked at each
// create, start and removal of a container.
import { statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';

/** A path that cannot be stat'ed (missing, or no access) has nothing mounted on it that berth can use. */
function statOf(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

export function isMounted(path: string): boolean {
  const self = statOf(path);
  if (!self) return false;
  const parent = statOf(dirname(path));
  if (!parent) return false;
  return self.dev !== parent.dev || self.ino === parent.ino;
}
