// /metrics of a daemon running real containers: it passes `promtool check metrics`, and a real
// Prometheus started by the test scrapes it and answers a query for each container's CPU.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../fixtures/registry.ts';
import { apply, containerManifest, phase, until, world, type World } from './helpers.ts';

describe('metrics of real containers', () => {
  let w: World;
  let metricsAddr: string;
  let prom: ChildProcess | undefined;
  const names = ['m-busy', 'm-idle'];

  before(async () => {
    w = await world();
    metricsAddr = `127.0.0.1:${await freePort()}`;
    await w.start({ metricsAddr });
    await apply(
      w,
      containerManifest('m-busy', w.image, `  command: [sh, -c, "trap 'exit 0' TERM; while true; do :; done"]\n  resources: {limits: {cpu: 200m, memory: 16Mi}}\n  terminationGracePeriodSeconds: 1\n`),
      containerManifest('m-idle', w.image, `  command: [sh, -c, "trap 'exit 0' TERM; while true; do sleep 0.5; done"]\n  terminationGracePeriodSeconds: 1\n`),
    );
    for (const n of names) await until(`${n} Running`, async () => phase(await w.get(n)) === 'Running');
  });
  after(async () => {
    prom?.kill('SIGTERM');
    if (prom && prom.exitCode === null) await new Promise((r) => prom!.once('exit', r));
    await w?.teardown();
  });

  it('exposes cAdvisor and controller series that promtool accepts', async () => {
    const text = await until('container series', async () => {
      const t = await (await fetch(`http://${metricsAddr}/metrics`)).text();
      return names.every((n) => t.includes(`container_cpu_usage_seconds_total{name="${n}"`)) && t;
    });
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(lint.status, 0, lint.stdout + lint.stderr);
    assert.match(text, /container_spec_memory_limit_bytes\{name="m-busy",image="[^"]+",id="[0-9a-f]{64}"\} 16777216/);
    assert.match(text, /berth_container_state\{name="m-idle",state="Running"\} 1/);
    assert.match(text, /controller_runtime_reconcile_total\{controller="container",result="success"\} \d+/);
  });

  it('is scraped by Prometheus, which answers a CPU query for each container', async () => {
    const dir = join(w.dir, 'prometheus');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: berth\n    static_configs: [{targets: ["${metricsAddr}"]}]\n`,
    );
    const port = await freePort();
    prom = spawn(
      'prometheus',
      [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: 'ignore' },
    );
    const q = encodeURIComponent('sum by (name) (rate(container_cpu_usage_seconds_total{job="berth"}[5s]))');
    const result = await until(
      'Prometheus has a CPU rate for both containers',
      async () => {
        const r = (await (await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${q}`)).json()) as {
          data: { result: Array<{ metric: { name: string }; value: [number, string] }> };
        };
        return names.every((n) => r.data.result.some((s) => s.metric.name === n)) && r.data.result;
      },
      60_000,
    );
    const busy = Number(result.find((s) => s.metric.name === 'm-busy')!.value[1]);
    const idle = Number(result.find((s) => s.metric.name === 'm-idle')!.value[1]);
    assert.ok(busy > idle, `the busy container uses more CPU (${busy}) than the idle one (${idle})`);
    assert.ok(busy <= 0.3, `and no more than its 200m limit allows (${busy})`);
  });
});
