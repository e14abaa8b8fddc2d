// Network tests run inside a network namespace the test makes itself, so the host's interfaces,
// routes and iptables are never touched: a test file calls `insidePrivateNetns(import.meta.url)`;
// run normally, it creates `berth-test-<random>`, re-runs itself under `ip netns exec` (with
// BERTH_TEST_NETNS set) and reports that run's result; inside, it returns true and the file
// defines its real tests. Containers are real: runc under berth's monitor (RuncRuntime), a
// busybox rootfs, bundles written by the engine's bundle writer joining attach()'s namespace.
// Each inner run has a mount namespace of its own too, so its netns mounts never reach the host's.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ociConfig } from '../../../engine/bundle.ts';
import type { NetworkAttachment } from '../../../engine/network/network-manager.ts';
import { RuncRuntime } from '../../../engine/runtime/runc-runtime.ts';
import type { Runtime } from '../../../engine/runtime/runtime.ts';
import { makeBusyboxRootfs } from '../../fixtures/rootfs.ts';
import { removeCgroupParent } from '../runtime/conformance.ts';

const ENV = 'BERTH_TEST_NETNS';

/** True inside the private namespace; otherwise registers the test that runs this file there. */
export function insidePrivateNetns(fileUrl: string, o: { timeout?: number } = {}): boolean {
  if (process.env[ENV]) return true;
  const file = fileURLToPath(fileUrl);
  const ns = `berth-test-${randomBytes(4).toString('hex')}`;
  test(`${basename(file)} in a private network namespace`, { timeout: o.timeout ?? 600_000 }, async () => {
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
      const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
        // nsenter, not `ip netns exec`: that remounts /sys, hiding the cgroup mounts runc needs. A
        // mount namespace of its own (slave) takes any mount the run leaves behind away with it.
        const child = spawn('nsenter', [`--net=/run/netns/${ns}`, 'unshare', '--mount', '--propagation', 'slave', process.execPath, '--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', file], {
          // Without NODE_TEST_CONTEXT: the inner run is a test run of its own, not a nested file.
          env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')), [ENV]: ns },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
        child.on('error', reject);
        child.on('close', (c) => resolve({ code: c, output }));
      });
      // The inner run's report, so a failure shows which check failed and why.
      for (const line of output.trimEnd().split('\n')) console.log(`  ${line}`);
      // The inner run's own summary of its failures, in the message too: a CI log that keeps only
      // the end of a long run still shows which check failed inside and why.
      const failures = output.slice(output.lastIndexOf('✖ failing tests:')).slice(0, 4000);
      assert.equal(code, 0, `the tests inside network namespace ${ns} failed (output above)${output.includes('✖ failing tests:') ? `:\n${failures}` : ''}`);
      const passed = Number(/^ℹ pass (\d+)$/m.exec(output)?.[1] ?? 0);
      assert.ok(passed > 0, `no test ran inside network namespace ${ns}`);
    } finally {
      execFileSync('ip', ['netns', 'delete', ns]);
    }
  });
  return false;
}

/** A port nothing listens on in this namespace (the namespace is ours alone). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8' });
}

/** GET http://host:port/path: the body of a 200 answer, undefined for anything else (not listening yet...). */
export function httpGet(host: string, port: number, path = '/'): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve(res.statusCode === 200 ? body : undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** Polls `fn` until it resolves (the container may still be starting); the last error otherwise. */
export async function eventually<T>(fn: () => Promise<T>, what: string, tries = 100): Promise<T> {
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      return await fn();
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${what}: still failing after ${tries} tries: ${String(last)}`);
}

export interface Containers {
  rt: Runtime;
  root: string;
  /** Runs `args` in a new container joining `net`'s namespace; returns its id. */
  run(id: string, net: NetworkAttachment, args: string[], hostname: string): Promise<string>;
  remove(id: string): Promise<void>;
  /** Deletes the containers left, their cgroups, and the directory (unmounting what is mounted in it). */
  cleanup(): Promise<void>;
}

/** runc containers on a shared busybox rootfs (+ a static udp-echo), cleaned up after the file. */
export function containers(): Containers {
  const tag = randomBytes(3).toString('hex');
  const root = mkdtempSync(join(tmpdir(), 'berth-net-'));
  const rootfs = makeBusyboxRootfs(join(root, 'rootfs'));
  execFileSync('cc', ['-static', '-O2', '-o', join(rootfs, 'bin', 'udp-echo'), fileURLToPath(new URL('fixtures/udp-echo.c', import.meta.url))]);
  const cgroupParent = `berth-nettest-${tag}`;
  const rt = new RuncRuntime({ stateDir: join(root, 'runtime') });
  const ids = new Set<string>();
  return {
    async cleanup() {
      for (const id of ids) await rt.delete(id, { force: true }).catch(() => undefined);
      removeCgroupParent(cgroupParent);
      unmountUnder(root);
      rmSync(root, { recursive: true, force: true });
    },
    rt,
    root,
    async run(id, net, args, hostname) {
      const bundle = join(root, 'bundles', id);
      mkdirSync(bundle, { recursive: true });
      const config = ociConfig({
        run: {
          args,
          env: ['PATH=/bin', `HOSTNAME=${hostname}`],
          cwd: '/',
          user: '',
          hostname,
          stopSignal: 'SIGTERM',
          readonlyRootfs: true,
          mounts: [{ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] }],
          resources: {},
        },
        user: { uid: 0, gid: 0, additionalGids: [] },
        rootfs,
        ...(net.netnsPath ? { netnsPath: net.netnsPath } : {}),
        etcFiles: { hosts: net.hostsFile, resolvConf: net.resolvConfFile },
        annotations: { 'dev.berth.test': 'network' },
        cgroupsPath: `/${cgroupParent}/${id}`,
      });
      writeFileSync(join(bundle, 'config.json'), JSON.stringify(config, null, 2));
      ids.add(id);
      await rt.run({ id, bundle });
      return id;
    },
    async remove(id) {
      await rt.delete(id, { force: true });
      ids.delete(id);
    },
  };
}

/** After a file: its containers removed and detached, the manager closed, the directory gone. */
export async function removeAll(c: Containers, nets: { detach(id: string): Promise<void>; close(): void }, ids: string[]): Promise<void> {
  for (const i of ids) {
    await c.remove(i).catch(() => undefined);
    await nets.detach(i).catch(() => undefined);
  }
  nets.close();
  await c.cleanup();
}

/** Unmounts every mount point under `dir`, deepest first. */
export function unmountUnder(dir: string): void {
  const points = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((p): p is string => !!p && (p === dir || p.startsWith(dir + '/')));
  for (const p of points.sort((a, b) => b.length - a.length)) {
    try {
      execFileSync('umount', ['--lazy', p], { stdio: 'ignore' });
    } catch {
      // already gone with its parent
    }
  }
}

/** A busybox web server answering "hello from NAME" on port 80. */
export function httpd(name: string): string[] {
  return ['sh', '-c', `mkdir -p /tmp/www && echo "hello from ${name}" > /tmp/www/index.html && exec httpd -f -p 80 -h /tmp/www`];
}

/** Everything of the host side that could leak: veths, addresses, iptables rules naming `needles`. */
export function hostNetworkState(): { links: string[]; addresses: string[]; iptables: string } {
  const links = sh('ip', ['-o', 'link', 'show']).split('\n').filter(Boolean).map((l) => l.split(':')[1]!.trim().split('@')[0]!);
  const addresses = sh('ip', ['-o', '-4', 'addr', 'show']).split('\n').filter(Boolean).map((l) => l.split(/\s+/)[3]!);
  return { links, addresses, iptables: sh('iptables-save', []) };
}
