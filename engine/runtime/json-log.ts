// Reading a container's log as the monitor writes it (native/logfile.c): one JSON line per chunk,
// {"log","stream","time"} as Docker's json-file driver, rotated at a size limit to <file>.1, the
// older ones to <file>.2 … (log-opts max-file), or started over when no rotated file is kept.
import { watch, type FSWatcher } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LogOptions } from './runtime.ts';
import type { LogEntry } from '../../specs/api/containers.ts';

function parseLines(text: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const e = JSON.parse(line) as { log: string; stream: 'stdout' | 'stderr'; time: string };
      out.push({ stream: e.stream, time: e.time, log: e.log });
    } catch {
      // A line cut by a crash mid-write: skipped, as Docker's reader does.
    }
  }
  return out;
}

/**
 * Wakes a follower when anything changes in the log's directory (an append, a rotation, the
 * monitor's exit file), so output reaches `logs -f` and `run` as it is written — inotify, as
 * Docker's json-file reader — with a timer as the fallback should the watch be lost.
 */
function directoryChanges(dir: string, signal?: AbortSignal): { next(ms: number): Promise<void>; close(): void } {
  let wake: (() => void) | undefined;
  let changed = false;
  let w: FSWatcher | undefined;
  try {
    w = watch(dir, () => {
      changed = true;
      wake?.();
    });
    w.on('error', () => w?.close());
  } catch {
    // No watch (the directory went away): the timer alone.
  }
  return {
    next: (ms) =>
      new Promise<void>((resolve) => {
        if (changed || signal?.aborted) {
          changed = false;
          return resolve();
        }
        const done = () => {
          clearTimeout(t);
          signal?.removeEventListener('abort', done);
          wake = undefined;
          changed = false;
          resolve();
        };
        const t = setTimeout(done, ms);
        wake = done;
        signal?.addEventListener('abort', done, { once: true });
      }),
    close: () => w?.close(),
  };
}

/** The entries of the rotated files, oldest first (<file>.N … <file>.1), each file read on its own. */
async function rotatedEntries(file: string): Promise<LogEntry[]> {
  const texts: string[] = [];
  for (let k = 1; ; k++) {
    const text = await readFile(`${file}.${k}`, 'utf8').catch(() => undefined);
    if (text === undefined) break;
    texts.unshift(text);
  }
  return texts.flatMap(parseLines);
}

/**
 * The entries of `file` (and its rotated predecessors), the last `tail` of them if asked; with
 * `follow`, then every entry appended until `signal` aborts or `done()` says the writer has ended
 * and everything it wrote has been read.
 */
export async function* readJsonLog(file: string, opts: LogOptions & { done?: () => Promise<boolean> } = {}): AsyncIterable<LogEntry> {
  const older = await rotatedEntries(file);
  const current = await readFile(file).catch(() => Buffer.alloc(0));
  // Only whole lines: a partial last line is read again once it is complete.
  const end = current.lastIndexOf(0x0a) + 1;
  let entries = [...older, ...parseLines(current.subarray(0, end).toString('utf8'))];
  if (opts.tail !== undefined) entries = opts.tail === 0 ? [] : entries.slice(-opts.tail);
  yield* entries;
  if (!opts.follow) return;
  let offset = end;
  let ino = (await stat(file).catch(() => undefined))?.ino;
  const changes = directoryChanges(dirname(file), opts.signal);
  try {
    while (!opts.signal?.aborted) {
      const st = await stat(file).catch(() => undefined);
      if (st && st.ino !== ino) {
        // Rotated: the rest of the old file is now <file>.1; read what was left of it, then start over.
        const rest = await readFile(`${file}.1`).catch(() => Buffer.alloc(0));
        yield* parseLines(rest.subarray(offset).toString('utf8'));
        ino = st.ino;
        offset = 0;
      }
      // Started over in place (max-file 1): read it from its start.
      if (st && st.size < offset) offset = 0;
      if (st && st.size > offset) {
        const fh = await open(file, 'r');
        try {
          const buf = Buffer.alloc(st.size - offset);
          const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
          const whole = buf.subarray(0, bytesRead).lastIndexOf(0x0a) + 1;
          yield* parseLines(buf.subarray(0, whole).toString('utf8'));
          offset += whole;
        } finally {
          await fh.close();
        }
        continue;
      }
      if (opts.done && (await opts.done())) {
        const final = await stat(file).catch(() => undefined);
        if (!final || final.size <= offset) return;
        continue;
      }
      await changes.next(1000);
    }
  } finally {
    changes.close();
  }
}
