// The daemon's logger: one line per record on stderr, `TIME LEVEL message key=value ...`, so that
// journald / a terminal show it as is and grep finds it. Levels below the configured one are dropped.

import { isoTime } from '../specs/timestamps.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every record (e.g. {component: 'watch'}). */
  child(fields: LogFields): Logger;
  /** Changes the level of this logger, its parent and all their children (a daemon's reload). */
  setLevel(level: LogLevel): void;
}

function formatValue(v: unknown): string {
  if (v instanceof Error) v = v.message;
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s !== undefined && /^[^\s"=]+$/.test(s) ? s : JSON.stringify(s ?? String(v));
}

export function createLogger(
  opts: { level?: LogLevel; write?: (line: string) => void; fields?: LogFields } = {},
  /** The level every logger of one family shares. */
  shared: { min: number } = { min: ORDER[opts.level ?? 'info'] },
): Logger {
  const write = opts.write ?? ((line: string) => process.stderr.write(line));
  const base = opts.fields ?? {};
  const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (ORDER[level] < shared.min) return;
    const all = { ...base, ...fields };
    const kv = Object.entries(all)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => ` ${k}=${formatValue(v)}`)
      .join('');
    write(`${isoTime()} ${level.toUpperCase().padEnd(5)} ${msg}${kv}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...opts, fields: { ...base, ...fields } }, shared),
    setLevel: (level) => void (shared.min = ORDER[level]),
  };
}
