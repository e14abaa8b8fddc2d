// Durations as kubectl takes them: "30" (seconds), "500ms", "20s", "5m", "1h30m".
import { InvalidArgumentError } from '../specs/errdefs.ts';

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** Seconds in `text`; InvalidArgumentError naming the flag when it is not a positive duration. */
export function parseDuration(text: string, flag: string): number {
  const t = text.trim();
  let seconds: number;
  if (/^\d+(\.\d+)?$/.test(t)) seconds = Number(t);
  else {
    const parts = [...t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join('') !== t) {
      throw new InvalidArgumentError(`${flag} "${text}" is not a duration; write e.g. 90, 30s, 5m or 1h30m`);
    }
    seconds = parts.reduce((n, p) => n + Number(p[1]) * UNITS[p[2]!]!, 0);
  }
  if (!(seconds > 0)) throw new InvalidArgumentError(`${flag} "${text}" must be longer than zero`);
  return seconds;
}
