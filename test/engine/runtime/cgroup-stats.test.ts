// The cgroup reader on both layouts, from files the test writes as the kernel does (a v2 unified
// hierarchy and a v1 one with a hierarchy per controller). This host's real (v1) hierarchy is read
// with real containers in test/e2e/metrics.test.ts.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseBlkio, parseIoStat, readCgroupStats, weightToShares } from '../../../engine/runtime/cgroup-stats.ts';

const root = mkdtempSync(join(tmpdir(), 'berth-cgroup-'));
after(() => rmSync(root, { recursive: true, force: true }));

function files(dir: string, content: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(content)) writeFileSync(join(dir, name), text);
}

/** The device that holds / on this host ("maj:min") and its /dev name, to check name resolution. */
function rootDevice(): { majMin: string; name: string | undefined } {
  const line = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === '/')!;
  const majMin = line.split(' ')[2]!;
  let name: string | undefined;
  try {
    name = `/dev/${/^DEVNAME=(.+)$/m.exec(readFileSync(`/sys/dev/block/${majMin}/uevent`, 'utf8'))![1]}`;
  } catch {
    name = undefined; // not a block device (e.g. / on overlay): the numbers stand
  }
  return { majMin, name };
}

describe('cgroup v2 files', () => {
  const dev = rootDevice();
  const v2 = join(root, 'v2');
  files(join(v2, 'berth', 'c1'), {
    'cpu.stat': 'usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\nnr_periods 40\nnr_throttled 7\nthrottled_usec 350000\nnr_bursts 0\nburst_usec 0\n',
    'cpu.max': '20000 100000\n',
    'cpu.weight': '100\n',
    'memory.current': '8388608\n',
    'memory.max': '16777216\n',
    'memory.swap.current': '4096\n',
    'memory.stat': 'anon 3145728\nfile 4194304\nkernel 262144\nfile_mapped 1048576\ninactive_file 2097152\nactive_file 2097152\n',
    'memory.events': 'low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n',
    'pids.current': '5\n',
    'cgroup.procs': '101\n102\n103\n',
    'io.stat': `${dev.majMin} rbytes=8192 wbytes=65536 rios=2 wios=16 dbytes=0 dios=0\n7:99 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\n`,
  });
  files(join(v2, 'berth', 'c2'), { 'cpu.max': 'max 100000\n', 'memory.max': 'max\n', 'memory.current': '1024\n', 'cgroup.procs': '' });

  it('reads usage, limits, CFS throttling, OOM kills, processes and I/O', async () => {
    const s = await readCgroupStats('/berth/c1', { root: v2, version: 2 });
    assert.equal(s.cpuUsageSeconds, 2.5);
    assert.equal(s.memoryUsageBytes, 8388608);
    assert.equal(s.memoryWorkingSetBytes, 8388608 - 2097152);
    assert.equal(s.memoryLimitBytes, 16777216);
    assert.equal(s.pids, 5);
    assert.deepEqual(s.cgroup, {
      path: '/berth/c1',
      cpu: { userSeconds: 2, systemSeconds: 0.5, periods: 40, throttledPeriods: 7, throttledSeconds: 0.35 },
      spec: { cpuPeriodUs: 100000, cpuQuotaUs: 20000, cpuShares: weightToShares(100) },
      memory: { rssBytes: 3145728, cacheBytes: 4194304, swapBytes: 4096, mappedFileBytes: 1048576, oomKills: 1 },
      processes: 3,
      io: [
        { device: dev.name ?? dev.majMin, readBytes: 8192, writeBytes: 65536, reads: 2, writes: 16 },
        { device: '7:99', readBytes: 1, writeBytes: 2, reads: 3, writes: 4 },
      ],
    });
  });

  it('reads "max" as no limit, and leaves out what a disabled controller would say', async () => {
    const s = await readCgroupStats('berth/c2', { root: v2, version: 2 });
    assert.equal(s.memoryLimitBytes, 0);
    assert.deepEqual(s.cgroup!.spec, { cpuPeriodUs: 100000, cpuQuotaUs: 0 });
    assert.deepEqual(s.cgroup!.io, []);
    assert.equal(s.cgroup!.processes, 0);
    assert.equal(s.cgroup!.memory.oomKills, 0);
  });

  it('converts cpu.weight back to shares as cAdvisor does', () => {
    assert.equal(weightToShares(1), 2);
    assert.equal(weightToShares(10000), 262144);
    assert.equal(weightToShares(100), 2597);
  });

  it('parses io.stat lines and skips others', () => {
    assert.deepEqual([...parseIoStat('8:0 rbytes=1 wbytes=2 rios=3 wios=4\nnonsense\n')], [['8:0', { readBytes: 1, writeBytes: 2, reads: 3, writes: 4 }]]);
  });
});

describe('cgroup v1 files', () => {
  const v1 = join(root, 'v1');
  const c = (controller: string, content: Record<string, string>) => files(join(v1, controller, 'berth', 'c1'), content);
  c('cpuacct', { 'cpuacct.usage': '3000000000\n', 'cpuacct.stat': 'user 250\nsystem 50\n' });
  c('cpu', { 'cpu.stat': 'nr_periods 10\nnr_throttled 4\nthrottled_time 1500000000\n', 'cpu.cfs_period_us': '100000\n', 'cpu.cfs_quota_us': '-1\n', 'cpu.shares': '1024\n' });
  c('memory', {
    'memory.stat': 'cache 1\nrss 2\ntotal_cache 4096\ntotal_rss 8192\ntotal_swap 0\ntotal_mapped_file 1024\ntotal_inactive_file 2048\n',
    'memory.usage_in_bytes': '20480\n',
    'memory.limit_in_bytes': '9223372036854771712\n',
    'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n',
  });
  c('pids', { 'pids.current': '2\n', 'cgroup.procs': '7\n8\n' });
  c('blkio', {
    'blkio.bfq.io_service_bytes_recursive': 'Total 0\n',
    'blkio.bfq.io_serviced_recursive': 'Total 0\n',
    'blkio.throttle.io_service_bytes_recursive': '7:98 Read 4096\n7:98 Write 512\n7:98 Sync 4608\n7:98 Async 0\n7:98 Discard 0\n7:98 Total 4608\nTotal 4608\n',
    'blkio.throttle.io_serviced_recursive': '7:98 Read 1\n7:98 Write 1\n7:98 Total 2\nTotal 2\n',
  });

  it('reads the same fields from one hierarchy per controller', async () => {
    const s = await readCgroupStats('/berth/c1', { root: v1, version: 1 });
    assert.equal(s.cpuUsageSeconds, 3);
    assert.equal(s.memoryWorkingSetBytes, 20480 - 2048);
    assert.equal(s.memoryLimitBytes, 0, 'the kernel writes a huge number for "unlimited"');
    assert.deepEqual(s.cgroup, {
      path: '/berth/c1',
      cpu: { userSeconds: 2.5, systemSeconds: 0.5, periods: 10, throttledPeriods: 4, throttledSeconds: 1.5 },
      spec: { cpuPeriodUs: 100000, cpuQuotaUs: 0, cpuShares: 1024 },
      memory: { rssBytes: 8192, cacheBytes: 4096, swapBytes: 0, mappedFileBytes: 1024, oomKills: 2 },
      processes: 2,
      io: [{ device: '7:98', readBytes: 4096, writeBytes: 512, reads: 1, writes: 1 }],
    });
  });

  it('merges blkio byte and operation lines per device', () => {
    assert.deepEqual([...parseBlkio('8:0 Read 10\n8:0 Write 20\nTotal 30\n', '8:0 Read 1\n8:16 Write 2\n')], [
      ['8:0', { readBytes: 10, writeBytes: 20, reads: 1, writes: 0 }],
      ['8:16', { readBytes: 0, writeBytes: 0, reads: 0, writes: 2 }],
    ]);
  });
});
