// A private dockerd (Debian's docker.io) for cross-checks and the build benchmark: its own data
// root, exec root, socket and pidfile under a temporary directory, no bridge, no iptables; stopped
// (SIGTERM to the process we started, then its directory removed) by stop().
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface TestDockerd {
  socket: string;
  /** Runs the docker CLI against this daemon. */
  docker(args: string[], opts?: { env?: Record<string, string>; input?: string }): Promise<{ stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

export async function startDockerd(o: { insecureRegistries?: string[] } = {}): Promise<TestDockerd> {
  // A short path: the exec root holds unix sockets (108-byte limit).
  const dir = mkdtempSync(join(tmpdir(), 'bd-'));
  const socket = join(dir, 'd.sock');
  const args = [
    '--bridge=none', '--iptables=false', '--ip6tables=false',
    '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'),
    '-H', `unix://${socket}`, '--pidfile', join(dir, 'd.pid'),
    ...(o.insecureRegistries ?? []).flatMap((r) => ['--insecure-registry', r]),
  ];
  const proc: ChildProcess = spawn('dockerd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr!.on('data', (d) => (log = (log + d).slice(-4000)));
  const docker: TestDockerd['docker'] = async (a, opts = {}) => {
    const child = exec('docker', ['-H', `unix://${socket}`, ...a], { env: { ...process.env, DOCKER_CONFIG: join(dir, 'cli'), ...opts.env }, maxBuffer: 64 << 20 });
    if (opts.input !== undefined) child.child.stdin?.end(opts.input);
    return child;
  };
  for (let i = 0; ; i++) {
    if (existsSync(socket)) {
      try {
        await docker(['version', '--format', '{{.Server.Version}}']);
        break;
      } catch {
        // not serving yet
      }
    }
    if (proc.exitCode !== null || i > 600) {
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`dockerd did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    socket,
    docker,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
      }
      await exec('sh', ['-c', `grep -F ' ${dir}' /proc/self/mounts | cut -d' ' -f2 | sort -r | xargs -r -n1 umount -l`]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
