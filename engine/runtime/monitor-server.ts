// Starting a container's monitor through `berth-monitor --serve` (native/monitor-serve.h): one
// small process, started once per runtime, forks a monitor for each request on its unix socket.
// Spawning the monitor from the daemon instead costs a fork of the daemon's whole address space —
// Node's spawn() blocks the event loop for it, 25 ms a start on this 2-core host under load — and
// an exec of the monitor. The server is the daemon's child and ends with it (PR_SET_PDEATHSIG);
// the monitors it starts outlive both, as spawned ones do. Whenever the server cannot be reached,
// the monitor is spawned as before.
import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { runCommand } from '../spawner.ts';
import { startHelper } from './helper-process.ts';


/** Bytes for a monitor's arguments (a dozen paths); a longer list is exec'd as a program instead. */
const TITLE_ROOM = 4096;
/** A socket path a unix socket address can hold (sun_path: 108 bytes with its NUL). */
const MAX_SOCKET_PATH = 107;

export class MonitorStarter {
  readonly #socket: string;
  /** The berth-monitor program (looked up when first needed). */
  readonly #program: () => string;
  #server?: Promise<ChildProcess | undefined>;

  constructor(stateDir: string, program: () => string) {
    this.#socket = join(stateDir, 'monitor.sock');
    this.#program = program;
  }

  /** Starts a monitor with these arguments: its report ("PID MONITOR_PID"), or throws why not (with
   * the monitor's words in `stderr`, as execFile's errors have them). */
  async start(args: string[]): Promise<string> {
    // A server that died (killed, or its socket removed) is made again once.
    for (let attempt = 0; attempt < 2 && (await this.#ensure()); attempt++) {
      try {
        return await this.#request(args);
      } catch (err) {
        if (!(err instanceof Unreachable)) throw err;
        void this.#server?.then((s) => s?.kill('SIGKILL'));
        this.#server = undefined;
      }
    }
    // Without the server: the monitor run as any other command of the daemon's (berth-spawner).
    return (await runCommand(this.#program(), args)).stdout;
  }

  /** Stops the server (the monitors it started go on). */
  close(): void {
    void this.#server?.then((s) => s?.kill('SIGKILL'));
    this.#server = undefined;
  }

  #ensure(): Promise<ChildProcess | undefined> {
    if (Buffer.byteLength(this.#socket) > MAX_SOCKET_PATH) return Promise.resolve(undefined);
    if (!this.#server) {
      // The padding is room for each monitor's own arguments as its command line (monitor-serve.c).
      const server: Promise<ChildProcess | undefined> = startHelper('monitor server', this.#program(), ['--serve', this.#socket, ' '.repeat(TITLE_ROOM)], {
        stdin: 'ignore',
        onExit: () => {
          if (this.#server === server) this.#server = undefined;
        },
      }).catch(() => undefined);
      this.#server = server;
    }
    return this.#server;
  }

  #request(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let sent = false;
      const s = connect(this.#socket);
      s.on('connect', () => {
        sent = true;
        s.end(Buffer.concat([...args.map((a) => Buffer.from(`${a}\0`)), Buffer.from('\0')]));
      });
      s.on('data', (d: Buffer) => chunks.push(d));
      // A reset or a broken pipe before any reply: the server's end was closed with the request
      // unread (a server killed with the connection in its backlog), so no monitor was started from it.
      const unread = (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE') && !chunks.length;
      s.on('error', (err: NodeJS.ErrnoException) => reject(sent && !unread(err) ? new Error(`berth-monitor: ${err.message}`) : new Unreachable(err.message)));
      s.on('close', () => {
        const out = Buffer.concat(chunks).toString();
        if (/^\d+ \d+\n?$/.test(out)) resolve(out);
        else if (!out && !sent) reject(new Unreachable('no server'));
        else reject(Object.assign(new Error('berth-monitor failed'), { stderr: out || 'the monitor ended before the container started' }));
      });
    });
  }
}

class Unreachable extends Error {}
