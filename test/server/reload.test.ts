// The daemon as a service, as systemd runs it: `berth daemon --config-file daemon.json` (a real
// process), `berth info` showing the settings and their sources, Docker Hub pulls through a
// mirror (two real registries on 127.0.0.1 stand in for two mirrors; Docker Hub is never
// contacted), and SIGHUP reloads: live settings applied with a running container untouched,
// restart-only changes reported as needing a restart, invalid files refused whole.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiClient } from '../../cli/client.ts';
import type { ContainerStatus } from '../../specs/api/containers.ts';
import type { DaemonInfo } from '../../specs/api/system.ts';
import { cleanupRoot } from '../e2e/helpers.ts';
import { buildLayoutImage, pushToRegistry, skopeoDigest } from '../fixtures/images.ts';
import { BERTH, berth, tempDir, until } from '../fixtures/helpers.ts';
import { startRegistry, type TestRegistry } from '../fixtures/registry.ts';

describe('berth daemon --config-file: info, mirrors, SIGHUP reload', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let mirrorA: TestRegistry;
  let mirrorB: TestRegistry;
  let proc: ChildProcess;
  let stderr = '';
  let file: string;
  let root: string;
  let socket: string;
  let client: ApiClient;
  const cgroupParent = `berth-reload-${randomBytes(3).toString('hex')}`;
  const config = (extra: Record<string, unknown> = {}) =>
    JSON.stringify({ 'data-root': root, hosts: [`unix://${socket}`], 'registry-mirrors': [`http://${mirrorA.host}`], 'log-level': 'info', 'cgroup-parent': cgroupParent, labels: ['site=lab'], ...extra }, null, 2);
  const info = () => client.json<DaemonInfo>('GET', '/v1/info');
  const container = async (name: string) => (await client.json<{ status?: ContainerStatus }>('GET', `/v1/objects/container/${name}`)).status;
  /** Sends SIGHUP and waits for the reload it causes to be reported. */
  const hangup = async () => {
    const before = (await info()).lastReload?.at;
    proc.kill('SIGHUP');
    return until('the reload is reported', async () => {
      const r = (await info()).lastReload;
      return r && r.at !== before && r;
    });
  };

  before(async () => {
    tmp = await tempDir();
    [mirrorA, mirrorB] = await Promise.all([startRegistry(), startRegistry()]);
    // Two different images named docker.io/library/busybox:latest, one per mirror.
    pushToRegistry(buildLayoutImage(join(tmp.path, 'a')).layout, `${mirrorA.host}/library/busybox:latest`);
    pushToRegistry(buildLayoutImage(join(tmp.path, 'b'), 'latest', { extraLayers: [1] }).layout, `${mirrorB.host}/library/busybox:latest`);
    root = join(tmp.path, 'root');
    socket = join(tmp.path, 'berth.sock');
    file = join(tmp.path, 'daemon.json');
    await writeFile(file, config());
    client = new ApiClient(socket);
    const env = { ...process.env };
    delete env.BERTH_SOCKET;
    delete env.BERTH_LOG_LEVEL;
    proc = spawn(process.execPath, [BERTH, 'daemon', '--config-file', file], { stdio: ['ignore', 'ignore', 'pipe'], env });
    proc.stderr!.on('data', (d) => (stderr += d));
    await until('the daemon serves', async () => (await client.json<{ ok: boolean }>('GET', '/v1/ping')).ok);
  });
  after(async () => {
    await client?.json('DELETE', '/v1/objects/container/c1').catch(() => undefined);
    await until('c1 is removed', async () => !(await client.json<{ items: Array<{ name: string }> }>('GET', '/v1/containers', { query: { all: true } })).items.length).catch(() => undefined);
    if (proc && proc.exitCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
    await cleanupRoot(root, cgroupParent);
    await Promise.all([mirrorA?.stop(), mirrorB?.stop()]);
    await tmp?.remove();
  });

  it('shows the settings in force and where each came from', async () => {
    const i = await info();
    assert.equal(i.configFile, file);
    const byKey = Object.fromEntries(i.settings.map((s) => [s.key, s]));
    assert.deepEqual(byKey['registry-mirrors'], { key: 'registry-mirrors', value: [`http://${mirrorA.host}`], source: 'file', where: `${file}:6:3`, live: true });
    assert.deepEqual(byKey['data-root'], { key: 'data-root', value: root, source: 'file', where: `${file}:2:3`, live: false });
    assert.deepEqual(byKey.runtime, { key: 'runtime', value: 'native', source: 'default', live: false });
    const table = await berth(['info'], { socket });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, new RegExp(`^Configuration File: ${file}$`, 'm'));
    assert.match(table.stdout, new RegExp(`^labels\\s+\\["site=lab"\\]\\s+file\\s+${file}:\\d+:3\\s+live$`, 'm'));
    assert.match(table.stdout, /^max-concurrent-downloads\s+3\s+default\s+-\s+live$/m);
  });

  it('pulls a Docker Hub image through the mirror, named as on Docker Hub', async () => {
    const r = await berth(['pull', 'busybox'], { socket });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`pulling through mirror http://${mirrorA.host}`));
    assert.equal(r.stdout, `Digest: ${skopeoDigest(`${mirrorA.host}/library/busybox:latest`)}\nStatus: Downloaded newer image for docker.io/library/busybox:latest\ndocker.io/library/busybox:latest\n`);
    const images = await berth(['images'], { socket });
    assert.match(images.stdout, /^busybox\s+latest\s/m);
  });

  it('applies log-level and registry-mirrors on SIGHUP, leaving a running container alone', async () => {
    const manifest = 'apiVersion: berth.dev/v1\nkind: Container\nmetadata: {name: c1}\nspec:\n  image: busybox:latest\n  command: [sleep, "600"]\n  network: host\n  terminationGracePeriodSeconds: 1\n';
    await client.json('POST', '/v1/apply', { body: { documents: [{ file: join(tmp.path, 'c1.yaml'), text: manifest }] } });
    const running = await until('c1 runs', async () => {
      const s = await container('c1');
      return s?.phase === 'Running' && !!s.pid && s;
    }, 60_000);
    assert.doesNotMatch(stderr, /DEBUG/);

    await writeFile(file, config({ 'log-level': 'debug', 'registry-mirrors': [`http://${mirrorB.host}`] }));
    const r = await hangup();
    assert.deepEqual(r, { at: r.at, applied: true, changed: ['registry-mirrors', 'log-level'] });
    assert.match(stderr, /INFO {2}configuration reloaded changed=registry-mirrors,log-level\n/);
    // The next log line at debug level is written, and the next pull goes to the new mirror.
    await until('a debug line', () => /DEBUG api method=GET path=\/v1\/info/.test(stderr));
    const pulled = await berth(['pull', 'busybox'], { socket });
    assert.match(pulled.stdout, new RegExp(`^Digest: ${skopeoDigest(`${mirrorB.host}/library/busybox:latest`)}$`, 'm'));
    const now = await container('c1');
    assert.deepEqual([now?.phase, now?.pid, now?.startedAt, now?.restartCount], ['Running', running.pid, running.startedAt, 0]);
    const byKey = Object.fromEntries((await info()).settings.map((s) => [s.key, s.value]));
    assert.equal(byKey['log-level'], 'debug');
  });

  it('applies the live settings of a reload and reports the restart-only ones as needing a restart', async () => {
    const other = join(tmp.path, 'other');
    await writeFile(file, config({ 'log-level': 'debug', 'registry-mirrors': [`http://${mirrorB.host}`], 'data-root': other, 'cgroup-parent': 'elsewhere', labels: ['site=lab', 'tier=edge'] }));
    const r = await hangup();
    assert.deepEqual(r, { at: r.at, applied: true, changed: ['labels'], needsRestart: ['data-root', 'cgroup-parent'] });
    // The daemon's stderr is a pipe: its line may come after the API's answer.
    const warned = /WARN {2}data-root, cgroup-parent changed in the configuration but cannot change while the daemon runs; the running values are kept until a restart \(systemctl restart berth\) needsRestart=data-root,cgroup-parent\n/;
    await until('the warning in the log', () => warned.test(stderr), 10_000).catch(() => undefined);
    assert.match(stderr, warned);
    const byKey = Object.fromEntries((await info()).settings.map((s) => [s.key, s]));
    assert.deepEqual(byKey.labels?.value, ['site=lab', 'tier=edge']);
    assert.deepEqual([byKey['data-root']?.value, byKey['data-root']?.pending], [root, other]);
    assert.deepEqual([byKey['cgroup-parent']?.value, byKey['cgroup-parent']?.pending], [cgroupParent, 'elsewhere']);
    assert.equal(byKey['log-level']?.pending, undefined);
    const table = await berth(['info'], { socket });
    assert.match(table.stdout, /^Last Reload: \S+ applied \(changed: labels\)$/m);
    assert.match(table.stdout, /^Needs A Restart: data-root, cgroup-parent$/m);
    assert.match(table.stdout, new RegExp(`^data-root\\s+${root}\\s+file\\s+\\S+\\s+restart: pending ${other}$`, 'm'));
    assert.equal((await container('c1'))?.phase, 'Running');
  });

  it('refuses an invalid file on reload, naming the place, and keeps running', async () => {
    await writeFile(file, '{\n  "log-level": "debug",\n  "registry-mirrors": "x"\n}\n');
    const r = await hangup();
    assert.equal(r.applied, false);
    assert.equal(r.error, `${file}:3:23: registry-mirrors: expected a list, got string "x"\n1 problem in ${file}`);
    assert.match(stderr, /ERROR configuration not reloaded; the running settings are kept: .*daemon\.json:3:23: registry-mirrors: expected a list/);
    const byKey = Object.fromEntries((await info()).settings.map((s) => [s.key, s.value]));
    assert.deepEqual([byKey.labels, byKey['registry-mirrors']], [['site=lab', 'tier=edge'], [`http://${mirrorB.host}`]]);
    assert.deepEqual(await client.json('GET', '/v1/ping'), { ok: true });
    assert.equal((await container('c1'))?.phase, 'Running');
  });

  it('--validate checks a file without starting anything', async () => {
    const sock = join(tmp.path, 'validate.sock');
    const good = join(tmp.path, 'good.json');
    await writeFile(good, JSON.stringify({ hosts: [`unix://${sock}`], 'data-root': join(tmp.path, 'v'), 'registry-mirrors': ['https://mirror.example'] }));
    const ok = await berth(['daemon', '--validate', '--config-file', good]);
    assert.deepEqual([ok.code, ok.stdout], [0, `configuration OK (${good})\n`]);
    const bad = await berth(['daemon', '--validate', '--config-file', file]);
    assert.deepEqual([bad.code, bad.stderr], [1, `error: ${file}:3:23: registry-mirrors: expected a list, got string "x"\n1 problem in ${file}\n`]);
    const both = await berth(['daemon', '--config-file', good, '--registry-mirror', 'https://other.example']);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /registry-mirrors is given both in the file \(\["https:\/\/mirror.example"\]\) and as flag --registry-mirror \(\["https:\/\/other.example"\]\); keep one of the two/);
    assert.equal(existsSync(sock) || existsSync(join(tmp.path, 'v')), false, 'nothing was started');
  });
});
