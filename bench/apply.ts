// `npm run bench -- apply [rounds]`: what the reconcile loop costs against Docker on this host.
//  1. apply 50 busybox `sleep` containers until all are Running — berth (`berth apply` + waiting on
//     the API) vs `docker-compose up -d` of the same 50 services;
//  2. `berth run --rm IMAGE true` vs `docker run --rm IMAGE true`;
//  3. the daemons' resident memory with 100 containers running: berth's daemon vs dockerd+containerd
//     (per-container monitors and shims are not counted on either side).
// Each container on its engine's default bridge network (a namespace, a veth, an address): berth's
// `berth`, a bridge network `bench` for compose's services, `docker run`'s `bridge` — so both run inside a network
// namespace made for the bench. berth uses its native runtime, Docker runc; both pull the same image
// from a loopback docker-registry beforehand; all timings are interleaved. The last line compares
// the apply times.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ApiClient } from '../cli/client.ts';
import { buildLayoutImage, pushToRegistry } from '../test/fixtures/images.ts';
import { startRegistry } from '../test/fixtures/registry.ts';
import { cleanupRoot } from '../test/e2e/helpers.ts';
import { startDockerd } from './dockerd.ts';
import { insidePrivateNetns, interleave, median, report, rssKiB } from './lib.ts';

const run = promisify(execFile);
const N = 50;
const REPO = fileURLToPath(new URL('..', import.meta.url));
const BERTH = join(REPO, 'bin', 'berth');

async function until(what: string, check: () => Promise<boolean>, limitMs = 300_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export default async function bench(args: string[]): Promise<void> {
  if (!insidePrivateNetns('apply', args)) return;
  const rounds = Number(args[0] ?? 3);
  const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-apply-'));
  const registry = await startRegistry();
  const image = `${registry.host}/bench/busybox:1`;
  pushToRegistry(buildLayoutImage(join(tmp, 'src')).layout, image);
  const dockerd = await startDockerd({ insecureRegistries: [registry.host], bridge: true });
  const root = join(tmp, 'root');
  const socket = join(tmp, 'berth.sock');
  const cgroupParent = `berth-bench-${process.pid}`;
  const env = { ...process.env, BERTH_SOCKET: socket };
  const daemon: ChildProcess = spawn(process.execPath, [BERTH, 'daemon', '--root', root, '--socket', socket, '--runtime', 'native', '--cgroup-parent', cgroupParent], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...env, BERTH_LOG_LEVEL: 'warn' },
  });
  const client = new ApiClient(socket);
  try {
    await until('berth daemon', async () => (await client.json<{ ok: boolean }>('GET', '/v1/ping').catch(() => ({ ok: false }))).ok, 30_000);
    await run(process.execPath, [BERTH, 'pull', image], { env }).catch(async () => {
      // Without `berth pull` (older builds), the first apply pulls.
    });
    await dockerd.docker(['pull', '-q', image]);
    // The services' bridge network, made once as berth's default network is (compose would make and
    // remove one each round, and its removal races the containers' endpoints).
    await dockerd.docker(['network', 'create', 'bench']);

    const manifests = join(tmp, 'apply.yaml');
    writeFileSync(
      manifests,
      Array.from({ length: N }, (_, i) => `apiVersion: berth.dev/v1\nkind: Container\nmetadata: {name: s${i}}\nspec:\n  image: ${image}\n  command: [sleep, "3600"]\n  terminationGracePeriodSeconds: 0\n`).join('---\n'),
    );
    const compose = join(tmp, 'docker-compose.yml');
    writeFileSync(
      compose,
      `version: "2.4"\nnetworks:\n  default:\n    external: {name: bench}\nservices:\n${Array.from({ length: N }, (_, i) => `  s${i}:\n    image: ${image}\n    command: [sleep, "3600"]\n    stop_grace_period: 0s\n`).join('')}`,
    );
    // compose gives up on a request after 60 s by default: too short for 50 containers on a busy host.
    const composeEnv = { ...process.env, DOCKER_HOST: `unix://${dockerd.socket}`, COMPOSE_HTTP_TIMEOUT: '600' };
    const allRunning = async (n: number) => {
      const items = (await client.json<{ items: Array<{ phase: string }> }>('GET', '/v1/containers')).items;
      return items.filter((i) => i.phase === 'Running').length === n;
    };
    const noContainers = async () => (await client.json<{ items: unknown[] }>('GET', '/v1/containers', { query: { all: true } })).items.length === 0;

    const samples = await interleave(
      rounds,
      {
        berth: async () => {
          await run(process.execPath, [BERTH, 'apply', '-f', manifests], { env });
          await until('50 Running', () => allRunning(N));
        },
        'docker-compose': () => run('docker-compose', ['-p', 'bench', '-f', compose, 'up', '-d', '--no-color'], { env: composeEnv }),
        // Untimed resets, so that every timed round starts from nothing.
        'reset berth': async () => {
          await run(process.execPath, [BERTH, 'delete', '-f', manifests], { env });
          await until('all removed', noContainers);
        },
        'reset docker': () => run('docker-compose', ['-p', 'bench', '-f', compose, 'down', '-t', '0'], { env: composeEnv }),
      },
      { warmup: 1 },
    );

    const runs = await interleave(
      Math.max(5, rounds * 3),
      {
        berth: () => run(process.execPath, [BERTH, 'run', '--rm', image, 'true'], { env }),
        docker: () => dockerd.docker(['run', '--rm', image, 'true']),
      },
      { warmup: 1 },
    );
    console.log(`bench run: berth ${median(runs.berth!).toFixed(0)} ms, docker ${median(runs.docker!).toFixed(0)} ms, ratio ${(median(runs.berth!) / median(runs.docker!)).toFixed(3)}`);

    // Memory with 100 containers running.
    const hundred = join(tmp, 'hundred.yaml');
    writeFileSync(hundred, readFileSync(manifests, 'utf8') + '---\n' + readFileSync(manifests, 'utf8').replace(/name: s(\d+)/g, 'name: t$1'));
    await run(process.execPath, [BERTH, 'apply', '-f', hundred], { env });
    await until('100 Running', () => allRunning(2 * N));
    const compose100 = join(tmp, 'docker-compose-100.yml');
    writeFileSync(compose100, readFileSync(compose, 'utf8') + readFileSync(compose, 'utf8').split('services:\n')[1]!.replace(/ {2}s(\d+):/g, '  t$1:'));
    await run('docker-compose', ['-p', 'bench', '-f', compose100, 'up', '-d', '--no-color'], { env: composeEnv });
    const berthRss = rssKiB(daemon.pid!);
    const dockerRss = dockerd.rssKiB();
    console.log(`bench rss-100: berth ${(berthRss / 1024).toFixed(1)} MiB, dockerd+containerd ${(dockerRss / 1024).toFixed(1)} MiB, ratio ${(berthRss / dockerRss).toFixed(3)}`);
    await run('docker-compose', ['-p', 'bench', '-f', compose100, 'down', '-t', '0'], { env: composeEnv });
    await run(process.execPath, [BERTH, 'delete', '-f', hundred], { env });
    await until('all removed', noContainers);

    report('apply', median(samples.berth!), 'docker-compose', median(samples['docker-compose']!), 'ms');
  } finally {
    daemon.kill('SIGTERM');
    if (daemon.exitCode === null) await new Promise((r) => daemon.once('exit', r));
    await cleanupRoot(root, cgroupParent);
    await dockerd.stop();
    await registry.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}
