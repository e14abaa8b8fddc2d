// The client side of the terminal tests: the compiled `berth` CLI run on a real pseudo-terminal
// (util-linux `script`), typed into as a user types, its screen read as text; and a daemon of its
// own process (`berth daemon`), so a test can restart it or SIGKILL it under an attached session.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BERTH, until } from '../fixtures/helpers.ts';

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface Terminal {
  /** What the terminal has shown so far. */
  readonly screen: string;
  /** The pseudo-terminal the CLI runs on (/dev/pts/N). */
  pty(): Promise<string>;
  type(text: string): void;
  /** Waits until the screen (after `from`, an offset; line ends as \n) shows `want`. */
  see(want: string | RegExp, from?: number): Promise<string>;
  /** The exit code of the command line (script -e returns it). */
  readonly exited: Promise<number>;
  /** Sets the terminal's size, as a window resize does (the CLI gets SIGWINCH). */
  resize(rows: number, cols: number): Promise<void>;
  /**
   * Resizes the terminal and asks the shell attached to it (`stty size`) until the new size has
   * reached it: the size travels as a request of its own, which may arrive after the next keys.
   */
  resizeSeen(rows: number, cols: number): Promise<void>;
  /** The terminal's settings (stty -a) now. */
  settings(): Promise<string>;
  kill(): void;
}

/**
 * Runs `berth ARGS` on a new pseudo-terminal; `after` is a shell line run on the same terminal
 * once berth has exited (e.g. `stty -a`, to see the modes berth left it in).
 */
const running = new Set<ChildProcess>();

/** Ends every terminal still open (a failed test's). */
export function closeTerminals(): void {
  for (const c of running) c.kill('SIGKILL');
  running.clear();
}

export function onTerminal(args: string[], o: { socket: string; dir: string; after?: string; program?: string[]; env?: Record<string, string> }): Terminal {
  const ttyFile = join(o.dir, `tty-${Math.random().toString(36).slice(2)}`);
  // Another client than berth (`program`, e.g. Debian's docker CLI) with its own environment.
  const berth = [...(o.program ?? [process.execPath, BERTH]), ...args].map(shellQuote).join(' ');
  const env = Object.entries({ BERTH_SOCKET: o.socket, ...o.env }).map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ');
  const line = `tty > ${shellQuote(ttyFile)}; ${env} ${berth}; rc=$?; ${o.after ?? ':'}; exit $rc`;
  const child: ChildProcess = spawn('script', ['-q', '-e', '-c', line, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SHELL: '/bin/sh' } });
  let screen = '';
  child.stdout!.on('data', (d: Buffer) => (screen += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (screen += d.toString()));
  running.add(child);
  const exited = new Promise<number>((resolve) => child.on('close', (code) => (running.delete(child), resolve(code ?? -1))));
  const pty = () => until('the terminal', () => readFileSync(ttyFile, 'utf8').trim() || false);
  const stty = (args: string[]) =>
    pty().then((dev) => new Promise<string>((resolve, reject) => {
      const s = spawn('stty', ['-F', dev, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      s.stdout.on('data', (d: Buffer) => (out += d.toString()));
      s.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`stty ${args.join(' ')} failed`))));
    }));
  const see = (want: string | RegExp, from = 0) =>
    until(`${want} on the terminal`, () => {
      // The CLI's raw mode keeps the terminal's ONLCR (libuv's raw mode does), so lines may end \r\r\n.
      const s = screen.slice(from).replace(/\r+\n/g, '\n');
      return (typeof want === 'string' ? s.includes(want) : want.test(s)) && s;
    });
  const resize = async (rows: number, cols: number) => void (await stty(['rows', String(rows), 'cols', String(cols)]));
  return {
    get screen() {
      return screen;
    },
    pty,
    type: (text) => void child.stdin!.write(text),
    see,
    exited,
    resize,
    async resizeSeen(rows, cols) {
      await resize(rows, cols);
      for (let i = 0; ; i++) {
        const mark = screen.length;
        this.type('stty size\r');
        const answer = await see(/\n(\d+ \d+|stty: .*)\n/, mark);
        if (answer.includes(`\n${rows} ${cols}\n`)) return;
        if (i === 50) throw new Error(`the size ${rows} ${cols} never reached the shell: ${JSON.stringify(answer)}`);
      }
    },
    settings: () => stty(['-a']),
    kill: () => child.kill('SIGKILL'),
  };
}

export interface DaemonProcess {
  readonly pid: number;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** `berth daemon` as a process of its own, serving on `socket` once this resolves. */
export async function spawnDaemon(o: { root: string; socket: string; dir: string; cgroupParent: string; runtime: string }): Promise<DaemonProcess> {
  const config = join(o.dir, 'daemon.json');
  writeFileSync(config, '{}\n');
  const child = spawn(process.execPath, [BERTH, 'daemon', '--config-file', config, '--root', o.root, '--socket', o.socket, '--runtime', o.runtime, '--cgroup-parent', o.cgroupParent], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const { ApiClient } = await import('../../cli/client.ts');
  const client = new ApiClient(o.socket);
  await until(`the daemon on ${o.socket}`, async () => {
    if (child.exitCode !== null) throw new Error(`the daemon exited: ${log}`);
    return (await client.json('GET', '/v1/ping').then(() => true, () => false)) && (await client.json('GET', '/v1/containers').then(() => true, () => false));
  });
  return {
    pid: child.pid!,
    async stop(signal = 'SIGTERM') {
      child.kill(signal);
      await gone;
    },
  };
}
