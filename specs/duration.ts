// Durations, one parser for the two places berth reads them:
//  - Go's duration text (time.ParseDuration: "1m30s", "500ms", "1.5h"), as Dockerfile HEALTHCHECK
//    flags write them: parseDurationNs → nanoseconds;
//  - kubectl's duration flags (`apply --timeout`): the same text, or a plain number of seconds,
//    and longer than zero: parseDurationSeconds → seconds.
import { InvalidArgumentError } from './errdefs.ts';

const NANOSECONDS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go duration text → nanoseconds (unrounded); undefined when `text` is not one. */
function goDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    total += Number(m[1]) * NANOSECONDS[m[2]!]!;
    consumed = re.lastIndex;
  }
  return consumed === text.length && text.length > 0 ? total : undefined;
}

/** Go duration text ("30s", "1m30s", "500ms") → nanoseconds. */
export function parseDurationNs(text: string): number {
  const ns = goDuration(text);
  if (ns === undefined) throw new InvalidArgumentError(`"${text}" is not a duration (e.g. 30s, 1m30s, 500ms)`);
  return Math.round(ns);
}

/** A duration flag ("90", "30s", "5m", "1h30m") → seconds; InvalidArgumentError naming the flag when it is not a positive duration. */
export function parseDurationSeconds(text: string, flag: string): number {
  const t = text.trim();
  const ns = goDuration(t);
  const seconds = /^\d+(\.\d+)?$/.test(t) ? Number(t) : ns === undefined ? undefined : ns / 1e9;
  if (seconds === undefined) throw new InvalidArgumentError(`${flag} "${text}" is not a duration; write e.g. 90, 30s, 5m or 1h30m`);
  if (!(seconds > 0)) throw new InvalidArgumentError(`${flag} "${text}" must be longer than zero`);
  return seconds;
}
