// `npm run bench -- pods [rounds]`: a Pod of 3 containers up — berth (`berth apply` of a Pod of three
// busybox `sleep` containers, until the Pod is Running with all three containers running) against
// Docker's way of sharing one network namespace: three `docker run -d`, the second and third with
// `--network container:FIRST` (and `--ipc container:FIRST`, as a Pod shares IPC too). Both on their
// engine's default bridge network, inside a network namespace made for the bench; interleaved;
// untimed resets between rounds.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BERTH, run, startFleet, until } from './fleet.ts';
import { insidePrivateNetns, interleave, median, report } from './lib.ts';

export default async function bench(args: string[]): Promise<void> {
  if (!insidePrivateNetns('pods', args)) return;
  const rounds = Number(args[0] ?? 5);
  const fleet = await startFleet('pods');
  const { image, dockerd } = fleet;
  const env = fleet.berth.env;
  try {
    const manifest = join(fleet.tmp, 'pod.yaml');
    const container = (n: string) => `  - {name: ${n}, image: ${image}, command: [sleep, '3600']}\n`;
    writeFileSync(manifest, `apiVersion: berth.dev/v1\nkind: Pod\nmetadata: {name: trio}\nspec:\n  terminationGracePeriodSeconds: 0\n  containers:\n${['a', 'b', 'c'].map(container).join('')}`);
    const podRunning = async () => {
      const pod = await fleet.berth.client.json<{ status?: { reason?: string } }>('GET', '/v1/objects/Pod/trio').catch(() => undefined);
      return pod?.status?.reason === 'Running';
    };
    const samples = await interleave(
      rounds,
      {
        berth: async () => {
          await run(BERTH, ['apply', '-f', manifest], { env });
          await until('the Pod runs', podRunning);
        },
        docker: async () => {
          await dockerd.docker(['run', '-d', '--name', 'trio-a', '--ipc', 'shareable', image, 'sleep', '3600']);
          for (const n of ['b', 'c']) await dockerd.docker(['run', '-d', '--name', `trio-${n}`, '--network', 'container:trio-a', '--ipc', 'container:trio-a', image, 'sleep', '3600']);
        },
        'reset berth': async () => {
          await run(process.execPath, [BERTH, 'delete', '-f', manifest], { env });
          await until('all removed', async () => (await fleet.all()) === 0);
        },
        'reset docker': () => dockerd.docker(['rm', '-f', 'trio-c', 'trio-b', 'trio-a']),
      },
      { warmup: 1 },
    );
    report('pods', median(samples.berth!), 'docker run ×3 (--network container:)', median(samples.docker!), 'ms');
  } finally {
    await fleet.stop();
  }
}
