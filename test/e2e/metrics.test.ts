// /metrics of a daemon running real containers (runc, cgroups of this host, a CNI bridge network),
// inside a private network namespace: it passes `promtool check metrics`, and a real Prometheus
// scraping it answers every panel of a stock cAdvisor Grafana dashboard (fixtures/) with series,
// for all containers and for each one, plus the series no panel of it asks for (CFS throttling,
// an OOM kill, block I/O, the writable layer, the limits) with the values the containers caused.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cgroupVersion } from '../../engine/runtime/cgroup-stats.ts';
import { startPrometheus, type TestPrometheus } from '../fixtures/prometheus.ts';
import { freePort } from '../fixtures/registry.ts';
import { insidePrivateNetns, unmountUnder } from '../engine/network/harness.ts';
import { apply, containerManifest, phase, until, world, type World } from './helpers.ts';

interface Dashboard {
  source: string;
  variables: Record<string, { query: string; allValue: string }>;
  panels: Array<{ title: string; expr: string }>;
}
const dashboard = JSON.parse(readFileSync(new URL('./fixtures/grafana-14282-cadvisor-exporter.json', import.meta.url), 'utf8')) as Dashboard;

/** Grafana's regex escaping of a variable's value inside a PromQL string (its prometheusRegularEscape). */
const regexEscape = (v: string) => v.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]'+?.()|]/g, '\\\\$&');
/** Replaces $var with the value chosen (escaped) or the variable's allValue for "All". */
function substitute(expr: string, chosen: Record<string, string | undefined>): string {
  return expr.replace(/\$(\w+)/g, (m, v: string) => {
    const def = dashboard.variables[v];
    if (!def) return m;
    const value = chosen[v];
    return value === undefined ? def.allValue : regexEscape(value);
  });
}

if (insidePrivateNetns(import.meta.url)) {
  describe('metrics of real containers', { timeout: 300_000 }, () => {
    let w: World;
    let metricsAddr: string;
    let prom: TestPrometheus | undefined;
    const names = ['m-busy', 'm-idle'];
    const MiB = 1024 * 1024;

    before(async () => {
      w = await world();
      metricsAddr = `127.0.0.1:${await freePort()}`;
      await w.start({ metricsAddr });
      await w.client.json('POST', '/v1/networks', { body: { name: 'metrics', subnet: '10.79.0.0/24' } });
      const common = '  network: metrics\n  terminationGracePeriodSeconds: 1\n';
      // m-busy spins against a 200m quota (throttled); m-idle makes its one child run out of its
      // 16Mi (busybox tail keeps a line that never ends), writes 1 MiB with O_DIRECT (block I/O
      // its cgroup is charged for, and a file in its writable layer), then sleeps.
      await apply(
        w,
        containerManifest('m-busy', w.image, `  command: [sh, -c, "trap 'exit 0' TERM; while true; do :; done"]\n  resources: {limits: {cpu: 200m, memory: 16Mi}}\n${common}`).replace(
          'metadata:\n',
          'metadata:\n  labels: {tier: busy}\n',
        ),
        containerManifest(
          'm-idle',
          w.image,
          `  command: [sh, -c, "trap 'exit 0' TERM; head -c 64m /dev/zero | tail; dd if=/dev/zero of=/io-probe bs=64k count=16 oflag=direct; while true; do sleep 0.5; done"]\n  resources: {limits: {memory: 16Mi}}\n${common}`,
        ),
      );
      for (const n of names) await until(`${n} Running`, async () => phase(await w.get(n)) === 'Running');
    });
    after(async () => {
      await prom?.stop();
      await w?.teardown();
      if (w) unmountUnder(w.dir);
    });

    it("exposes cAdvisor's series and labels, the daemon's own and controller-runtime's, and promtool accepts them", async () => {
      const text = await until('container series', async () => {
        const t = await (await fetch(`http://${metricsAddr}/metrics`)).text();
        return names.every((n) => t.includes(`name="${n}"`)) && t;
      });
      const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      assert.equal(lint.status, 0, lint.stdout + lint.stderr);
      const id = (await w.get('m-busy')).status?.containerID as string;
      const labels = `container="m-busy",container_label_tier="busy",id="/${w.cgroupParent}/${id}",image="${w.image}",name="m-busy"`;
      assert.ok(text.includes(`container_spec_memory_limit_bytes{${labels}} 16777216`), `m-busy's limit with ${labels}`);
      assert.ok(text.includes(`container_spec_cpu_quota{${labels}} 20000`));
      assert.ok(text.includes(`container_spec_cpu_period{${labels}} 100000`));
      assert.match(text, /^process_resident_memory_bytes \d+/m);
      assert.match(text, /^nodejs_heap_size_used_bytes \d+/m);
      assert.match(text, /berth_container_state\{name="m-idle",state="Running"\} 1/);
      assert.match(text, /controller_runtime_reconcile_total\{controller="container",result="success"\} \d+/);
      assert.doesNotMatch(text, /result="terminal"/);
    });

    it(`answers every panel of ${dashboard.source.split(',')[0]} with series, for all containers and for each`, async () => {
      prom = await startPrometheus(join(w.dir, 'prometheus'), [metricsAddr]);
      // Two scrapes at least, so that rate() over the panels' [5m] has two points.
      // up is 1 for a scrape that succeeded only (one may time out on a loaded machine).
      await until('Prometheus has scraped berth twice', async () => Number((await prom!.query('sum_over_time(up{job="berth"}[5m])'))[0]?.value[1]) >= 2, 120_000);
      const hosts = await prom.labelValues('instance', '{__name__=~"container.*"}');
      assert.deepEqual(hosts, [metricsAddr], 'the $host variable lists berth');
      // Each container is listed once a scrape has found its series. If one is not within a minute,
      // the message says what berth showed of it then (its phase, restarts, lines in /metrics).
      const listed = async () => prom!.labelValues('name', `{__name__=~"container.*", instance=~"${regexEscape(metricsAddr)}"}`);
      const containers = await until('Prometheus lists both containers', async () => {
        const got = await listed();
        return names.every((n) => got.includes(n)) && got;
      }, 60_000).catch(async () => listed());
      for (const n of names) {
        if (containers.includes(n)) continue;
        const st = (await w.get(n)).status as { phase?: string; restartCount?: number } | undefined;
        const lines = (await (await fetch(`http://${metricsAddr}/metrics`)).text()).split('\n').filter((l) => l.startsWith('container_') && l.includes(`name="${n}"`)).length;
        assert.fail(`the $container variable lists ${n}: ${containers} (${n} is ${st?.phase}, ${st?.restartCount} restarts, ${lines} container_ lines in /metrics now)`);
      }

      const choices: Array<{ host?: string; container?: string }> = [{}, ...names.map((container) => ({ host: metricsAddr, container }))];
      for (const choice of choices) {
        for (const panel of dashboard.panels) {
          const expr = substitute(panel.expr, choice);
          const got = await until(`"${panel.title}" answers ${expr}`, async () => {
            const r = await prom!.query(expr);
            const want = choice.container ? [choice.container] : names;
            return want.every((n) => r.some((s) => s.metric.name === n)) && r;
          }, 60_000);
          for (const s of got) assert.ok(Number.isFinite(Number(s.value[1])), `"${panel.title}": ${JSON.stringify(s)}`);
        }
      }
      const cpu = await prom.query(substitute(dashboard.panels[0]!.expr, {}));
      const busy = Number(cpu.find((s) => s.metric.name === 'm-busy')!.value[1]);
      assert.ok(busy <= 30, `m-busy stays within its 200m limit: ${busy}%`);
    });

    /** Whether the kernel's own files for the container's cgroup show bytes written to any device. */
    const cgroupCountsWrites = async (id: string) => {
      const dir = (controller: string) => join('/sys/fs/cgroup', cgroupVersion === 2 ? '' : controller, w.cgroupParent, id);
      if (cgroupVersion === 2) return /wbytes=[1-9]/.test(await readFile(join(dir(''), 'io.stat'), 'utf8'));
      // The bfq files are there only while the BFQ I/O scheduler is loaded (not on a host whose disks use mq-deadline).
      const files = ['blkio.bfq.io_service_bytes_recursive', 'blkio.throttle.io_service_bytes_recursive'];
      const texts = await Promise.all(files.map((f) => readFile(join(dir('blkio'), f), 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? '' : Promise.reject(err)))));
      return texts.some((t) => /^\d+:\d+ Write [1-9]/m.test(t));
    };

    it('has in Prometheus the series no panel asks for, with the values the containers caused', async () => {
      assert.ok(prom, 'Prometheus runs (the previous test started it)');
      const value = async (what: string, q: string, ok: (v: number) => boolean) =>
        until(`${what}: ${q}`, async () => {
          const r = await prom!.query(q);
          return r.length === 1 && ok(Number(r[0]!.value[1])) && Number(r[0]!.value[1]);
        }, 60_000);
      await value('m-busy is throttled', 'container_cpu_cfs_throttled_periods_total{name="m-busy"}', (v) => v > 0);
      await value('throttled time', 'container_cpu_cfs_throttled_seconds_total{name="m-busy"}', (v) => v > 0);
      await value('CFS periods', 'container_cpu_cfs_periods_total{name="m-busy"}', (v) => v > 0);
      await value('m-idle has no quota, so no CFS series', 'absent(container_cpu_cfs_periods_total{name="m-idle"})', (v) => v === 1);
      await value("the OOM killer killed m-idle's child", 'container_oom_events_total{name="m-idle"}', (v) => v >= 1);
      await value('m-idle still runs its shell', 'container_processes{name="m-idle"}', (v) => v >= 1);
      // Block I/O is what the cgroup's io (v2) or blkio (v1) files count: since Linux 6.10 a v1
      // blkio cgroup counts nothing on a device no throttling rule was ever set for (this host's case).
      if (await cgroupCountsWrites((await w.get('m-idle')).status?.containerID as string)) {
        await value("m-idle's O_DIRECT write reached the disk", 'sum(container_fs_writes_bytes_total{name="m-idle"})', (v) => v >= MiB);
      } else {
        await value('no block I/O counted, no series', 'absent(container_fs_writes_bytes_total{name="m-idle"})', (v) => v === 1);
      }
      await value("m-idle's file is in its writable layer", 'container_fs_usage_bytes{name="m-idle"}', (v) => v >= MiB);
      await value('the layer is on a filesystem of some size', 'container_fs_limit_bytes{name="m-idle"}', (v) => v > MiB);
      await value('shares', 'container_spec_cpu_shares{name="m-idle"}', (v) => v > 0);
      await value('last seen, in unix seconds', 'container_last_seen{name="m-busy"}', (v) => v > Date.parse('2020-01-01') / 1000);
      await value("the daemon's CPU", 'process_cpu_seconds_total{job="berth"}', (v) => v > 0);
      await value('controller-runtime errors, none so far', 'controller_runtime_reconcile_errors_total{controller="container"}', (v) => v === 0);
    });
  });
}
