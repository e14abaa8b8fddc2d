// `npm run bench -- network [rounds]`: start-to-ready of a container with a published port.
//   berth:  NetworkManager.attach (netns with lo up, berth's bridge and port mapping) + runc start under
//           berth's monitor + the first HTTP 200 from busybox httpd through 127.0.0.1:<hostPort>.
//   docker: `docker run -d -p <hostPort>:80` + the first HTTP 200 through 127.0.0.1:<hostPort>.
// Both run inside one private network namespace made for the bench (dockerd with its own bridge
// and iptables there, its own containerd, data and exec roots), on the same busybox rootfs,
// interleaved. Removal is not timed. "Ready" is an HTTP answer rather than a TCP connect because
// docker-proxy accepts connections before the container listens.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ociConfig } from '../engine/bundle.ts';
import { NetworkManager } from '../engine/network/network-manager.ts';
import { RuncRuntime } from '../engine/runtime/runc-runtime.ts';
import { makeBusyboxRootfs } from '../test/fixtures/rootfs.ts';
import { removeCgroupParent } from '../test/engine/runtime/conformance.ts';
import { httpGet, unmountUnder } from '../test/engine/network/harness.ts';
import { performance } from 'node:perf_hooks';
import { insidePrivateNetns, median, report } from './lib.ts';

const HTTPD = ['sh', '-c', 'mkdir -p /tmp/www && echo ready > /tmp/www/index.html && exec httpd -f -p 80 -h /tmp/www'];

async function untilReady(port: number): Promise<void> {
  for (let i = 0; i < 5000; i++) {
    if ((await httpGet('127.0.0.1', port)) !== undefined) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`nothing answered on 127.0.0.1:${port}`);
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not happen within a minute`);
}

function docker(sock: string, args: string[], input?: Buffer): string {
  return execFileSync('docker', ['-H', `unix://${sock}`, ...args], { encoding: 'utf8', ...(input ? { input } : {}), stdio: ['pipe', 'pipe', 'pipe'] });
}

export default async function bench(args: string[]): Promise<void> {
  if (!insidePrivateNetns('network', args)) return;
  const rounds = Number(args[0] ?? 15);
  const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-net-'));
  const tag = randomBytes(3).toString('hex');
  const cgroupParent = `berth-bench-${tag}`;
  const rootfs = makeBusyboxRootfs(join(tmp, 'rootfs'));
  const nets = new NetworkManager({ root: join(tmp, 'networks') });
  const rt = new RuncRuntime({ stateDir: join(tmp, 'runtime') });
  const procs: ChildProcess[] = [];
  const sock = join(tmp, 'docker.sock');
  let port = 20000 + (process.pid % 20000);
  let n = 0;
  const attachMs: number[] = [];
  try {
    // ---- dockerd with its own containerd, bridge and iptables, in this namespace ----
    writeFileSync(join(tmp, 'containerd.toml'), 'version = 2\n');
    const ctdSock = join(tmp, 'containerd.sock');
    procs.push(spawn('containerd', ['--config', join(tmp, 'containerd.toml'), '--address', ctdSock, '--root', join(tmp, 'containerd-root'), '--state', join(tmp, 'containerd-state')], { stdio: 'ignore' }));
    await waitFor('containerd socket', () => existsSync(ctdSock));
    procs.push(
      spawn('dockerd', ['--data-root', join(tmp, 'docker'), '--exec-root', join(tmp, 'docker-exec'), '-H', `unix://${sock}`, '--pidfile', join(tmp, 'docker.pid'), '--containerd', ctdSock, '--bip', '10.231.0.1/24'], { stdio: 'ignore' }),
    );
    await waitFor('dockerd', () => {
      try {
        docker(sock, ['version']);
        return true;
      } catch {
        return false;
      }
    });
    docker(sock, ['import', '-', 'berth-bench/busybox:1'], execFileSync('tar', ['-c', '-C', rootfs, '.'], { maxBuffer: 1 << 30 }));

    const berth = async () => {
      const id = `bench-${tag}-${n++}`;
      const hostPort = port++;
      const t0 = performance.now();
      const att = await nets.attach(id, { network: 'bridge', name: id, ports: [{ containerPort: 80, hostPort, protocol: 'TCP' }] });
      attachMs.push(performance.now() - t0);
      const bundle = join(tmp, 'bundles', id);
      mkdirSync(bundle, { recursive: true });
      const config = ociConfig({
        run: { args: HTTPD, env: ['PATH=/bin'], cwd: '/', user: '', hostname: id, stopSignal: 'SIGTERM', readonlyRootfs: true, mounts: [{ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev'] }], resources: {} },
        user: { uid: 0, gid: 0, additionalGids: [] },
        rootfs,
        netnsPath: att.netnsPath!,
        etcFiles: { hosts: att.hostsFile, resolvConf: att.resolvConfFile },
        annotations: {},
        cgroupsPath: `/${cgroupParent}/${id}`,
      });
      writeFileSync(join(bundle, 'config.json'), JSON.stringify(config));
      await rt.run({ id, bundle });
      await untilReady(hostPort);
      return async () => {
        await rt.delete(id, { force: true });
        await nets.detach(id);
      };
    };
    const dockerRun = async () => {
      const name = `bench-${tag}-${n++}`;
      const hostPort = port++;
      docker(sock, ['run', '-d', '--name', name, '-p', `${hostPort}:80`, 'berth-bench/busybox:1', ...HTTPD]);
      await untilReady(hostPort);
      return async () => void docker(sock, ['rm', '-f', name]);
    };
    // Interleaved as bench/lib's interleave() does, but timing only the start: each removal runs
    // after its sample is taken. Round -1 is the warm-up.
    const contenders: Record<'berth' | 'docker', () => Promise<() => Promise<void>>> = { berth, docker: dockerRun };
    const samples: Record<'berth' | 'docker', number[]> = { berth: [], docker: [] };
    for (let round = -1; round < rounds; round++) {
      for (const name of ['berth', 'docker'] as const) {
        const t0 = performance.now();
        const remove = await contenders[name]();
        const ms = performance.now() - t0;
        await remove();
        if (round >= 0) samples[name].push(ms);
      }
    }
    console.log(`start-to-ready, ${rounds} rounds: berth ${samples.berth!.map((x) => x.toFixed(0)).join(' ')} ms; docker ${samples.docker!.map((x) => x.toFixed(0)).join(' ')} ms (removal included in neither)`);
    console.log(`berth's attach (netns, bridge, port mapping): median ${median(attachMs.slice(1)).toFixed(0)} ms of it`);
    report('network', median(samples.berth!), 'docker', median(samples.docker!), 'ms');
  } finally {
    nets.close();
    for (const p of procs.reverse()) {
      p.kill('SIGTERM');
      await new Promise((r) => (p.exitCode !== null ? r(undefined) : p.once('exit', r)));
    }
    await nets.gc([]);
    removeCgroupParent(cgroupParent);
    unmountUnder(tmp);
    rmSync(tmp, { recursive: true, force: true });
  }
}
