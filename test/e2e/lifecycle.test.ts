// The reconcile loop end to end: the real daemon, the runc runtime under berth's monitor, images
// pulled from a real registry. Apply → Running; a killed process is restarted by policy; a failing
// liveness probe restarts; a spec edit recreates once; delete removes everything. Inside a private
// network namespace: the containers are on the default bridge network.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { apply, containerManifest, phase, until, world, type World } from './helpers.ts';
import { insidePrivateNetns } from '../engine/network/harness.ts';
import { lsattrDir } from '../engine/lsattr.ts';

const SERVE = `  command: [sh, -c, "trap 'exit 0' TERM; echo started; while true; do sleep 0.2; done"]\n  terminationGracePeriodSeconds: 5\n`;

if (insidePrivateNetns(import.meta.url)) {
  describe('reconcile end to end (runc runtime, real registry)', () => {
    let w: World;
    before(async () => {
      w = await world();
      await w.start();
    });
    after(async () => w?.teardown());

    const running = (name: string) => until(`${name} Running`, async () => {
      const o = await w.get(name);
      return phase(o) === 'Running' && o;
    });

    it('applies a Container: pulled, created, started, its logs, exec and stats', async () => {
      await apply(w, containerManifest('web', w.image, `${SERVE}  resources: {limits: {memory: 32Mi, cpu: 500m, pids: 50}}\n`));
      const o = await running('web');
      const st = o.status!;
      assert.match(String(st.containerID), /^[0-9a-f]{64}$/);
      assert.ok(Number(st.pid) > 0);
      assert.equal(st.restartCount, 0);
      assert.equal(st.observedGeneration, 1);
      const logs = await until('the first log line', async () => {
        const lines = [];
        for await (const e of w.client.stream<{ log: string }>('GET', '/v1/containers/web/logs')) lines.push(e.log);
        return lines.join('').includes('started') && lines;
      });
      assert.ok(logs.join('').includes('started'));
      const ex = await w.client.json<{ exitCode: number; stdout: string }>('POST', '/v1/containers/web/exec', { body: { args: ['sh', '-c', 'cat /etc/motd; echo $GREETING; pwd'] } });
      assert.equal(ex.exitCode, 0);
      assert.equal(Buffer.from(ex.stdout, 'base64').toString(), 'welcome to berth\nhello\n/data\n');
      const stats = await w.client.json<{ memoryLimitBytes: number; pids: number }>('GET', '/v1/containers/web/stats');
      assert.equal(stats.memoryLimitBytes, 32 * 1024 * 1024);
      assert.ok(stats.pids >= 1);
      const top = await w.client.json<{ processes: Array<{ cmd: string }> }>('GET', '/v1/containers/web/top');
      assert.ok(top.processes.some((p) => p.cmd.includes('echo started')));
    });

    it('marks the data root and each parent of per-container directories for ext4 (chattr +T)', () => {
      // Each owner marks its own parent where it makes it: the container store, the snapshotter,
      // the runtime (in the background), the network's attachments. Flags only where the filesystem keeps them.
      for (const d of ['', 'containers', 'snapshots/containers', 'runtime/containers', 'networks/containers']) {
        const dir = join(w.root, d);
        assert.ok(existsSync(dir), dir);
        const a = lsattrDir(dir);
        if (a !== undefined) assert.match(a, /T/, `${dir}: ${a}`);
      }
    });

    it('restarts a killed process (restartPolicy Always) and counts it', async () => {
      const before = (await w.get('web')).status!;
      process.kill(Number(before.pid), 'SIGKILL');
      const after = await until('restarted', async () => {
        const o = await w.get('web');
        return phase(o) === 'Running' && o.status!.restartCount === 1 && o.status!;
      });
      assert.notEqual(after.pid, before.pid);
      assert.equal(after.containerID, before.containerID, 'the same container, started again');
      const last = (after.lastState as { terminated: { exitCode: number; reason: string; signal?: string } }).terminated;
      assert.equal(last.exitCode, 137);
      assert.equal(last.reason, 'Error');
    });

    it('restarts a container whose liveness probe fails', async () => {
      await apply(
        w,
        containerManifest(
          'probed',
          w.image,
          `  command: [sh, -c, "trap 'exit 0' TERM; touch /tmp/healthy; while true; do sleep 0.2; done"]
  terminationGracePeriodSeconds: 2
  livenessProbe:
    exec: {command: [test, -f, /tmp/healthy]}
    periodSeconds: 1
    failureThreshold: 1
`,
        ),
      );
      await running('probed');
      await w.client.json('POST', '/v1/containers/probed/exec', { body: { args: ['rm', '/tmp/healthy'] } });
      const st = await until('restarted by liveness', async () => {
        const o = await w.get('probed');
        return (o.status!.restartCount as number) >= 1 && phase(o) === 'Running' && o.status!;
      });
      assert.ok((st.restartCount as number) >= 1);
    });

    it('recreates a container once when its spec changes', async () => {
      const before = (await w.get('web')).status!;
      await apply(w, containerManifest('web', w.image, `${SERVE}  env: [{name: COLOR, value: blue}]\n`));
      const after = await until('recreated', async () => {
        const o = await w.get('web');
        return phase(o) === 'Running' && o.status!.observedGeneration === 2 && o.status!;
      });
      assert.notEqual(after.containerID, before.containerID);
      const dirs = readdirSync(join(w.root, 'containers'));
      assert.ok(!dirs.includes(String(before.containerID)), 'the old container is gone');
      const ex = await w.client.json<{ stdout: string }>('POST', '/v1/containers/web/exec', { body: { args: ['sh', '-c', 'echo $COLOR'] } });
      assert.equal(Buffer.from(ex.stdout, 'base64').toString(), 'blue\n');
    });

    it('removes a deleted container: process, rootfs and network namespace mounts, cgroup, directory', async () => {
      const st = (await w.get('web')).status!;
      const id = String(st.containerID);
      await w.client.json('DELETE', '/v1/objects/container/web');
      await until('removed', () => !existsSync(join(w.root, 'containers', id)));
      assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(id), 'no mount left (rootfs, network namespace)');
      assert.ok(!existsSync(join(w.root, 'networks', 'netns', id)) && !existsSync(join(w.root, 'networks', 'containers', id)), 'no network namespace or attachment left');
      const cg = existsSync('/sys/fs/cgroup/memory') ? `/sys/fs/cgroup/memory/${w.cgroupParent}/${id}` : `/sys/fs/cgroup/${w.cgroupParent}/${id}`;
      await until('cgroup removed', () => !existsSync(cg));
      assert.ok(!existsSync(`/proc/${st.pid}`) || !readFileSync(`/proc/${st.pid}/cmdline`, 'utf8').includes('echo started'));
    });
  });
}
