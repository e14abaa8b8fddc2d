// What a daemon's containers can leave on the host, looked for from outside the daemon: processes
// (monitors and containers), mounts, cgroups, network namespaces, veths and attachment records, and
// the runtime's and the engine's records. For tests that kill the daemon and check that what is
// gone is gone whole; also a daemon process that can be killed with SIGKILL and started again.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from '../../cli/client.ts';
import { cgroupMounts } from '../../engine/runtime/cgroup-teardown.ts';
import { BERTH, until } from '../fixtures/helpers.ts';

export interface Leftovers {
  /** Live processes whose arguments name the data root (berth-monitor, berth-run, runc), the daemon and its monitor server aside. */
  processes: string[];
  /** Mount points under the data root, the network namespaces' own directory aside. */
  mounts: string[];
  /** Container cgroups under the cgroup parent, in any hierarchy. */
  cgroups: string[];
  netns: string[];
  attachments: string[];
  veths: string[];
  runtime: string[];
  containers: string[];
}

const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

/** What is on the host of a daemon on `root` with containers under `cgroupParent`. */
export async function leftovers(root: string, cgroupParent: string, daemonPid?: number): Promise<Leftovers> {
  const processes: string[] = [];
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    if (Number(p) === daemonPid || Number(p) === process.pid) continue;
    const cmd = (() => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8');
      } catch {
        return '';
      }
    })();
    if (cmd.includes(`${root}/`) && !cmd.includes(`${BERTH}\0daemon`) && !monitorServerOf(Number(p), cmd, daemonPid)) processes.push(`${p}: ${cmd.split('\0').join(' ').trim()}`);
  }
  const netnsDir = join(root, 'networks', 'netns');
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m && m.startsWith(`${root}/`) && m !== netnsDir);
  const cgroups = (await cgroupMounts()).flatMap((m) => entries(join(m.path, cgroupParent)).filter((e) => /^[0-9a-f]{64}$/.test(e)).map((e) => join(m.path, cgroupParent, e)));
  const veths = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '')
    .filter((l) => l.startsWith('veth'));
  return {
    processes,
    mounts,
    cgroups,
    netns: entries(netnsDir),
    attachments: entries(join(root, 'networks', 'containers')),
    veths,
    runtime: entries(join(root, 'runtime', 'containers')),
    containers: entries(join(root, 'containers')),
  };
}

/** The daemon's own monitor server (engine/runtime/monitor-server.ts): part of the live daemon, gone with it. */
function monitorServerOf(pid: number, cmd: string, daemonPid: number | undefined): boolean {
  if (!/berth-monitor\0--serve\0/.test(cmd)) return false;
  try {
    return Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) === daemonPid;
  } catch {
    return true; // ended meanwhile
  }
}

/** Every list of `l` empty: nothing is left. */
export function nothingLeft(l: Leftovers): boolean {
  return Object.values(l).every((v: string[]) => v.length === 0);
}

/** `berth daemon` as a process of its own (so that it can be killed with SIGKILL). */
export class DaemonProcess {
  proc: ChildProcess | undefined;
  readonly client: ApiClient;

  constructor(readonly args: { root: string; socket: string; cgroupParent: string; runtime: 'native' | 'runc' }) {
    this.client = new ApiClient(args.socket);
  }

  async start(): Promise<void> {
    const a = this.args;
    const proc = spawn(process.execPath, [BERTH, 'daemon', '--root', a.root, '--socket', a.socket, '--runtime', a.runtime, '--cgroup-parent', a.cgroupParent], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, BERTH_LOG_LEVEL: 'error' },
    });
    this.proc = proc;
    // Its errors, shown when it ends on its own (not those of the requests made while it starts).
    let log = '';
    proc.stderr!.setEncoding('utf8').on('data', (s: string) => (log = (log + s).slice(-8000)));
    proc.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL' && signal !== 'SIGTERM' && code !== 0) process.stderr.write(`berth daemon exited with ${code ?? signal}:\n${log}`);
    });
    // Serving containers: the API is up before the controllers are.
    await until('the daemon serves containers', async () => !!(await this.client.json<{ items: unknown[] }>('GET', '/v1/containers')).items, 60_000);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await exited;
  }
}
