// Docker's X-Docker-Container-Path-Stat header (GET/HEAD /containers/{id}/archive): base64 JSON of
// the path's name, size, mode as Go's os.FileMode (type bits high, not st_mode's), mtime, link.
import type { PathStat } from '../api/containers.ts';

const S_IFMT = 0o170000;
/** st_mode's file types → Go's os.FileMode type bits. */
const TYPE_BITS: Record<number, number> = {
  0o040000: 2 ** 31, // ModeDir
  0o120000: 2 ** 27, // ModeSymlink
  0o010000: 2 ** 25, // ModeNamedPipe
  0o140000: 2 ** 24, // ModeSocket
  0o020000: 2 ** 26 + 2 ** 21, // ModeDevice | ModeCharDevice
  0o060000: 2 ** 26, // ModeDevice
};

export function goFileMode(mode: number): number {
  const special = (mode & 0o4000 ? 2 ** 23 : 0) + (mode & 0o2000 ? 2 ** 22 : 0) + (mode & 0o1000 ? 2 ** 20 : 0);
  return (TYPE_BITS[mode & S_IFMT] ?? 0) + special + (mode & 0o777);
}

export function dockerPathStatHeader(s: PathStat): string {
  return Buffer.from(JSON.stringify({ name: s.name, size: s.size, mode: goFileMode(s.mode), mtime: s.mtime, linkTarget: s.linkTarget })).toString('base64');
}
