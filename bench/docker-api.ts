// `npm run bench -- docker-api [rounds] [services]`: the same Docker tools against berth's Docker
// Engine API socket and against dockerd (Debian's docker.io, a private one: bench/dockerd.ts), in
// one run, interleaved, on the same busybox image pulled from a loopback registry:
//   run:     `docker run --rm IMG true`
//   ps:      `docker ps -a` with 100 containers made (`docker create`, not started: the listing's cost,
//            not 200 sleeping processes on a small host)
//   compose: `docker-compose up -d` of a project of <services> (50) services, each `sleep`, until
//            `docker ps` shows them all running; its `down` is not timed
// Both engines give their containers their default bridge network, so the bench runs in a network
// namespace of its own (lib.ts insidePrivateNetns). The last line is compose's: the figure a user
// waits on most (seconds, where run and ps take a fraction of one).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cleanupRoot } from '../test/e2e/helpers.ts';
import { spawnDaemon } from '../test/e2e/terminal-harness.ts';
import { buildLayoutImage, pushToRegistry } from '../test/fixtures/images.ts';
import { startRegistry } from '../test/fixtures/registry.ts';
import { startDockerd } from './dockerd.ts';
import { insidePrivateNetns, interleave, median, report } from './lib.ts';

const run = promisify(execFile);
const DOCKER = '/usr/bin/docker';
const COMPOSE = '/usr/bin/docker-compose';

/** The docker CLI and docker-compose against one engine's socket. */
function client(socket: string, dir: string) {
  const env = { PATH: process.env.PATH ?? '', DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(dir, 'docker-config') };
  return {
    docker: async (args: string[]) => (await run(DOCKER, args, { env, maxBuffer: 1 << 26 })).stdout,
    compose: async (file: string, args: string[]) => (await run(COMPOSE, ['--ansi', 'never', '-p', 'bench', '-f', file, ...args], { env, cwd: dir, maxBuffer: 1 << 26 })).stdout,
  };
}

/** `n` at a time until every item is done (the creates of 100 containers: setup, not timed). */
async function inBatches<T>(items: T[], n: number, f: (x: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += n) await Promise.all(items.slice(i, i + n).map(f));
}

const composeFile = (image: string, services: number) =>
  `version: "2.4"\nservices:\n${Array.from({ length: services }, (_, i) => `  s${i}:\n    image: ${image}\n    command: ["sleep", "1000"]\n`).join('')}`;

export default async function bench(args: string[]): Promise<void> {
  if (!insidePrivateNetns('docker-api', args)) return;
  const rounds = Number(args[0] ?? 5);
  const services = Number(args[1] ?? 50);
  const listed = 100;
  const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-docker-api-'));
  const registry = await startRegistry();
  const image = `${registry.host}/bench/busybox:1`;
  pushToRegistry(buildLayoutImage(join(tmp, 'src')).layout, image);
  const dockerd = await startDockerd({ insecureRegistries: [registry.host], bridge: true });
  const root = join(tmp, 'root');
  const cgroupParent = `berth-bench-${randomBytes(3).toString('hex')}`;
  const daemon = await spawnDaemon({ root, socket: join(tmp, 'berth.sock'), dir: tmp, cgroupParent, runtime: 'native' });
  const engines = { berth: client(join(tmp, 'docker.sock'), tmp), dockerd: client(dockerd.socket, tmp) };
  const file = join(tmp, 'docker-compose.yml');
  writeFileSync(file, composeFile(image, services));
  try {
    for (const e of Object.values(engines)) await e.docker(['pull', '-q', image]);

    const runs = await interleave(rounds, { berth: () => engines.berth.docker(['run', '--rm', image, 'true']), dockerd: () => engines.dockerd.docker(['run', '--rm', image, 'true']) }, { warmup: 1 });
    report('docker-api-run', median(runs.berth!), 'dockerd', median(runs.dockerd!), 'ms');

    const names = Array.from({ length: listed }, (_, i) => `listed-${i}`);
    for (const e of Object.values(engines)) await inBatches(names, 10, (n) => e.docker(['create', '--name', n, image, 'true']));
    const ps = await interleave(rounds, { berth: () => engines.berth.docker(['ps', '-a']), dockerd: () => engines.dockerd.docker(['ps', '-a']) }, { warmup: 1 });
    const rows = { berth: (await engines.berth.docker(['ps', '-aq'])).split('\n').filter(Boolean).length, dockerd: (await engines.dockerd.docker(['ps', '-aq'])).split('\n').filter(Boolean).length };
    if (rows.berth !== listed || rows.dockerd !== listed) throw new Error(`ps -a listed ${rows.berth} (berth) and ${rows.dockerd} (dockerd) containers, not ${listed}`);
    report(`docker-api-ps-${listed}`, median(ps.berth!), 'dockerd', median(ps.dockerd!), 'ms');
    for (const e of Object.values(engines)) await e.docker(['rm', ...names]);

    /** Until every service of the project runs (up -d returned: at once for dockerd), or a minute has passed. */
    const allRunning = async (e: ReturnType<typeof client>, name: string) => {
      for (let i = 0; ; i++) {
        const running = (await e.docker(['ps', '-q', '--filter', 'label=com.docker.compose.project=bench'])).split('\n').filter(Boolean).length;
        if (running === services) return;
        if (i === 600) throw new Error(`${name}: ${running} of the ${services} services run a minute after up -d:\n${await e.docker(['ps', '-a', '--filter', 'status=exited', '--filter', 'status=created', '--filter', 'status=restarting'])}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    // up -d until every service runs, timed; each down after its sample, untimed. Round -1 is the warm-up.
    const up: Record<'berth' | 'dockerd', number[]> = { berth: [], dockerd: [] };
    for (let round = -1; round < rounds; round++) {
      for (const name of ['berth', 'dockerd'] as const) {
        const t0 = performance.now();
        await engines[name].compose(file, ['up', '-d']);
        await allRunning(engines[name], name);
        const ms = performance.now() - t0;
        await engines[name].compose(file, ['down', '-t', '1']);
        if (round >= 0) up[name].push(ms);
      }
    }
    console.log(`compose up -d of ${services} services, ${rounds} rounds: berth ${up.berth.map((x) => x.toFixed(0)).join(' ')} ms; dockerd ${up.dockerd.map((x) => x.toFixed(0)).join(' ')} ms`);
    report('docker-api', median(up.berth) / 1000, 'dockerd', median(up.dockerd) / 1000, 's');
  } finally {
    await daemon.stop().catch(() => undefined);
    await dockerd.stop();
    await cleanupRoot(root, cgroupParent);
    await registry.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}
