// What every Docker API route module needs: the services (or Docker's error when the daemon has
// none), Docker's query parameters (filters as JSON, booleans as 1/true), and its time stamps.
import { InvalidArgumentError, UnavailableError } from '../../specs/errdefs.ts';
import type { DaemonContext } from '../context.ts';
import type { ContainerService } from '../services/containers.ts';
import type { StreamService } from '../services/attach.ts';
import type { ImageService } from '../services/images.ts';
import type { VolumeService } from '../services/volumes.ts';

function needs<T>(ctx: DaemonContext, what: T | undefined, verb: string): T {
  if (what) return what;
  if (ctx.engine) throw new UnavailableError('the daemon is starting and its controllers are not ready yet; retry in a moment');
  throw new UnavailableError(`this daemon runs without a container engine (no runtime configured), so it cannot ${verb}; start it with one`);
}

export const containersOf = (ctx: DaemonContext): ContainerService => needs(ctx, ctx.containers, 'manage containers');
export const streamsOf = (ctx: DaemonContext): StreamService => needs(ctx, ctx.streams, 'attach to containers');
export const imagesOf = (ctx: DaemonContext): ImageService => needs(ctx, ctx.images, 'manage images');
export const volumesOf = (ctx: DaemonContext): VolumeService => needs(ctx, ctx.volumes, 'manage volumes');

/** Docker's `filters` parameter: {"key": ["v", …]} or, from older clients, {"key": {"v": true}}. */
export function filtersParam(q: URLSearchParams): Map<string, string[]> {
  const text = q.get('filters');
  const out = new Map<string, string[]>();
  if (!text) return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError(`invalid filters: "${text}" is not JSON (e.g. {"status":["running"]})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidArgumentError('invalid filters: give an object of lists, e.g. {"status":["running"]}');
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    const values = Array.isArray(v) ? v : v && typeof v === 'object' ? Object.keys(v).filter((x) => (v as Record<string, unknown>)[x]) : undefined;
    if (!values || !values.every((x) => typeof x === 'string')) throw new InvalidArgumentError(`invalid filters: "${k}" must be a list of strings`);
    if (values.length) out.set(k, values as string[]);
  }
  return out;
}

/** A boolean query parameter as Docker's (1, true, True). */
export function flag(q: URLSearchParams, name: string, dflt = false): boolean {
  const v = q.get(name);
  if (v === null || v === '') return dflt;
  return v !== '0' && v.toLowerCase() !== 'false';
}

/** An integer query parameter, or a 400 naming it. */
export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw new InvalidArgumentError(`invalid value for ${name}: "${v}" is not a whole number`);
  return Number(v);
}

/** Seconds since the epoch, as Docker's lists give time stamps. */
export const unixSeconds = (iso: string | undefined): number => (iso ? Math.floor(Date.parse(iso) / 1000) : 0);

/** Docker's since/until: seconds (with a fraction), an RFC 3339 time, or a duration back from now ("10m"). */
export function timeParam(q: URLSearchParams, name: string, now = Date.now()): number | undefined {
  const v = q.get(name);
  if (v === null || v === '' || v === '0') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const d = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v);
  if (d) return now - Number(d[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[d[2] as 'ms']!;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidArgumentError(`invalid value for ${name}: "${v}" is not a time (seconds since the epoch, RFC 3339, or a duration such as 10m)`);
  return t;
}
