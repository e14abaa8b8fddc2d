// The daemon with `--runtime native`: the reconcile loop drives berth's own launcher end to end —
// an image pulled from a real registry, the engine's bundle (overlay rootfs, /etc files, limits),
// logs, exec, stats, a killed process restarted, and removal down to the cgroup and the network
// namespace. Inside a private network namespace: the launcher joins the default network's namespace.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NativeRuntime } from '../../../engine/runtime/native-runtime.ts';
import { apply, containerManifest, phase, until, world, type World } from '../../e2e/helpers.ts';
import { insidePrivateNetns } from '../network/harness.ts';

const SERVE = `  command: [sh, -c, "trap 'exit 0' TERM; echo started; while true; do sleep 0.2; done"]\n  terminationGracePeriodSeconds: 5\n`;

if (insidePrivateNetns(import.meta.url)) {
  describe('the daemon on the native runtime', () => {
    let w: World;
    before(async () => {
      w = await world();
      await w.start({ runtime: 'native' });
    });
    after(async () => {
      await w?.daemon?.stop().catch(() => undefined);
      // The shared cleanup knows runc's containers; these are the native runtime's.
      const rt = new NativeRuntime({ stateDir: join(w.root, 'runtime') });
      for (const s of await rt.list().catch(() => [])) await rt.delete(s.id, { force: true }).catch(() => undefined);
      await w?.teardown();
    });

    const running = (name: string, restarts = 0) => until(`${name} Running`, async () => {
      const o = await w.get(name);
      return phase(o) === 'Running' && o.status!.restartCount === restarts && o;
    });

    it('runs, logs, execs, reports stats, restarts and removes a Container', async () => {
      await apply(w, containerManifest('web', w.image, `${SERVE}  resources: {limits: {memory: 32Mi, cpu: 500m, pids: 50}}\n`));
      const o = await running('web');
      const st = o.status!;
      // The daemon's runtime is the native one: a monitor is the init's parent, and runc was never asked.
      const meta = JSON.parse(readFileSync(join(w.root, 'runtime', 'containers', String(st.containerID), 'meta.json'), 'utf8')) as { monitorPid: number };
      assert.equal(readFileSync(`/proc/${st.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1], String(meta.monitorPid));
      assert.ok(!existsSync(join(w.root, 'runtime', 'runc')), 'no runc state');
      await until('the first log line', async () => {
        const lines = [];
        for await (const e of w.client.stream<{ log: string }>('GET', '/v1/containers/web/logs')) lines.push(e.log);
        return lines.join('').includes('started');
      });
      const ex = await w.client.json<{ exitCode: number; stdout: string }>('POST', '/v1/containers/web/exec', { body: { args: ['sh', '-c', 'cat /etc/motd; hostname; echo $$'] } });
      assert.equal(ex.exitCode, 0);
      const [motd, host] = Buffer.from(ex.stdout, 'base64').toString().split('\n');
      assert.equal(motd, 'welcome to berth');
      assert.equal(host, 'web');
      const stats = await w.client.json<{ memoryLimitBytes: number; pids: number }>('GET', '/v1/containers/web/stats');
      assert.equal(stats.memoryLimitBytes, 32 * 1024 * 1024);
      assert.ok(stats.pids >= 1);

      process.kill(Number(st.pid), 'SIGKILL');
      const again = (await running('web', 1)).status!;
      assert.notEqual(again.pid, st.pid);

      const id = String(again.containerID);
      await w.client.json('DELETE', '/v1/objects/container/web');
      await until('removed', () => !existsSync(join(w.root, 'containers', id)));
      const cg = existsSync('/sys/fs/cgroup/memory') ? `/sys/fs/cgroup/memory/${w.cgroupParent}/${id}` : `/sys/fs/cgroup/${w.cgroupParent}/${id}`;
      await until('cgroup removed', () => !existsSync(cg));
    });
  });
}
