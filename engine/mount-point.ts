// Whether a filesystem of its own is mounted on a path, by two stat calls: its device differs
// from its parent's (or it is the root of its filesystem). What berth mounts on the paths it asks
// about is always another filesystem — an overlay (a rootfs), a sysfs (userns.ts), an nsfs (a
// network namespace pinned on its file) — so this tells them apart without reading
// /proc/self/mountinfo, which has lines for every container and, read at each create and start,
// made N containers N² work. A bind mount from the same filesystem is not seen; berth makes none
// on these paths (netns.ts isMountPoint reads mountinfo where that matters).
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function isMounted(path: string): Promise<boolean> {
  const [self, parent] = await Promise.all([stat(path).catch(() => undefined), stat(dirname(path)).catch(() => undefined)]);
  if (!self || !parent) return false;
  return self.dev !== parent.dev || self.ino === parent.ino;
}
