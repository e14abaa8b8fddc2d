// RuncRuntime: the Runtime interface over the `runc` binary, each container started and watched by
// berth's monitor (native/monitor.c, see monitored-runtime.ts): `runc create` + `runc start` under
// a subreaper that keeps the logs and records the exit.
//
// State, under stateDir:  runc/ (runc's own --root) · containers/<id>/ and removed/ (monitored-runtime.ts).
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, UnavailableError } from '../../specs/errdefs.ts';
import type { OciLimits } from '../bundle.ts';
import { commandErrorText } from '../command-error.ts';
import { memoryRefused } from './cgroup-update.ts';
import type { ResolvedUser } from '../container-config.ts';
import { MonitoredRuntime, run, type LiveStatus, type Meta } from './monitored-runtime.ts';
import { launcherExec } from './native-runtime.ts';
import type { ExecOptions } from './runtime.ts';

export { monitorPath, signalName } from './monitored-runtime.ts';

export interface RuncRuntimeOptions {
  /** Where this runtime keeps its state (e.g. <data root>/runtime). */
  stateDir: string;
  /** The runc binary (default: runc on PATH). */
  runc?: string;
  /** Log size at which it is rotated (bytes; default 10 MiB). */
  logMaxBytes?: number;
  /** Log files kept, the current one included (default 2: one rotated file). */
  logMaxFiles?: number;
}

export class RuncRuntime extends MonitoredRuntime {
  readonly name = 'runc';
  readonly #runcRoot: string;
  readonly #runc: string;

  constructor(o: RuncRuntimeOptions) {
    super(o);
    this.#runcRoot = join(o.stateDir, 'runc');
    this.#runc = o.runc ?? 'runc';
  }

  async #runcPath(): Promise<string> {
    if (this.#runc.includes('/')) return this.#runc;
    for (const d of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
      if (existsSync(join(d, this.#runc))) return join(d, this.#runc);
    }
    for (const d of ['/usr/sbin', '/usr/bin', '/sbin']) if (existsSync(join(d, this.#runc))) return join(d, this.#runc);
    throw new UnavailableError(`${this.#runc} is not installed (apt-get install runc)`);
  }

  async #runcRun(...args: string[]): Promise<string> {
    return (await run(await this.#runcPath(), ['--root', this.#runcRoot, ...args])).stdout;
  }

  protected async runtimeArgs(): Promise<string[]> {
    await mkdir(this.#runcRoot, { recursive: true, mode: 0o700 });
    return ['--runc', await this.#runcPath(), '--runc-root', this.#runcRoot];
  }

  static #live(status: string | undefined): LiveStatus {
    if (status === 'paused') return 'paused';
    return status === 'running' || status === 'created' ? 'running' : undefined;
  }

  protected async liveStatus(meta: Meta): Promise<LiveStatus> {
    try {
      return RuncRuntime.#live((JSON.parse(await this.#runcRun('state', meta.id)) as { status: string }).status);
    } catch {
      return undefined;
    }
  }

  protected override async liveStatuses(): Promise<Map<string, LiveStatus>> {
    const statuses = new Map<string, LiveStatus>();
    try {
      for (const c of (JSON.parse((await this.#runcRun('list', '--format', 'json')) || 'null') ?? []) as Array<{ id: string; status: string }>) {
        statuses.set(c.id, RuncRuntime.#live(c.status));
      }
    } catch {
      // No runc root yet: nothing runs.
    }
    return statuses;
  }

  protected async signal(meta: Meta, signal: string): Promise<void> {
    await this.#runcRun('kill', meta.id, signal);
  }

  protected async freeze(meta: Meta): Promise<void> {
    await this.#runcRun('pause', meta.id);
  }

  protected async thaw(meta: Meta): Promise<void> {
    await this.#runcRun('resume', meta.id);
  }

  protected async execCommand(meta: Meta, o: ExecOptions, user: ResolvedUser | undefined, tty = false): Promise<[string, string[], { detached: boolean }]> {
    // runc 1.1 joins the user namespace first, and from there cannot join a network namespace the
    // host's user namespace owns (the network manager's): `runc exec` into a container with
    // hostUsers: false fails with EPERM. berth's launcher joins them in an order that works, from the
    // same config.json (namespaces, cgroup, user, capabilities, seccomp).
    if (await joinsForeignNetns(meta.bundle)) return [...launcherExec(meta, o, user, tty), { detached: false }];
    // On a terminal, runc sends the pty's master to the console socket only when detached (else it
    // relays the terminal itself, on its own): the process is then berth-exectty's, a subreaper.
    const args = ['--root', this.#runcRoot, 'exec', ...(tty ? ['--detach', '--tty', '--console-socket', '@CONSOLE@', '--pid-file', '@PIDFILE@'] : [])];
    for (const e of o.env ?? []) args.push('--env', e);
    if (o.cwd) args.push('--cwd', o.cwd);
    if (user) args.push('--user', `${user.uid}:${user.gid}`, ...user.additionalGids.flatMap((g) => ['--additional-gids', String(g)]));
    return [await this.#runcPath(), [...args, meta.id, ...o.args], { detached: tty }];
  }

  /** `runc update --resources FILE`: runc writes the cgroup and keeps its own record of the limits. */
  protected async updateLimits(meta: Meta, limits: OciLimits): Promise<void> {
    const file = join(this.paths(meta.id).dir, 'update.json');
    await writeFile(file, JSON.stringify(limits));
    try {
      await this.#runcRun('update', '--resources', file, meta.id);
    } catch (err) {
      const text = commandErrorText(err);
      const refused = /unable to set memory limit to (\d+) \(current usage/.exec(text);
      if (refused) throw memoryRefused(Number(refused[1]));
      throw new InvalidArgumentError(`update ${meta.id}: ${text}`);
    } finally {
      await rm(file, { force: true });
    }
  }

  protected async remove(meta: Meta): Promise<void> {
    await this.#runcRun('delete', '--force', meta.id).catch(() => undefined);
  }
}

/** Whether the bundle's container has a user namespace of its own and joins a network namespace by path. */
async function joinsForeignNetns(bundle: string): Promise<boolean> {
  const config = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8').catch(() => '{}')) as { linux?: { namespaces?: Array<{ type: string; path?: string }> } };
  const ns = config.linux?.namespaces ?? [];
  return ns.some((n) => n.type === 'user' && !n.path) && ns.some((n) => n.type === 'network' && !!n.path);
}
