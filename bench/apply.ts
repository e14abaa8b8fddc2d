// `npm run bench -- apply [rounds]`: what the reconcile loop costs against Docker on this host.
//  1. apply 50 busybox `sleep` containers until all are Running — berth (`berth apply` + waiting on
//     the API) vs `docker-compose up -d` of the same 50 services;
//  2. `berth run --rm IMAGE true` vs `docker run --rm IMAGE true` (bin/berth as a user runs it: its native
//     front answers this run, native/cli-run.c);
//  3. the daemons' resident memory with 100 containers running: berth's daemon vs dockerd+containerd
//     (per-container monitors and shims are not counted on either side); and `ps -a` of those 100
//     through each CLI.
// Each engine's containers on its default bridge network, inside a network namespace made for the
// bench. berth uses its native runtime, Docker runc; both pull the same image from a loopback
// docker-registry beforehand (bench/fleet.ts); all timings are interleaved. The last line compares the apply times.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BERTH, run, sleepCompose, sleepManifests, startFleet, until } from './fleet.ts';
import { insidePrivateNetns, interleave, median, report, rssKiB } from './lib.ts';

const N = 50;

export default async function bench(args: string[]): Promise<void> {
  if (!insidePrivateNetns('apply', args)) return;
  const rounds = Number(args[0] ?? 3);
  const fleet = await startFleet('apply');
  const { image, dockerd, composeEnv } = fleet;
  const env = fleet.berth.env;
  try {
    const manifests = join(fleet.tmp, 'apply.yaml');
    writeFileSync(manifests, sleepManifests(N, image));
    const compose = join(fleet.tmp, 'docker-compose.yml');
    writeFileSync(compose, sleepCompose(N, image));

    const samples = await interleave(
      rounds,
      {
        berth: async () => {
          const running = fleet.whenRunning(N);
          await run(BERTH, ['apply', '-f', manifests], { env });
          await running;
        },
        'docker-compose': () => run('docker-compose', ['-p', 'bench', '-f', compose, 'up', '-d', '--no-color'], { env: composeEnv }),
        // Untimed resets, so that every timed round starts from nothing.
        'reset berth': async () => {
          await run(BERTH, ['delete', '-f', manifests], { env });
          await until('all removed', async () => (await fleet.all()) === 0);
        },
        'reset docker': () => run('docker-compose', ['-p', 'bench', '-f', compose, 'down', '-t', '0'], { env: composeEnv }),
      },
      { warmup: 1 },
    );

    const runs = await interleave(
      Math.max(5, rounds * 3),
      {
        berth: () => run(BERTH, ['run', '--rm', image, 'true'], { env }),
        docker: () => dockerd.docker(['run', '--rm', image, 'true']),
      },
      { warmup: 1 },
    );
    console.log(`bench run: berth ${median(runs.berth!).toFixed(0)} ms, docker ${median(runs.docker!).toFixed(0)} ms, ratio ${(median(runs.berth!) / median(runs.docker!)).toFixed(3)}`);

    // Memory with 100 containers running.
    const hundred = join(fleet.tmp, 'hundred.yaml');
    writeFileSync(hundred, sleepManifests(2 * N, image));
    await run(BERTH, ['apply', '-f', hundred], { env });
    await until('100 Running', async () => (await fleet.running()) === 2 * N);
    const compose100 = join(fleet.tmp, 'docker-compose-100.yml');
    writeFileSync(compose100, sleepCompose(2 * N, image));
    await run('docker-compose', ['-p', 'bench', '-f', compose100, 'up', '-d', '--no-color'], { env: composeEnv });
    const berthRss = rssKiB(fleet.berth.pid);
    const dockerRss = dockerd.rssKiB();
    // `ps -a` with those 100 through each CLI (berth's native front answers it: native/cli-ps.c).
    const listings = await interleave(
      Math.max(5, rounds * 3),
      { berth: () => run(BERTH, ['ps', '-a'], { env }), docker: () => dockerd.docker(['ps', '-a']) },
      { warmup: 1 },
    );
    report('ps-100', median(listings.berth!), 'docker', median(listings.docker!), 'ms');
    console.log(`bench rss-100: berth ${(berthRss / 1024).toFixed(1)} MiB, dockerd+containerd ${(dockerRss / 1024).toFixed(1)} MiB, ratio ${(berthRss / dockerRss).toFixed(3)}`);
    await run('docker-compose', ['-p', 'bench', '-f', compose100, 'down', '-t', '0'], { env: composeEnv });
    await run(BERTH, ['delete', '-f', hundred], { env });
    await until('all removed', async () => (await fleet.all()) === 0);

    report('apply', median(samples.berth!), 'docker-compose', median(samples['docker-compose']!), 'ms');
  } finally {
    await fleet.stop();
  }
}
