// Commands run through berth-spawner (native/spawner.c), a small process the daemon starts once,
// instead of child_process.execFile: a spawn from Node forks the daemon's whole address space on
// its one thread (7–11 ms of it per command here, four commands per container set up), a fork from
// the spawner costs it a write and a read. `runCommand` is execFile's promise form for the calls
// that need nothing but arguments and a working directory: the same results and the same errors
// (code = exit status, signal, stdout, stderr; ENOENT for a missing program), so callers and
// commandErrorText() see no difference. Without the spawner binary (not built) it is execFile.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export interface CommandOutput {
  stdout: string;
  stderr: string;
}

/** The error execFile gives for a command that ran and failed, or could not start. */
export interface CommandFailure extends Error {
  code?: number | string;
  signal?: NodeJS.Signals | null;
  stdout?: string;
  stderr?: string;
  cmd?: string;
}

interface Pending {
  file: string;
  args: string[];
  resolve(out: CommandOutput): void;
  reject(err: Error): void;
}

const HEAD = 20;

/** One berth-spawner process and the requests it is running. */
export class Spawner {
  readonly #binary: string;
  #child: ChildProcess | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  #buffered = Buffer.alloc(0);

  constructor(binary: string) {
    this.#binary = binary;
  }

  run(file: string, args: string[], o: { cwd?: string } = {}): Promise<CommandOutput> {
    const child = this.#start();
    const id = this.#nextId++ >>> 0;
    const payload = Buffer.from([o.cwd ?? '', file, ...args].map((s) => `${s}\0`).join(''));
    const head = Buffer.alloc(8);
    head.writeUInt32LE(payload.length, 0);
    head.writeUInt32LE(id, 4);
    return new Promise<CommandOutput>((resolve, reject) => {
      this.#pending.set(id, { file, args, resolve, reject });
      this.#ref(true);
      child.stdin!.write(Buffer.concat([head, payload]));
    });
  }

  /** The spawner's pid while it runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Stops the spawner (commands it runs go on; their answers are lost). */
  close(): void {
    this.#child?.kill('SIGKILL');
    this.#child = undefined;
  }

  #start(): ChildProcess {
    if (this.#child) return this.#child;
    const child = spawn(this.#binary, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.#child = child;
    this.#buffered = Buffer.alloc(0);
    child.stdout!.on('data', (chunk: Buffer) => this.#read(chunk));
    child.stdin!.on('error', () => undefined);
    const gone = (why: string) => {
      if (this.#child !== child) return;
      this.#child = undefined;
      const pending = [...this.#pending.values()];
      this.#pending.clear();
      for (const p of pending) p.reject(Object.assign(new Error(`${p.file} ${p.args.join(' ')}: berth-spawner ${why}; the command may or may not have run`), { code: 'ESPAWNER' }));
    };
    child.on('error', (err) => gone(`failed: ${err.message}`));
    child.on('exit', (code, signal) => gone(`exited (${signal ?? code})`));
    this.#ref(false);
    return child;
  }

  /** The spawner keeps the daemon's event loop alive only while it runs commands for it. */
  #ref(busy: boolean): void {
    const c = this.#child;
    if (!c) return;
    const method = busy ? 'ref' : 'unref';
    c[method]();
    (c.stdout as unknown as { [k: string]: () => void } | null)?.[method]?.();
    (c.stdin as unknown as { [k: string]: () => void } | null)?.[method]?.();
  }

  #read(chunk: Buffer): void {
    let buf = this.#buffered.length ? Buffer.concat([this.#buffered, chunk]) : chunk;
    while (buf.length >= HEAD) {
      const id = buf.readUInt32LE(0);
      const kind = buf.readUInt32LE(4);
      const code = buf.readUInt32LE(8);
      const outLen = buf.readUInt32LE(12);
      const errLen = buf.readUInt32LE(16);
      if (buf.length < HEAD + outLen + errLen) break;
      const stdout = buf.toString('utf8', HEAD, HEAD + outLen);
      const stderr = buf.toString('utf8', HEAD + outLen, HEAD + outLen + errLen);
      buf = buf.subarray(HEAD + outLen + errLen);
      const p = this.#pending.get(id);
      if (!p) continue;
      this.#pending.delete(id);
      if (kind === 0 && code === 0) p.resolve({ stdout, stderr });
      else p.reject(failure(p.file, p.args, kind, code, stdout, stderr));
    }
    this.#buffered = Buffer.from(buf);
    if (this.#pending.size === 0) this.#ref(false);
  }
}

/** execFile's error for the same outcome. */
function failure(file: string, args: string[], kind: number, code: number, stdout: string, stderr: string): CommandFailure {
  const cmd = [file, ...args].join(' ');
  if (kind === 2) {
    const name = code === 2 ? 'ENOENT' : code === 13 ? 'EACCES' : `E${code}`;
    return Object.assign(new Error(`spawn ${file} ${name}`), { code: name, errno: -code, syscall: `spawn ${file}`, path: file, spawnargs: args, cmd, stdout, stderr });
  }
  const signal = kind === 1 ? (signalName(code) ?? null) : null;
  return Object.assign(new Error(`Command failed: ${cmd}\n${stderr}`), { code: kind === 0 ? code : null, signal, cmd, stdout, stderr }) as CommandFailure;
}

function signalName(n: number): NodeJS.Signals | undefined {
  return (Object.entries(constants.signals) as Array<[NodeJS.Signals, number]>).find(([, v]) => v === n)?.[0];
}

let shared: Spawner | undefined | null;

export function spawnerBinary(): string | undefined {
  for (const rel of ['../native/build/berth-spawner', '../../native/build/berth-spawner']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return undefined;
}

function sharedSpawner(): Spawner | null {
  if (shared === undefined) {
    const bin = process.env.BERTH_NO_SPAWNER ? undefined : spawnerBinary();
    shared = bin ? new Spawner(bin) : null;
  }
  return shared;
}

/** execFile(file, args, {cwd}) as a promise, through the process's spawner (execFile itself without one). */
export function runCommand(file: string, args: string[], o: { cwd?: string } = {}): Promise<CommandOutput> {
  const spawner = sharedSpawner();
  if (!spawner) return execFileP(file, args, { encoding: 'utf8', ...(o.cwd ? { cwd: o.cwd } : {}) });
  return spawner.run(file, args, o);
}

/**
 * `mount -t type -o data source target` (relative paths in data resolved in cwd): mount(2) itself in
 * a fork of the spawner (its builtin), not an exec of mount(8) — util-linux's start, its libraries
 * and its read of the mount table were ~1.7 ms of CPU per container's rootfs. Fails as the command
 * does: a CommandFailure whose stderr says why.
 */
export function mountFs(type: string, source: string, target: string, data: string, o: { cwd?: string } = {}): Promise<CommandOutput> {
  const spawner = sharedSpawner();
  if (!spawner) return runCommand('mount', ['-t', type, '-o', data, source, target], o);
  return spawner.run('', ['mount', type, source, target, data], o);
}

/** `umount target` (`umount -l` with detach), as mountFs: umount2(2) in a fork of the spawner. */
export function unmountFs(target: string, o: { detach?: boolean } = {}): Promise<CommandOutput> {
  const spawner = sharedSpawner();
  if (!spawner) return runCommand('umount', [...(o.detach ? ['-l'] : []), target]);
  return spawner.run('', ['umount', target, ...(o.detach ? ['detach'] : [])]);
}

/**
 * `berth-netns args…` (engine/network/netns-helper.ts) as the spawner's builtin `netns`: the same
 * code in a fork of the spawner, without the program's exec (~0.5 ms of CPU each, four per
 * container). `program` runs it when there is no spawner. Fails as the program does.
 */
export function runNetns(program: () => string, args: string[]): Promise<CommandOutput> {
  const spawner = sharedSpawner();
  if (!spawner) return runCommand(program(), args);
  return spawner.run('', ['netns', ...args]);
}
