// A private Docker engine for the benchmarks: Debian's dockerd with its own data root, exec root,
// socket and containerd; no bridge and no iptables rules (nothing on the host's network changes),
// unless `bridge` — then its default bridge network and iptables, for a bench that runs in a
// network namespace of its own (lib.ts insidePrivateNetns).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { rssKiB } from './lib.ts';

const run = promisify(execFile);

export interface Dockerd {
  socket: string;
  pid: number;
  /** docker CLI against this engine. */
  docker(args: string[]): Promise<string>;
  /** Resident memory of dockerd and its containerd, in KiB. */
  rssKiB(): number;
  stop(): Promise<void>;
}

function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export async function startDockerd(o: { insecureRegistries?: string[]; bridge?: boolean } = {}): Promise<Dockerd> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-dockerd-'));
  const socket = join(dir, 'docker.sock');
  const proc: ChildProcess = spawn(
    'dockerd',
    [
      ...(o.bridge ? ['--ip6tables=false'] : ['--bridge=none', '--iptables=false', '--ip6tables=false']), `--data-root=${join(dir, 'data')}`, `--exec-root=${join(dir, 'exec')}`,
      `--pidfile=${join(dir, 'docker.pid')}`, '-H', `unix://${socket}`, ...(o.insecureRegistries ?? []).map((r) => `--insecure-registry=${r}`),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  proc.stderr!.on('data', (d) => (log = (log + d).slice(-4000)));
  const docker = async (args: string[]) => (await run('docker', ['-H', `unix://${socket}`, ...args], { maxBuffer: 1 << 26 })).stdout;
  for (let i = 0; ; i++) {
    try {
      await docker(['version', '--format', '{{.Server.Version}}']);
      break;
    } catch {
      if (i > 200 || proc.exitCode !== null) throw new Error(`dockerd did not start: ${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    socket,
    pid: proc.pid!,
    docker,
    rssKiB: () => rssKiB(proc.pid!) + children(proc.pid!).reduce((n, c) => n + rssKiB(c), 0),
    async stop() {
      proc.kill('SIGTERM');
      if (proc.exitCode === null) await new Promise((r) => proc.once('exit', r));
      await run('sh', ['-c', `grep ' ${dir}' /proc/self/mountinfo | cut -d' ' -f5 | sort -r | xargs -r -n1 umount -l`]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
