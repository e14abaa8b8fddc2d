// BerthMetrics from plain samples: cAdvisor's series and label set, the conditions under which
// cAdvisor leaves a series out, controller-runtime's result labels, and the daemon's own process
// metrics; the whole exposition passes `promtool check metrics`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { BerthMetrics, type ContainerSample } from '../../controllers/metrics.ts';
import type { ContainerStats } from '../../specs/api/containers.ts';

const readAt = '2026-01-01T00:00:10.500Z';
const stats = (over: Partial<ContainerStats> = {}): ContainerStats => ({
  cpuUsageSeconds: 1.5,
  memoryUsageBytes: 8192,
  memoryWorkingSetBytes: 4096,
  memoryLimitBytes: 16777216,
  pids: 3,
  readAt,
  ...over,
});
const cgroup = (quotaUs: number): NonNullable<ContainerStats['cgroup']> => ({
  path: '/berth/a1',
  cpu: { userSeconds: 1, systemSeconds: 0.5, periods: 40, throttledPeriods: 7, throttledSeconds: 0.25 },
  spec: { cpuPeriodUs: 100000, cpuQuotaUs: quotaUs, cpuShares: 1024 },
  memory: { rssBytes: 3000, cacheBytes: 5000, swapBytes: 0, mappedFileBytes: 100, oomKills: 1 },
  processes: 2,
  io: [{ device: '/dev/vda', readBytes: 4096, writeBytes: 512, reads: 1, writes: 2 }],
});
const base = { image: 'busybox:1', phase: 'Running' as const, restartCount: 0 };

async function exposition(samples: ContainerSample[]): Promise<string> {
  const m = new BerthMetrics();
  m.setContainerSource(async () => samples);
  return Buffer.concat((await m.expose()).body).toString();
}

const series = (body: string, prefix: string) => body.split('\n').filter((l) => l.startsWith(prefix));

describe('per-container series', () => {
  it("carries cAdvisor's labels: the cgroup as id, name and container, image, the object's labels", async () => {
    const body = await exposition([
      {
        ...base,
        name: 'web',
        id: 'a1'.padEnd(64, '0'),
        startTime: 1767225600,
        labels: { 'app.kubernetes.io/name': 'shop', tier: 'front' },
        stats: stats({ cgroup: cgroup(20000) }),
      },
    ]);
    const l = 'container="web",container_label_app_kubernetes_io_name="shop",container_label_tier="front",id="/berth/a1",image="busybox:1",name="web"';
    const want = [
      `container_cpu_usage_seconds_total{${l.replace(',id=', ',cpu="total",id=')}} 1.5`,
      `container_cpu_user_seconds_total{${l}} 1`,
      `container_cpu_cfs_periods_total{${l}} 40`,
      `container_cpu_cfs_throttled_periods_total{${l}} 7`,
      `container_cpu_cfs_throttled_seconds_total{${l}} 0.25`,
      `container_spec_cpu_quota{${l}} 20000`,
      `container_spec_cpu_period{${l}} 100000`,
      `container_spec_cpu_shares{${l}} 1024`,
      `container_spec_memory_limit_bytes{${l}} 16777216`,
      `container_memory_rss{${l}} 3000`,
      `container_memory_cache{${l}} 5000`,
      `container_memory_working_set_bytes{${l}} 4096`,
      `container_oom_events_total{${l}} 1`,
      `container_processes{${l}} 2`,
      `container_threads{${l}} 3`,
      `container_start_time_seconds{${l}} 1767225600`,
      `container_last_seen{${l}} ${Math.floor(Date.parse(readAt) / 1000)}`,
      `container_fs_reads_bytes_total{${l.replace(',id=', ',device="/dev/vda",id=')}} 4096`,
      `container_fs_writes_bytes_total{${l.replace(',id=', ',device="/dev/vda",id=')}} 512`,
    ];
    const lines = body.split('\n');
    for (const w of want) assert.ok(lines.includes(w), `missing: ${w}`);
    assert.match(body, /# TYPE container_oom_events_total counter/);
    assert.match(body, /# TYPE container_memory_rss gauge/);
  });

  it('leaves out CFS series and the quota without a quota, and everything without a readable cgroup', async () => {
    const body = await exposition([
      { ...base, name: 'free', id: 'b2', stats: stats({ cgroup: cgroup(0) }) },
      { ...base, name: 'exited', id: 'c3', phase: 'Exited', startTime: 1 },
    ]);
    assert.deepEqual(series(body, 'container_cpu_cfs_'), []);
    assert.deepEqual(series(body, 'container_spec_cpu_quota{'), []);
    assert.equal(series(body, 'container_spec_cpu_period{').length, 1);
    assert.doesNotMatch(body, /^container_[a-z_]+\{[^}]*name="exited"/m, 'no cAdvisor series for a container without readable stats');
    assert.match(body, /berth_container_state\{name="exited",state="Exited"\} 1/);
  });

  it('reports the writable layer per device, and network counters per interface', async () => {
    const filesystem = { device: '/dev/vda', usageBytes: 12288, limitBytes: 1e9, inodesFree: 900 };
    const body = await exposition([
      { ...base, name: 'web', id: 'a1', stats: stats({ filesystem, network: { rxBytes: 30, txBytes: 7, interfaces: [{ interface: 'eth0', rxBytes: 10, txBytes: 5 }, { interface: 'eth1', rxBytes: 20, txBytes: 2 }] } }) },
      { ...base, name: 'old', id: 'b2', stats: stats({ network: { rxBytes: 4, txBytes: 3 } }) },
      { ...base, name: 'hostnet', id: 'c3', stats: stats() },
    ]);
    const l = (n: string, id: string, extra: string) => `container="${n}",${extra},id="${id}",image="busybox:1",name="${n}"`;
    assert.deepEqual(series(body, 'container_fs_'), [
      `container_fs_usage_bytes{${l('web', 'a1', 'device="/dev/vda"')}} 12288`,
      `container_fs_limit_bytes{${l('web', 'a1', 'device="/dev/vda"')}} 1000000000`,
      `container_fs_inodes_free{${l('web', 'a1', 'device="/dev/vda"')}} 900`,
    ]);
    assert.deepEqual(series(body, 'container_network_'), [
      'container_network_receive_bytes_total{container="web",id="a1",image="busybox:1",interface="eth0",name="web"} 10',
      'container_network_receive_bytes_total{container="web",id="a1",image="busybox:1",interface="eth1",name="web"} 20',
      'container_network_receive_bytes_total{container="old",id="b2",image="busybox:1",interface="eth0",name="old"} 4',
      'container_network_transmit_bytes_total{container="web",id="a1",image="busybox:1",interface="eth0",name="web"} 5',
      'container_network_transmit_bytes_total{container="web",id="a1",image="busybox:1",interface="eth1",name="web"} 2',
      'container_network_transmit_bytes_total{container="old",id="b2",image="busybox:1",interface="eth0",name="old"} 3',
    ]);
  });
});

describe('lines made ahead of the scrape', () => {
  it('a scrape after prepare() reads nothing of the stats again and writes the same text', async () => {
    const reads: string[] = [];
    const counted = <T extends object>(o: T, path: string): T =>
      new Proxy(o, {
        get(t, k, r) {
          const v = Reflect.get(t, k, r);
          if (typeof k === 'string') reads.push(`${path}.${k}`);
          return v && typeof v === 'object' ? counted(v, `${path}.${String(k)}`) : v;
        },
      });
    const sample = (s: ContainerStats): ContainerSample => ({ ...base, name: 'web', id: 'a1', labels: { tier: 'front' }, stats: s });
    const plain = sample(stats({ cgroup: cgroup(20000) }));
    const watched = sample(counted(stats({ cgroup: cgroup(20000) }), 'stats'));
    const m = new BerthMetrics();
    m.setContainerSource(async () => [watched]);
    m.prepare(watched);
    assert.ok(reads.length > 10, 'prepare read the stats');
    reads.length = 0;
    const body = Buffer.concat((await m.expose()).body).toString();
    assert.deepEqual(reads, [], 'the scrape used the lines made by prepare');
    assert.equal(series(body, 'container_').join('\n'), series(await exposition([plain]), 'container_').join('\n'));
    // A label changed since: the scrape makes them again, with the new label.
    m.setContainerSource(async () => [{ ...watched, labels: { tier: 'back' } }]);
    assert.match(Buffer.concat((await m.expose()).body).toString(), /container_memory_usage_bytes\{container="web",container_label_tier="back",/);
  });
});

describe('controller-runtime series', () => {
  it("counts outcomes with controller-runtime's result values and its error counters", async () => {
    const m = new BerthMetrics(['container']);
    const fresh = Buffer.concat((await m.expose()).body).toString();
    for (const result of ['success', 'error', 'requeue', 'requeue_after']) {
      assert.match(fresh, new RegExp(`controller_runtime_reconcile_total\\{controller="container",result="${result}"\\} 0`));
    }
    assert.match(fresh, /controller_runtime_reconcile_errors_total\{controller="container"\} 0/);
    assert.match(fresh, /controller_runtime_terminal_reconcile_errors_total\{controller="container"\} 0/);
    const o = m.queueObserver('container');
    o.result!('success', 0.01);
    o.result!('error', 0.01);
    o.result!('terminal', 0.01);
    o.result!('requeue_after', 0.01);
    const body = Buffer.concat((await m.expose()).body).toString();
    assert.match(body, /controller_runtime_reconcile_total\{controller="container",result="error"\} 2/);
    assert.match(body, /controller_runtime_reconcile_total\{controller="container",result="success"\} 1/);
    assert.match(body, /controller_runtime_reconcile_total\{controller="container",result="requeue_after"\} 1/);
    assert.match(body, /controller_runtime_reconcile_errors_total\{controller="container"\} 2/);
    assert.match(body, /controller_runtime_terminal_reconcile_errors_total\{controller="container"\} 1/);
    assert.doesNotMatch(body, /result="terminal"/);
    assert.match(body, /controller_runtime_reconcile_time_seconds_count\{controller="container"\} 4/);
  });
});

describe("the daemon's own metrics", () => {
  it('exposes process_* and nodejs_* and passes promtool with everything else', async () => {
    const filesystem = { device: '/dev/vda', usageBytes: 1, limitBytes: 2, inodesFree: 3 };
    const network = { rxBytes: 1, txBytes: 2 };
    const body = await exposition([{ ...base, name: 'web', id: 'a1', labels: { 'x-y': 'z' }, stats: stats({ cgroup: cgroup(20000), filesystem, network }) }]);
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'process_open_fds', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_version_info']) {
      assert.match(body, new RegExp(`^${name}(\\{[^}]*\\})? `, 'm'), `${name} is exposed`);
    }
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
    assert.equal(lint.status, 0, lint.stdout + lint.stderr);
  });
});
