// The small files the daemon reads each time it looks at a container — its meta.json and
// exit.json, /proc/<pid>/stat, a cgroup's freezer state — read synchronously. Through
// fs.promises each read is four trips through the thread pool (open, fstat, read, close) and a
// 64 KiB buffer for files that say their size is 0: with a hundred containers, /metrics spent
// most of its time there and in collecting that garbage. These files are in memory (procfs,
// cgroupfs, or state files just written, in the page cache): nothing waits on a disk.
import { readFileSync } from 'node:fs';

/** The file's text; undefined when it cannot be read (missing, gone, no permission). */
export function readSmallFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** readSmallFile, but a missing file is undefined and any other failure is thrown. */
export function readSmallFileOrThrow(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
