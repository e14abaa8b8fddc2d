// Stable hashes of specs: key order does not matter, so an unchanged manifest never recreates.
import { createHash } from 'node:crypto';
import { canonicalJSON } from '../store/canonical.ts';

/** sha256 (first 16 hex) of the spec and the image digest the container is created from. */
export function specHash(spec: unknown, imageDigest: string | undefined): string {
  return createHash('sha256').update(canonicalJSON(spec)).update('\0').update(imageDigest ?? '').digest('hex').slice(0, 16);
}
