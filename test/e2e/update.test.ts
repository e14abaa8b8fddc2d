// `berth update` through the compiled CLI on real containers, with berth's launcher and with runc:
// the running container's cgroup files change (read before and after), its process and id stay,
// `inspect` shows the new values, a restart keeps them, and bad input or a refusal by the kernel
// says what and what to do, changing nothing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { insidePrivateNetns } from '../engine/network/harness.ts';
import { suiteWorld, until } from './helpers.ts';

const ROOT = '/sys/fs/cgroup';

/** A cgroup file of a process: v1 through the hierarchy of its controller, v2 through the unified one. */
function cgroupFile(pid: string, controller: string, file: string): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n').map((l) => l.split(':'));
  const v1 = lines.find(([, ctrls]) => ctrls!.split(',').includes(controller));
  const path = v1 ? join(ROOT, v1[1]!.split(',').includes('cpu') ? 'cpu' : controller, v1[2]!) : join(ROOT, lines.find(([h]) => h === '0')![2]!);
  return readFileSync(join(path, file), 'utf8').trim();
}

const v2 = !readFileSync('/proc/self/cgroup', 'utf8').includes(':memory:');

/** The limits as this host's cgroup files say them, in v1's terms. */
function limits(pid: string): { memory: string; memsw: string; quota: string; shares: string; pids: string } {
  if (v2) {
    const [quota] = cgroupFile(pid, 'cpu', 'cpu.max').split(' ');
    return {
      memory: cgroupFile(pid, 'memory', 'memory.max'),
      memsw: cgroupFile(pid, 'memory', 'memory.swap.max'),
      quota: quota === 'max' ? '-1' : quota!,
      shares: cgroupFile(pid, 'cpu', 'cpu.weight'),
      pids: cgroupFile(pid, 'pids', 'pids.max'),
    };
  }
  return {
    memory: cgroupFile(pid, 'memory', 'memory.limit_in_bytes'),
    memsw: cgroupFile(pid, 'memory', 'memory.memsw.limit_in_bytes'),
    quota: cgroupFile(pid, 'cpu', 'cpu.cfs_quota_us'),
    shares: cgroupFile(pid, 'cpu', 'cpu.shares'),
    pids: cgroupFile(pid, 'pids', 'pids.max'),
  };
}

const HOST = '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}';

function suite(runtime: 'native' | 'runc'): void {
  describe(`update (${runtime})`, { timeout: 300_000 }, () => {
    const s = suiteWorld({ daemon: { runtime } });
    const ok = s.ok;

    it('changes the running container\'s cgroup live: same process, same id; inspect and a restart keep it', async () => {
      await ok(['run', '-d', '--name', 'lim', '-m', '64m', '--cpus', '0.5', '--pids-limit', '100', s.w.image, 'sleep', '1000']);
      const [id, pid] = (await ok(['inspect', '-f', '{{.Id}} {{.State.Pid}}', 'lim'])).trim().split(' ') as [string, string];
      const before = limits(pid);
      assert.equal(before.memory, String(64 * 2 ** 20));
      assert.equal(before.quota, '50000');
      assert.equal(before.pids, '100');

      assert.equal(await ok(['update', '-m', '128m', '--memory-swap', '256m', '--cpus', '1.5', '--cpu-shares', '512', '--pids-limit', '200', '--restart', 'on-failure:3', 'lim']), 'lim\n');
      const after = limits(pid);
      assert.equal(after.memory, String(128 * 2 ** 20));
      assert.equal(after.memsw, v2 ? String(128 * 2 ** 20) : String(256 * 2 ** 20));
      assert.equal(after.quota, '150000');
      assert.equal(after.shares, v2 ? '20' : '512');
      assert.equal(after.pids, '200');
      assert.equal(await ok(['inspect', '-f', `{{.Id}} {{.State.Pid}} {{.State.Status}} {{.RestartCount}}`, 'lim']), `${id} ${pid} running 0\n`);
      assert.equal(await ok(['inspect', '-f', HOST, 'lim']), `${128 * 2 ** 20} ${256 * 2 ** 20} 1500000000 512 200 on-failure:3\n`);

      // A restart starts the same container again, from its bundle: the new limits hold.
      assert.equal(await ok(['restart', '-t', '0', 'lim']), 'lim\n');
      const [id2, pid2] = (await ok(['inspect', '-f', '{{.Id}} {{.State.Pid}}', 'lim'])).trim().split(' ') as [string, string];
      assert.equal(id2, id);
      assert.notEqual(pid2, pid);
      assert.deepEqual(limits(pid2), after);

      // --cpus 0 and --pids-limit -1 lift those limits; the others stay; so does the process.
      await ok(['container', 'update', '--cpus', '0', '--pids-limit', '-1', id.slice(0, 12)]);
      assert.deepEqual(limits(pid2), { ...after, quota: '-1', pids: 'max' });
      assert.equal(await ok(['inspect', '-f', '{{.State.Pid}} ' + HOST, 'lim']), `${pid2} ${128 * 2 ** 20} ${256 * 2 ** 20} 0 512 -1 on-failure:3\n`);
      // A daemon restart adopts it as it is (its spec hash is the updated spec's): not recreated.
      await s.w.daemon!.stop();
      await s.w.start({ runtime });
      assert.equal(await ok(['inspect', '-f', '{{.Id}} {{.State.Pid}} {{.State.Status}}', 'lim']), `${id} ${pid2} running\n`);
    });

    it('says what is wrong and what to do; a limit the kernel refuses changes nothing', async () => {
      const cpus = await s.cli(['update', '--cpus', 'abc', 'lim']);
      assert.equal(cpus.code, 1);
      assert.match(cpus.stderr, /--cpus "abc" is not a number of CPUs; give one like 0\.5 or 2/);
      const none = await s.cli(['update', 'lim']);
      assert.equal(none.code, 1);
      assert.match(none.stderr, /provide one or more flags/);
      const small = await s.cli(['update', '-m', '1m', 'lim']);
      assert.match(small.stderr, /Minimum memory limit allowed is 6MB/);
      const swap = await s.cli(['update', '-m', '512m', 'lim']);
      assert.match(swap.stderr, /Memory limit should be smaller than already set memoryswap limit .*update the memoryswap at the same time/);
      const restart = await s.cli(['update', '--restart', 'sometimes', 'lim']);
      assert.match(restart.stderr, /use one of: no, always, on-failure\[:max-retries\], unless-stopped/);
      const missing = await s.cli(['update', '-m', '64m', 'nothere']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /nothere/);

      // 30 MiB in a tmpfs, which memory+swap cannot shed: a limit of 8 MiB cannot be reclaimed down to.
      await ok(['run', '-d', '--name', 'hog', '-m', '64m', '--memory-swap', '64m', '--tmpfs', '/fill', s.w.image, 'sh', '-c', 'dd if=/dev/zero of=/fill/x bs=1M count=30 2>/dev/null; echo full; sleep 1000']);
      await until('the tmpfs holds its 30 MiB', async () => (await ok(['logs', 'hog'])) === 'full\n');
      const pid = (await ok(['inspect', '-f', '{{.State.Pid}}', 'hog'])).trim();
      const before = limits(pid);
      const refused = await s.cli(['update', '-m', '8m', '--memory-swap', '8m', 'hog']);
      if (!v2) {
        // v2 reclaims by killing (memory.max never refuses); v1 refuses.
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /uses more memory.* than the new limit \(8 MiB\) and the kernel could not reclaim enough: give a larger --memory/);
        assert.deepEqual(limits(pid), before);
        assert.equal(await ok(['inspect', '-f', '{{.State.Pid}} {{.HostConfig.Memory}}', 'hog']), `${pid} ${64 * 2 ** 20}\n`);
      }
      const rm = await s.cli(['update', '--restart', 'always', (await ok(['run', '-d', '--rm', s.w.image, 'sleep', '1000'])).trim()]);
      assert.match(rm.stderr, /Restart policy cannot be updated because AutoRemove is enabled/);
    });
  });
}

if (insidePrivateNetns(import.meta.url)) {
  suite('native');
  suite('runc');
}
