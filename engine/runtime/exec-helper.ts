// The native runtime's exec helper: one `berth-run serve` per daemon (native/exec-serve.h), asked
// over a unix socket to run `berth-run exec`'s arguments. It replaces a spawn of berth-run per exec,
// which cost a fork of this (large) process, an exec, dynamic linking and berth-run's sealed re-exec
// each time; the helper forks itself, small, instead. Started on the first exec, it ends with this
// process (its stdin is a pipe from here) or on close(); one that died is started again.
import type { ChildProcess } from 'node:child_process';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { UnavailableError } from '../../specs/errdefs.ts';
import { FrameDecoder } from '../../specs/streams/stdcopy.ts';
import { execDeadline, outputSink } from './exec-process.ts';
import { startHelper } from './helper-process.ts';
import type { ExecOptions, ExecResult } from './runtime.ts';

/** The helper's frames (native/exec-serve.h): output, then the exit code in decimal. */
const FRAME_STDOUT = 1;
const FRAME_STDERR = 2;
const FRAME_EXIT = 3;
const SOCKET = 'exec.sock';

export class ExecHelper {
  readonly #dir: string;
  readonly #binary: string;
  #started: Promise<void> | undefined;
  #child: ChildProcess | undefined;

  /** `dir`: the runtime's state directory, where the helper's socket (its user's alone) is made. */
  constructor(dir: string, binary: string) {
    this.#dir = dir;
    this.#binary = binary;
  }

  /** Runs `berth-run exec ARGS` (args[0] is "exec") through the helper. */
  async run(args: string[], o: ExecOptions): Promise<ExecResult> {
    let conn: Socket;
    try {
      conn = await this.#connect();
    } catch {
      // Not started yet, or it died (a socket nobody listens on): start it, once.
      this.#started = undefined;
      conn = await this.#connect();
    }
    return this.#exec(conn, args, o);
  }

  /** Ends the helper (execs running keep their own processes until they end). */
  close(): void {
    this.#child?.stdin?.end();
    this.#child = undefined;
    this.#started = undefined;
  }

  async #connect(): Promise<Socket> {
    this.#started ??= this.#start();
    await this.#started;
    return new Promise<Socket>((resolve, reject) => {
      const c = createConnection(join(this.#dir, SOCKET));
      c.once('connect', () => (c.off('error', reject), resolve(c)));
      c.once('error', reject);
    });
  }

  /** Starts `berth-run serve`; resolves once it listens ("ready" on its stdout). */
  async #start(): Promise<void> {
    this.close();
    // The socket's path is relative to the helper's cwd: a long data root cannot exceed sun_path.
    const child = await startHelper('exec helper', this.#binary, ['serve', SOCKET], {
      cwd: this.#dir,
      stdin: 'pipe',
      onExit: (c) => {
        if (this.#child === c) (this.#child = undefined), (this.#started = undefined);
      },
    });
    this.#child = child;
  }

  #exec(conn: Socket, args: string[], o: ExecOptions): Promise<ExecResult> {
    const request = Buffer.from(args.map((a) => `${a}\0`).join(''));
    const head = Buffer.alloc(4);
    head.writeUInt32LE(request.length);
    conn.write(Buffer.concat([head, request]));
    const sink = outputSink(o);
    const decoder = new FrameDecoder();
    // Closing the connection is how the helper is told to kill the exec (SIGKILL).
    const deadline = execDeadline(o, () => conn.destroy());
    return new Promise<ExecResult>((resolve, reject) => {
      let exitCode: number | undefined;
      conn.on('data', (chunk: Buffer) => {
        for (const f of decoder.push(chunk)) {
          if (f.type === FRAME_STDOUT) sink.write('stdout', f.payload);
          else if (f.type === FRAME_STDERR) sink.write('stderr', f.payload);
          else if (f.type === FRAME_EXIT) exitCode = Number(f.payload.toString());
        }
      });
      conn.on('error', () => undefined);
      conn.on('close', () => {
        deadline.done();
        if (deadline.timedOut() || o.signal?.aborted) resolve(sink.result(137));
        else if (exitCode !== undefined) resolve(sink.result(exitCode));
        else reject(new UnavailableError('the exec helper (berth-run serve) ended the exec without its exit code; try again'));
      });
    });
  }
}
