// Reading a container's log as the monitor writes it (native/logfile.c): one JSON line per chunk,
// {"log","stream","time"} as Docker's json-file driver, rotated at a size limit to <file>.1, the
// older ones to <file>.2 … (log-opts max-file), or started over when no rotated file is kept.
import { watch, type FSWatcher } from 'node:fs';
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
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
function directoryChanges(dir: string, signal?: AbortSignal, ended?: AbortSignal): { next(ms: number): Promise<void>; close(): void } {
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
        if (changed || signal?.aborted || ended?.aborted) {
          changed = false;
          return resolve();
        }
        const done = () => {
          clearTimeout(t);
          signal?.removeEventListener('abort', done);
          ended?.removeEventListener('abort', done);
          wake = undefined;
          changed = false;
          resolve();
        };
        const t = setTimeout(done, ms);
        wake = done;
        signal?.addEventListener('abort', done, { once: true });
        ended?.addEventListener('abort', done, { once: true });
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

/** Whole lines at most this long are read at once; a longer backlog is read in several steps. */
const READ_STEP = 4 << 20;

/** What the open file `fh` holds from `offset` on (up to READ_STEP), cut after its last whole line. */
async function wholeLinesFrom(fh: FileHandle, offset: number): Promise<{ entries: LogEntry[]; bytes: number }> {
  const size = (await fh.stat()).size;
  if (size <= offset) return { entries: [], bytes: 0 };
  const buf = Buffer.alloc(Math.min(size - offset, READ_STEP));
  const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
  const whole = buf.subarray(0, bytesRead).lastIndexOf(0x0a) + 1;
  return { entries: parseLines(buf.subarray(0, whole).toString('utf8')), bytes: whole };
}

/**
 * The entries of `file` (and its rotated predecessors), the last `tail` of them if asked; with
 * `follow`, then every entry appended until `signal` aborts, or until the writer has ended
 * (`ended` aborted, or `done()` true) and everything it wrote has been read.
 *
 * The file being followed is held open: what the writer put in it stays readable when it is
 * rotated away or removed (a `run --rm` whose client reads slower than the container wrote), and
 * a rotation is seen as a new file at the path once the held one has been read to its end.
 */
export async function* readJsonLog(file: string, opts: LogOptions & { done?: () => Promise<boolean> } = {}): AsyncIterable<LogEntry> {
  const older = await rotatedEntries(file);
  let fh: FileHandle | undefined = await open(file, 'r').catch(() => undefined);
  let offset = 0;
  try {
    let entries = older;
    // The current file as it is now (only whole lines: a partial last line is read again once complete).
    const size = fh ? (await fh.stat()).size : 0;
    while (fh && offset < size) {
      const step = await wholeLinesFrom(fh, offset);
      if (!step.bytes) break;
      entries = entries.concat(step.entries);
      offset += step.bytes;
    }
    if (opts.tail !== undefined) entries = opts.tail === 0 ? [] : entries.slice(-opts.tail);
    yield* entries;
    if (!opts.follow) return;
    let ino = fh ? (await fh.stat()).ino : undefined;
    const changes = directoryChanges(dirname(file), opts.signal, opts.ended);
    try {
      while (!opts.signal?.aborted) {
        if (fh) {
          const step = await wholeLinesFrom(fh, offset);
          if (step.bytes > 0) {
            yield* step.entries;
            offset += step.bytes;
            continue;
          }
          // Started over in place (max-file 1): read it from its start.
          if ((await fh.stat()).size < offset) {
            offset = 0;
            continue;
          }
        }
        // The held file is read to its end: has the log moved on to a new file at the path, or
        // has the writer ended?
        const st = await stat(file).catch(() => undefined);
        const movedOn = st !== undefined && st.ino !== ino;
        const ended = !movedOn && (opts.ended?.aborted === true || (opts.done !== undefined && (await opts.done())));
        if (!movedOn && !ended) {
          await changes.next(1000);
          continue;
        }
        // The writer has left the held file: what it wrote since the read above is read before
        // the file is let go (then the new one, when there is one).
        const last = fh ? await wholeLinesFrom(fh, offset) : undefined;
        if (last?.bytes) {
          yield* last.entries;
          offset += last.bytes;
          continue;
        }
        if (ended) return;
        await fh?.close();
        fh = await open(file, 'r').catch(() => undefined);
        ino = fh ? (await fh.stat()).ino : undefined;
        offset = 0;
      }
    } finally {
      changes.close();
    }
  } finally {
    await fh?.close();
  }
}
