// The streams of a running process as the daemon holds them: a container's, through its monitor's
// attach socket (native/relay.h: it outlives the daemon), or an exec's, through berth-exectty's
// stdio (a terminal) or the runtime's own pipes. One interface for both, which the stream endpoints
// (server/streams/) serve to berth's CLI and to Docker API clients alike.
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { frame, FrameDecoder } from '../../specs/streams/stdcopy.ts';

export type OutputStream = 'stdout' | 'stderr';

export interface OutputChunk {
  stream: OutputStream;
  data: Buffer;
}

export interface TerminalSize {
  rows: number;
  cols: number;
}

export interface StdioSession {
  /** A terminal: one output stream (stdout), input echoed and edited by its line discipline. */
  readonly tty: boolean;
  /** The output as it comes, ending when the process's output ends (or close()). */
  output(): AsyncIterable<OutputChunk>;
  write(data: Buffer): void;
  /** Ends the process's stdin (a pipe's; a terminal has no end of input but ^D). */
  closeStdin(): void;
  resize(size: TerminalSize): void;
  /** Leaves the process running; its output is no longer read here. */
  close(): void;
}

export interface ExecSession extends StdioSession {
  /** The exec'd process's exit code (128+signal when killed), once it has ended. */
  readonly exitCode: Promise<number>;
}

/** Frame types to the holder of a process's streams (native/relay.h). */
const TO_HOLDER = { stdin: 0, resize: 3, closeStdin: 4, replay: 5 } as const;
/** The frames a holder sends (relay.h). */
const FROM_HOLDER = { stdout: 1, stderr: 2 } as const;

/** A queue of output chunks that pauses its sources while nobody takes them. */
class OutputQueue {
  readonly #items: OutputChunk[] = [];
  readonly #sources: Readable[];
  #ended = 0;
  #wake: (() => void) | undefined;

  #stopped = false;

  constructor(sources: Readable[], take: (src: Readable, chunk: Buffer) => OutputChunk[]) {
    this.#sources = sources;
    for (const s of sources) {
      s.on('data', (chunk: Buffer) => {
        if (this.#stopped) return;
        this.#items.push(...take(s, chunk));
        if (this.#items.length > 64) for (const x of this.#sources) x.pause();
        this.#wake?.();
      });
      const end = () => {
        this.#ended++;
        this.#wake?.();
      };
      s.once('end', end);
      s.once('error', () => s.destroy());
      s.once('close', () => s.readableEnded || end());
    }
  }

  /** Nobody takes the output any more: what still comes is read and dropped, and the iteration ends. */
  stop(): void {
    this.#stopped = true;
    this.#items.length = 0;
    this.#ended = this.#sources.length;
    for (const s of this.#sources) if (!s.destroyed) s.resume();
    this.#wake?.();
  }

  async *iterate(): AsyncIterable<OutputChunk> {
    for (;;) {
      if (this.#items.length) {
        yield this.#items.shift()!;
        if (this.#items.length < 16) for (const s of this.#sources) if (!s.destroyed) s.resume();
        continue;
      }
      if (this.#ended >= this.#sources.length) return;
      await new Promise<void>((r) => (this.#wake = r));
      this.#wake = undefined;
    }
  }
}

/** A process's streams behind relay.h's frames: a monitor's attach socket or berth-exectty's stdio. */
export class FrameSession implements StdioSession {
  readonly tty: boolean;
  readonly #out: Writable;
  readonly #queue: OutputQueue;
  readonly #closeAll: () => void;

  constructor(o: { tty: boolean; input: Readable; output: Writable; close: () => void; replay?: boolean }) {
    this.tty = o.tty;
    this.#out = o.output;
    this.#closeAll = o.close;
    const decoder = new FrameDecoder();
    // Output is the frames of the two streams, and only those with bytes: a replay with nothing to
    // replay may come as an empty frame, and the holder's other frames (relay.h's DETACHED) are not output.
    this.#queue = new OutputQueue([o.input], (_s, chunk) =>
      decoder
        .push(chunk)
        .filter((f) => (f.type === FROM_HOLDER.stdout || f.type === FROM_HOLDER.stderr) && f.payload.length > 0)
        .map((f) => ({ stream: f.type === FROM_HOLDER.stderr ? 'stderr' : 'stdout', data: f.payload })),
    );
    this.#out.on('error', () => undefined);
    if (o.replay) this.#send(TO_HOLDER.replay, Buffer.alloc(0));
  }

  #send(type: number, payload: Buffer): void {
    if (!this.#out.writableEnded && !this.#out.destroyed) this.#out.write(frame(type, payload));
  }

  output(): AsyncIterable<OutputChunk> {
    return this.#queue.iterate();
  }

  write(data: Buffer): void {
    for (let i = 0; i < data.length; i += 32768) this.#send(TO_HOLDER.stdin, data.subarray(i, i + 32768));
  }

  closeStdin(): void {
    this.#send(TO_HOLDER.closeStdin, Buffer.alloc(0));
  }

  resize(size: TerminalSize): void {
    const p = Buffer.alloc(4);
    p.writeUInt16BE(Math.min(size.rows, 0xffff), 0);
    p.writeUInt16BE(Math.min(size.cols, 0xffff), 2);
    this.#send(TO_HOLDER.resize, p);
  }

  close(): void {
    this.#queue.stop();
    this.#closeAll();
  }
}

/** The exit code of a child process once it has ended. */
export function childExit(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('error', () => resolve(126));
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}

/** An exec on a terminal: berth-exectty's frames on its stdio, its exit code the process's. */
export class TerminalExecSession extends FrameSession implements ExecSession {
  readonly exitCode: Promise<number>;

  constructor(child: ChildProcess) {
    super({ tty: true, input: child.stdout!, output: child.stdin!, close: () => child.stdin!.end() });
    this.exitCode = childExit(child);
  }
}

/** An exec without a terminal: the runtime's exec command with pipes for stdin, stdout and stderr. */
export class PipeSession implements ExecSession {
  readonly tty = false;
  readonly exitCode: Promise<number>;
  readonly #child: ChildProcess;
  readonly #queue: OutputQueue;

  constructor(child: ChildProcess) {
    this.#child = child;
    this.exitCode = childExit(child);
    const out = child.stdout!;
    this.#queue = new OutputQueue([out, child.stderr!], (s, data) => [{ stream: s === out ? 'stdout' : 'stderr', data }]);
    child.stdin?.on('error', () => undefined);
  }

  output(): AsyncIterable<OutputChunk> {
    return this.#queue.iterate();
  }

  write(data: Buffer): void {
    if (this.#child.stdin && !this.#child.stdin.writableEnded) this.#child.stdin.write(data);
  }

  closeStdin(): void {
    this.#child.stdin?.end();
  }

  resize(): void {
    // No terminal: nothing has a size.
  }

  close(): void {
    this.#queue.stop();
    this.#child.stdin?.end();
  }
}
