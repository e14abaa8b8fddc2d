// The Runtime conformance suite (as containerd's testsuite): one set of checks run against every
// implementation of engine/runtime/runtime.ts on real containers — a busybox rootfs from Debian's
// busybox-static and bundles written by the engine's own bundle writer.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Runtime } from '../../../engine/runtime/runtime.ts';
import { makeBundle, makeBusyboxRootfs, type BundleSpec } from './bundle.ts';
import type { LogEntry } from '../../../specs/api/containers.ts';

export interface Harness {
  rt: Runtime;
  /** The suite's busybox rootfs (shared, read-only in containers). */
  readonly rootfs: string;
  /** The suite's scratch directory. */
  readonly tmp: string;
  start(s: BundleSpec): Promise<string>;
  logs(id: string): Promise<LogEntry[]>;
  stdout(id: string): Promise<string>;
}

/** Removes the test's cgroup parent from every hierarchy (the runtime removed the children). */
export function removeCgroupParent(parent: string): void {
  const roots = existsSync('/sys/fs/cgroup/memory') ? readdirSync('/sys/fs/cgroup').map((h) => join('/sys/fs/cgroup', h)) : ['/sys/fs/cgroup'];
  for (const r of roots) {
    const dir = join(r, parent);
    if (!existsSync(dir)) continue;
    for (const child of readdirSync(dir, { withFileTypes: true })) if (child.isDirectory()) rmdirSync(join(dir, child.name), { recursive: false } as never);
    try {
      rmdirSync(dir);
    } catch {
      // Still in use by a container another test left running: reported by that test.
    }
  }
}

export function harness(factory: (stateDir: string) => Runtime): Harness & { stateDir: string; bundle(id: string): string; setup(): void; teardown(): Promise<void> } {
  const tag = randomBytes(3).toString('hex');
  const cgroupParent = `berth-test-${tag}`;
  let tmp = '';
  let rootfs = '';
  let n = 0;
  const ids: string[] = [];
  const h = {
    rt: undefined as unknown as Runtime,
    /** The runtime's state directory (containers/<id>/ under it). */
    get stateDir() {
      return join(tmp, 'state');
    },
    /** The bundle directory of a container started by start(). */
    bundle: (id: string) => join(tmp, 'bundles', id),
    get rootfs() {
      return rootfs;
    },
    get tmp() {
      return tmp;
    },
    setup() {
      tmp = mkdtempSync(join(tmpdir(), 'berth-rt-'));
      rootfs = makeBusyboxRootfs(join(tmp, 'rootfs'));
      h.rt = factory(join(tmp, 'state'));
    },
    async teardown() {
      for (const id of ids) await h.rt.delete(id, { force: true }).catch(() => undefined);
      h.rt.close?.();
      removeCgroupParent(cgroupParent);
      rmSync(tmp, { recursive: true, force: true });
    },
    async start(s: BundleSpec): Promise<string> {
      const id = `t${tag}-${n++}`;
      const bundle = makeBundle(h.bundle(id), rootfs, cgroupParent, id, s);
      ids.push(id);
      await h.rt.run({ id, bundle });
      return id;
    },
    async logs(id: string): Promise<LogEntry[]> {
      const out: LogEntry[] = [];
      for await (const e of h.rt.logs(id)) out.push(e);
      return out;
    },
    async stdout(id: string): Promise<string> {
      await h.rt.wait(id);
      return (await h.logs(id)).filter((e) => e.stream === 'stdout').map((e) => e.log).join('');
    },
  };
  return h;
}

/** Resolves once the container's log has a line containing `text`. */
export async function waitForLog(rt: Runtime, id: string, text: string): Promise<void> {
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(), 20_000);
  try {
    for await (const e of rt.logs(id, { follow: true, signal: ac.signal })) if (e.log.includes(text)) return;
    throw new Error(`container ${id} never printed "${text}"`);
  } finally {
    clearTimeout(t);
    ac.abort();
  }
}

export function conformance(name: string, factory: (stateDir: string) => Runtime): void {
  describe(`Runtime conformance: ${name}`, () => {
    const h = harness(factory);
    before(() => h.setup());
    after(() => h.teardown());

    it('runs the process as pid 1 with its own hostname, env and cwd, and reports its exit code', async () => {
      const id = await h.start({ args: ['sh', '-c', 'echo pid=$$ host=$(hostname) x=$X cwd=$(pwd); exit 3'], hostname: 'box1', env: ['PATH=/bin', 'X=42'], cwd: '/etc' });
      const exit = await h.rt.wait(id);
      assert.equal(exit.exitCode, 3);
      assert.equal(exit.signal, undefined);
      assert.equal(exit.oomKilled, false);
      assert.equal(await h.stdout(id), 'pid=1 host=box1 x=42 cwd=/etc\n');
      assert.equal((await h.rt.state(id)).status, 'stopped');
    });

    it('has its own mount table, a read-only root, masked and read-only /proc paths', async () => {
      const id = await h.start({
        args: ['sh', '-c', 'cat /proc/self/mountinfo | wc -l; touch /x 2>/dev/null && echo rw || echo ro; cat /proc/timer_list | wc -c; echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo wrote || echo denied; touch /tmp/ok && echo tmp'],
      });
      const [mounts, root, kcore, sys, tmp] = (await h.stdout(id)).trim().split('\n');
      assert.ok(Number(mounts) < 40, `a container sees only its own mounts, got ${mounts}`);
      assert.equal(root, 'ro');
      assert.equal(kcore, '0');
      assert.equal(sys, 'denied');
      assert.equal(tmp, 'tmp');
    });

    it('runs as the configured user with no capabilities', async () => {
      const id = await h.start({ args: ['sh', '-c', 'id -u; id -g; grep CapEff /proc/self/status'], uid: 1000, gid: 1000 });
      const [uid, gid, caps] = (await h.stdout(id)).trim().split('\n');
      assert.equal(uid, '1000');
      assert.equal(gid, '1000');
      assert.match(caps!, /CapEff:\s+0+$/);
    });

    it('keeps stdout and stderr, in order, with timestamps', async () => {
      const id = await h.start({ args: ['sh', '-c', 'echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three'] });
      await h.rt.wait(id);
      const logs = await h.logs(id);
      assert.deepEqual(logs.map((e) => [e.stream, e.log]), [['stdout', 'one\n'], ['stderr', 'two\n'], ['stdout', 'three\n']]);
      for (const e of logs) assert.match(e.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
      const tail = [];
      for await (const e of h.rt.logs(id, { tail: 1 })) tail.push(e.log);
      assert.deepEqual(tail, ['three\n']);
    });

    it('enforces the memory limit: an allocation past it is OOM-killed and reported', async () => {
      const id = await h.start({ args: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'], resources: { memoryBytes: 16 * 1024 * 1024 } });
      const exit = await h.rt.wait(id);
      assert.equal(exit.oomKilled, true, JSON.stringify({ exit, logs: await h.logs(id) }));
      assert.equal(exit.signal, 'SIGKILL');
      assert.equal(exit.exitCode, 137);
    });

    it('enforces the pids limit and reports stats from the cgroup', async () => {
      const id = await h.start({ args: ['sh', '-c', 'sh -c "for i in \\$(seq 1 20); do sleep 30 & done"; echo spawned; exec sleep 30'], resources: { pidsLimit: 8, memoryBytes: 64 * 1024 * 1024 } });
      await waitForLog(h.rt, id, 'spawned');
      const s = await h.rt.stats(id);
      assert.ok(s.pids > 1 && s.pids <= 8, `pids ${s.pids} within the limit of 8`);
      assert.equal(s.memoryLimitBytes, 64 * 1024 * 1024);
      assert.ok(s.memoryUsageBytes > 0);
      assert.ok(s.cpuUsageSeconds > 0);
      const err = (await h.logs(id)).filter((e) => e.stream === 'stderr').map((e) => e.log).join('');
      assert.match(err, /can't fork|Resource temporarily unavailable/);
      await h.rt.stop(id, { timeoutSeconds: 0 });
    });

    it('stops with the signal, then SIGKILL after the grace period', async () => {
      const polite = await h.start({ args: ['sh', '-c', 'trap "echo bye; exit 0" TERM; echo ready; while true; do sleep 0.1; done'] });
      await waitForLog(h.rt, polite, 'ready');
      const e1 = await h.rt.stop(polite, { timeoutSeconds: 10 });
      assert.equal(e1.exitCode, 0);
      const stubborn = await h.start({ args: ['sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 0.1; done'] });
      await waitForLog(h.rt, stubborn, 'ready');
      const e2 = await h.rt.stop(stubborn, { timeoutSeconds: 1 });
      assert.equal(e2.signal, 'SIGKILL');
      assert.equal(e2.exitCode, 137);
    });

    it('pauses and resumes; kill delivers a signal', async () => {
      const id = await h.start({ args: ['sh', '-c', 'echo ready; while true; do sleep 0.1; done'] });
      await waitForLog(h.rt, id, 'ready');
      // Looked at while running first (the native runtime then remembers it thawed), and twice over.
      assert.equal((await h.rt.state(id)).status, 'running');
      for (let round = 0; round < 2; round++) {
        await h.rt.pause(id);
        assert.equal((await h.rt.state(id)).status, 'paused');
        assert.equal((await h.rt.list()).find((c) => c.id === id)?.status, 'paused');
        await h.rt.resume(id);
        assert.equal((await h.rt.state(id)).status, 'running');
      }
      await h.rt.kill(id, 'SIGKILL');
      const exit = await h.rt.wait(id);
      assert.equal(exit.signal, 'SIGKILL');
    });

    it('execs a process in the container: output, exit code, user, env, cwd', async () => {
      const id = await h.start({ args: ['sh', '-c', 'echo ready; sleep 60'], hostname: 'exec-box' });
      await waitForLog(h.rt, id, 'ready');
      const r = await h.rt.exec(id, { args: ['sh', '-c', 'echo out $(hostname) $Y $(pwd); echo err >&2; exit 7'], env: ['Y=why'], cwd: '/tmp' });
      assert.equal(r.exitCode, 7);
      assert.equal(r.stdout.toString(), 'out exec-box why /tmp\n');
      assert.equal(r.stderr.toString(), 'err\n');
      const u = await h.rt.exec(id, { args: ['id', '-u'], user: 'app' });
      assert.equal(u.stdout.toString().trim(), '1000');
      const slow = await h.rt.exec(id, { args: ['sleep', '30'], timeoutMs: 300 });
      assert.equal(slow.exitCode, 137);
      await h.rt.stop(id, { timeoutSeconds: 0 });
    });

    it('streams an exec\'s output as it comes, and kills the exec when the caller aborts', async () => {
      const id = await h.start({ args: ['sh', '-c', 'echo ready; sleep 60'] });
      await waitForLog(h.rt, id, 'ready');
      const seen: string[] = [];
      const ac = new AbortController();
      const r = await h.rt.exec(id, {
        args: ['sh', '-c', 'echo first; echo second >&2; exec sleep 30'],
        // Both lines seen: the exec runs on (sleep), until the abort kills it.
        output: (stream, chunk) => void (seen.push(`${stream}:${chunk}`), seen.length === 2 && ac.abort()),
        signal: ac.signal,
      });
      assert.deepEqual(seen.sort(), ['stderr:second\n', 'stdout:first\n']);
      assert.equal(r.exitCode, 137);
      assert.equal(r.stdout.length + r.stderr.length, 0, 'streamed output is not kept too');
      await h.rt.stop(id, { timeoutSeconds: 0 });
    });

    it('lists its containers and deletes them with their state', async () => {
      const id = await h.start({ args: ['sleep', '60'] });
      const listed = await h.rt.list();
      assert.ok(listed.some((s) => s.id === id && s.status === 'running' && s.pid > 0));
      await assert.rejects(h.rt.delete(id), /stop it first/);
      await h.rt.delete(id, { force: true });
      await assert.rejects(h.rt.state(id), /not found/);
      assert.ok(!(await h.rt.list()).some((s) => s.id === id));
    });
  });
}
