// RuncRuntime: the Runtime interface over the `runc` binary, each container started and watched by
// berth's monitor (native/monitor.c): `runc create` + `runc start` under a subreaper that keeps the
// logs and records the exit, so containers outlive the daemon and are re-adopted from disk.
//
// State, under stateDir:  runc/ (runc's own --root) · containers/<id>/{meta.json, pid, log.json,
// exit.json, runtime.log}. A container is known when meta.json exists; it has ended when exit.json does.
import { execFile, spawn } from 'node:child_process';
import { existsSync, watch } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile, lstat } from 'node:fs/promises';
import { constants } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, UnavailableError } from '../../specs/errdefs.ts';
import { resolveUser } from '../container-config.ts';
import { readCgroupStats } from './cgroup-stats.ts';
import { readJsonLog } from './json-log.ts';
import type { ContainerState, ExecOptions, ExecResult, ExitInfo, LogEntry, LogOptions, RunOptions, Runtime, Stats } from './runtime.ts';

const run = promisify(execFile);
const ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

/** The monitor binary: native/build/berth-monitor of this checkout (from the sources or from dist/). */
export function monitorPath(): string {
  for (const rel of ['../../native/build/berth-monitor', '../../../native/build/berth-monitor']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new UnavailableError('native/build/berth-monitor is missing: run `npm run build` (it needs make and a C compiler)');
}

export interface RuncRuntimeOptions {
  /** Where this runtime keeps its state (e.g. <data root>/runtime). */
  stateDir: string;
  /** The runc binary (default: runc on PATH). */
  runc?: string;
  /** Log size at which it is rotated (bytes; default 10 MiB). */
  logMaxBytes?: number;
}

interface Meta {
  id: string;
  bundle: string;
  createdAt: string;
  startedAt?: string;
  pid?: number;
  /** The monitor process: while it lives, an exit without exit.json is still being recorded. */
  monitorPid?: number;
  /** cgroupsPath of the bundle's config: where stats and OOM kills are read. */
  cgroup?: string;
}

export class RuncRuntime implements Runtime {
  readonly name = 'runc';
  readonly #dir: string;
  readonly #runcRoot: string;
  readonly #runc: string;
  readonly #logMax: number;

  constructor(o: RuncRuntimeOptions) {
    this.#dir = join(o.stateDir, 'containers');
    this.#runcRoot = join(o.stateDir, 'runc');
    this.#runc = o.runc ?? 'runc';
    this.#logMax = o.logMaxBytes ?? 10 * 1024 * 1024;
  }

  #paths(id: string) {
    const d = join(this.#dir, id);
    return { dir: d, meta: join(d, 'meta.json'), pid: join(d, 'pid'), log: join(d, 'log.json'), exit: join(d, 'exit.json'), runtimeLog: join(d, 'runtime.log') };
  }

  #runcArgs(...args: string[]): string[] {
    return ['--root', this.#runcRoot, ...args];
  }

  async #runcPath(): Promise<string> {
    if (this.#runc.includes('/')) return this.#runc;
    for (const d of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
      if (existsSync(join(d, this.#runc))) return join(d, this.#runc);
    }
    for (const d of ['/usr/sbin', '/usr/bin', '/sbin']) if (existsSync(join(d, this.#runc))) return join(d, this.#runc);
    throw new UnavailableError(`${this.#runc} is not installed (apt-get install runc)`);
  }

  async run(o: RunOptions): Promise<ContainerState> {
    if (!ID.test(o.id)) throw new InvalidArgumentError(`container id "${o.id}" must match [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 128 characters)`);
    const p = this.#paths(o.id);
    const config = JSON.parse(await readFile(join(o.bundle, 'config.json'), 'utf8').catch((err) => {
      throw new InvalidArgumentError(`bundle ${o.bundle}: cannot read config.json: ${(err as Error).message}`);
    })) as { linux?: { cgroupsPath?: string } };
    await mkdir(this.#dir, { recursive: true });
    await mkdir(this.#runcRoot, { recursive: true, mode: 0o700 });
    try {
      await mkdir(p.dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new FailedPreconditionError(`container ${o.id} already exists in the runtime; delete it first`);
      throw err;
    }
    const meta: Meta = { id: o.id, bundle: o.bundle, createdAt: new Date().toISOString(), ...(config.linux?.cgroupsPath ? { cgroup: config.linux.cgroupsPath } : {}) };
    await writeFile(p.meta, JSON.stringify(meta));
    const args = [
      '--id', o.id, '--bundle', o.bundle, '--runc', await this.#runcPath(), '--runc-root', this.#runcRoot,
      '--log', p.log, '--exit-file', p.exit, '--pid-file', p.pid, '--runtime-log', p.runtimeLog,
      '--log-max-size', String(this.#logMax), ...(meta.cgroup ? ['--cgroup', meta.cgroup.replace(/^\/+/, '')] : []),
    ];
    try {
      const { stdout } = await run(monitorPath(), args);
      const [pid, monitorPid] = stdout.trim().split(' ').map(Number);
      meta.pid = pid!;
      meta.monitorPid = monitorPid!;
      meta.startedAt = new Date().toISOString();
      await writeFile(p.meta, JSON.stringify(meta));
    } catch (err) {
      // Nothing is left behind by a start that failed: the runtime's record and our directory go.
      await run(await this.#runcPath(), this.#runcArgs('delete', '--force', o.id)).catch(() => undefined);
      await rm(p.dir, { recursive: true, force: true });
      const msg = ((err as { stderr?: string }).stderr || (err as Error).message).trim();
      throw new InvalidArgumentError(`container ${o.id}: ${msg}`);
    }
    return this.state(o.id);
  }

  async #meta(id: string): Promise<Meta> {
    if (!ID.test(id)) throw new NotFoundError(`container "${id}" not found in the runtime`);
    try {
      return JSON.parse(await readFile(this.#paths(id).meta, 'utf8')) as Meta;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`container ${id} not found in the runtime`);
      throw err;
    }
  }

  async #exit(id: string): Promise<ExitInfo | undefined> {
    try {
      return JSON.parse(await readFile(this.#paths(id).exit, 'utf8')) as ExitInfo;
    } catch {
      return undefined;
    }
  }

  async #runcStatus(id: string): Promise<string | undefined> {
    try {
      const { stdout } = await run(await this.#runcPath(), this.#runcArgs('state', id));
      return (JSON.parse(stdout) as { status: string }).status;
    } catch {
      return undefined;
    }
  }

  async state(id: string): Promise<ContainerState> {
    const meta = await this.#meta(id);
    return this.#stateOf(meta);
  }

  /**
   * The state from files only while the monitor lives (exit file, the monitor's /proc entry, the
   * freezer), so that listing and waiting never spawn runc; runc is asked only about a container
   * whose monitor is gone without recording an exit.
   */
  async #stateOf(meta: Meta): Promise<ContainerState> {
    const exit = await this.#exit(meta.id);
    const base = { id: meta.id, bundle: meta.bundle, createdAt: meta.createdAt, ...(meta.startedAt ? { startedAt: meta.startedAt } : {}) };
    if (exit) return { ...base, status: 'stopped', pid: 0, exit };
    if (!meta.pid) return { ...base, status: 'created', pid: 0 };
    if (meta.monitorPid && (await isMonitor(meta.monitorPid))) {
      return { ...base, status: meta.cgroup && (await isFrozen(meta.cgroup)) ? 'paused' : 'running', pid: meta.pid };
    }
    const status = await this.#runcStatus(meta.id);
    if (status === 'paused') return { ...base, status: 'paused', pid: meta.pid };
    if (status === 'running' || status === 'created') return { ...base, status: 'running', pid: meta.pid };
    // The exit file may have landed since we looked.
    const late = await this.#exit(meta.id);
    if (late) return { ...base, status: 'stopped', pid: 0, exit: late };
    // Gone from runc and no exit recorded: the monitor died with it (e.g. the host rebooted).
    return { ...base, status: 'stopped', pid: 0, exit: { exitCode: 255, oomKilled: false, finishedAt: new Date().toISOString() } };
  }

  async list(): Promise<ContainerState[]> {
    const ids = await readdir(this.#dir).catch(() => [] as string[]);
    const out: ContainerState[] = [];
    for (const id of ids) {
      const meta = await this.#meta(id).catch(() => undefined);
      if (meta) out.push(await this.#stateOf(meta));
    }
    return out;
  }

  async kill(id: string, signal: string): Promise<void> {
    const s = await this.state(id);
    if (s.status === 'stopped') throw new FailedPreconditionError(`container ${id} is not running`);
    try {
      await run(await this.#runcPath(), this.#runcArgs('kill', id, signal));
    } catch (err) {
      if (await this.#exit(id)) return; // it ended meanwhile
      throw new InvalidArgumentError(`kill ${id} ${signal}: ${((err as { stderr?: string }).stderr ?? '').trim() || (err as Error).message}`);
    }
  }

  async stop(id: string, opts: { signal?: string; timeoutSeconds?: number } = {}): Promise<ExitInfo> {
    const s = await this.state(id);
    if (s.exit) return s.exit;
    if (s.status === 'paused') await this.resume(id).catch(() => undefined);
    await this.kill(id, opts.signal ?? 'SIGTERM').catch(() => undefined);
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), (opts.timeoutSeconds ?? 10) * 1000);
    try {
      return await this.wait(id, ac.signal);
    } catch {
      await this.kill(id, 'SIGKILL').catch(() => undefined);
      return this.wait(id);
    } finally {
      clearTimeout(timer);
    }
  }

  async pause(id: string): Promise<void> {
    const s = await this.state(id);
    if (s.status !== 'running') throw new FailedPreconditionError(`container ${id} is ${s.status}, not running`);
    await run(await this.#runcPath(), this.#runcArgs('pause', id));
  }

  async resume(id: string): Promise<void> {
    const s = await this.state(id);
    if (s.status !== 'paused') throw new FailedPreconditionError(`container ${id} is ${s.status}, not paused`);
    await run(await this.#runcPath(), this.#runcArgs('resume', id));
  }

  async exec(id: string, o: ExecOptions): Promise<ExecResult> {
    const meta = await this.#meta(id);
    const s = await this.#stateOf(meta);
    if (s.status !== 'running') throw new FailedPreconditionError(`container ${id} is ${s.status}; exec needs it running`);
    const args = ['exec'];
    for (const e of o.env ?? []) args.push('--env', e);
    if (o.cwd) args.push('--cwd', o.cwd);
    if (o.user) {
      const rootfs = await rootfsOf(meta.bundle);
      const passwd = await readInside(rootfs, 'etc/passwd');
      const group = await readInside(rootfs, 'etc/group');
      const u = resolveUser(o.user, passwd, group);
      args.push('--user', `${u.uid}:${u.gid}`, ...u.additionalGids.flatMap((g) => ['--additional-gids', String(g)]));
    }
    args.push(id, ...o.args);
    const child = spawn(await this.#runcPath(), this.#runcArgs(...args), { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    let timedOut = false;
    const timer = o.timeoutMs ? setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), o.timeoutMs) : undefined;
    const [code, sig] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c, s) => resolve([c, s]));
    });
    if (timer) clearTimeout(timer);
    if (timedOut) return { exitCode: 137, signal: 'SIGKILL', stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
    const exitCode = code ?? 128 + (sig ? constants.signals[sig] : 0);
    return { exitCode, ...(exitCode > 128 && exitCode < 160 ? { signal: signalName(exitCode - 128) } : {}), stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
  }

  async stats(id: string): Promise<Stats> {
    const meta = await this.#meta(id);
    if (!meta.cgroup) throw new FailedPreconditionError(`container ${id} has no cgroupsPath in its config; its stats cannot be read`);
    return readCgroupStats(meta.cgroup);
  }

  async wait(id: string, signal?: AbortSignal): Promise<ExitInfo> {
    const p = this.#paths(id);
    let meta = await this.#meta(id);
    for (;;) {
      const exit = await this.#exit(id);
      if (exit) return exit;
      // Only when its monitor is gone without an exit file does the state need asking (a spawn of
      // runc); while the monitor lives, the exit file will come. Every container has a waiter, so
      // this loop must cost nothing while it waits.
      if (!meta.monitorPid || !(await isMonitor(meta.monitorPid))) {
        meta = await this.#meta(id);
        const s = await this.#stateOf(meta);
        if (s.exit) return s.exit;
      }
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      // The monitor renames exit.json into the directory: the watch wakes us at once; the timeout
      // only covers a watch that misses it (and a monitor that dies).
      await new Promise<void>((resolve) => {
        let w: ReturnType<typeof watch> | undefined;
        const done = () => {
          clearTimeout(t);
          w?.close();
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const t = setTimeout(done, 5000);
        try {
          w = watch(p.dir, (_e, f) => f === 'exit.json' && done());
          w.on('error', done);
        } catch {
          // The directory went away: the next round reports it.
        }
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }

  async *logs(id: string, opts: LogOptions = {}): AsyncIterable<LogEntry> {
    await this.#meta(id);
    const p = this.#paths(id);
    yield* readJsonLog(p.log, { ...opts, done: async () => existsSync(p.exit) });
  }

  async delete(id: string, opts: { force?: boolean } = {}): Promise<void> {
    let meta: Meta;
    try {
      meta = await this.#meta(id);
    } catch (err) {
      if (err instanceof NotFoundError && opts.force) return;
      throw err;
    }
    const s = await this.#stateOf(meta);
    if (s.status !== 'stopped' && s.status !== 'created') {
      if (!opts.force) throw new FailedPreconditionError(`container ${id} is ${s.status}; stop it first or delete with force`);
      if (s.status === 'paused') await run(await this.#runcPath(), this.#runcArgs('resume', id)).catch(() => undefined);
      await run(await this.#runcPath(), this.#runcArgs('kill', id, 'SIGKILL')).catch(() => undefined);
      const ac = new AbortController();
      const t = setTimeout(() => ac.abort(), 10_000);
      await this.wait(id, ac.signal).catch(() => undefined);
      clearTimeout(t);
    }
    await run(await this.#runcPath(), this.#runcArgs('delete', '--force', id)).catch(() => undefined);
    await rm(this.#paths(id).dir, { recursive: true, force: true });
  }
}

/** The name of signal number n ("SIGKILL" for 9). */
export function signalName(n: number): string {
  for (const [name, v] of Object.entries(constants.signals)) if (v === n) return name;
  return `SIG${n}`;
}

/** Whether the cgroup's freezer holds it (v1 freezer.state FROZEN, v2 cgroup.freeze 1). */
async function isFrozen(cgroup: string): Promise<boolean> {
  const rel = cgroup.replace(/^\/+/, '');
  const v1 = await readFile(join('/sys/fs/cgroup/freezer', rel, 'freezer.state'), 'utf8').catch(() => undefined);
  if (v1 !== undefined) return v1.trim() !== 'THAWED';
  const v2 = await readFile(join('/sys/fs/cgroup', rel, 'cgroup.freeze'), 'utf8').catch(() => undefined);
  return v2?.trim() === '1';
}

async function isMonitor(pid: number): Promise<boolean> {
  const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmd.split('\0')[0]?.endsWith('berth-monitor') ?? false;
}

async function rootfsOf(bundle: string): Promise<string> {
  const config = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8')) as { root?: { path?: string } };
  const p = config.root?.path ?? 'rootfs';
  return isAbsolute(p) ? p : join(bundle, p);
}

/** A file of the rootfs, read only when it is a regular file reached without symlinks. */
async function readInside(rootfs: string, rel: string): Promise<string> {
  let cur = rootfs;
  for (const part of rel.split('/')) {
    cur = join(cur, part);
    const st = await lstat(cur).catch(() => undefined);
    if (!st || st.isSymbolicLink()) return '';
  }
  return readFile(cur, 'utf8').catch(() => '');
}
