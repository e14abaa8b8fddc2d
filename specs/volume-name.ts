// Docker's volume names, checked without zod: meta.ts's schema and the run flags (mounts.ts) share
// them, and the CLI translates run's flags without loading zod.

/** [a-zA-Z0-9][a-zA-Z0-9_.-]+: a name is a directory under <root>/volumes, so "." and ".." are not names. */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
export const VOLUME_NAME_MAX = 128;

export function isVolumeName(s: string): boolean {
  return s.length <= VOLUME_NAME_MAX && VOLUME_NAME.test(s);
}
