// Stable hashes of specs: key order does not matter, so an unchanged manifest never recreates.
import { createHash } from 'node:crypto';

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v as object)
        .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** sha256 (first 16 hex) of the spec and the image digest the container is created from. */
export function specHash(spec: unknown, imageDigest: string | undefined): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(spec)))
    .update('\0')
    .update(imageDigest ?? '')
    .digest('hex')
    .slice(0, 16);
}
