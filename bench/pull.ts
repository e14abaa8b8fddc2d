// `npm run bench -- pull [rounds]`: pulling a ~100 MB image of four layers from a loopback
// docker-registry, in two parts, each interleaved and cold (every round starts from nothing:
// untimed resets between, each followed by settle()).
//  - Download only, before any daemon starts: berth's image service in this process (no CLI has a
//    download-only pull) against `skopeo copy` into an OCI layout.
//  - The whole pull, through each one's CLI: `berth pull` (bin/berth, against a daemon started as a
//    user starts it: fleet.ts spawnBerthDaemon) against `docker pull` (Debian's docker.io, a private
//    dockerd). Both download AND unpack every layer (berth's each from its stored blob once
//    downloaded); this comparison ends the output.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ImageService } from '../engine/images/service.ts';
import { buildLayoutImage, pushToRegistry } from '../test/fixtures/images.ts';
import { startRegistry } from '../test/fixtures/registry.ts';
import { startDockerd } from './dockerd.ts';
import { spawnBerthDaemon } from './fleet.ts';
import { interleave, median, report } from './lib.ts';

const run = promisify(execFile);
const BERTH = new URL('../bin/berth', import.meta.url).pathname;

/**
 * Untimed, between two timed steps: what the last one wrote is written back (sync), so that no step
 * pays for the writeback of the one before it.
 */
async function settle(): Promise<void> {
  await run('sync', []);
}

export default async function bench(args: string[]): Promise<void> {
  const rounds = Number(args[0] ?? 5);
  const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-pull-'));
  const registry = await startRegistry();
  const ref = `${registry.host}/bench/big:1`;
  pushToRegistry(buildLayoutImage(join(tmp, 'src'), 'v1', { extraLayers: [32, 32, 32] }).layout, ref);
  await settle();
  let n = 0;
  const fresh = () => join(tmp, `r${n++}`);
  // Download only, with nothing else running but the registry: berth's image service in this process
  // (no CLI has a download-only pull) against skopeo into an OCI layout. Measured before any daemon
  // starts: with dockerd and a berth daemon idle beside it, eight downloads in a row took 470-600 ms
  // and 450-700 ms instead of 400-500 ms alone.
  const download = await interleave(
    rounds,
    {
      'berth download': async () => {
        const root = fresh();
        await new ImageService({ root }).pull(ref);
        rmSync(root, { recursive: true, force: true });
      },
      'settle after berth': settle,
      'skopeo copy': async () => {
        const dir = fresh();
        await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${dir}:x`]);
        rmSync(dir, { recursive: true, force: true });
      },
      'settle after skopeo': settle,
    },
    { warmup: 1 },
  ).catch(async (err) => {
    await registry.stop();
    throw err;
  });
  const dockerd = await startDockerd({ insecureRegistries: [registry.host] });
  const daemon = await spawnBerthDaemon(tmp).catch(async (err) => {
    await dockerd.stop();
    await registry.stop();
    throw err;
  });
  const { client, env } = daemon;
  try {
    const samples = await interleave(
      rounds,
      {
        'berth pull': () => run(BERTH, ['pull', '-q', ref], { env }),
        // Untimed: berth's next pull starts cold (the tag removed, then its blobs and layers).
        'reset berth': async () => {
          await client.json('DELETE', '/v1/images', { query: { ref } });
          await client.json('POST', '/v1/images/prune', { query: { all: true } });
          await settle();
        },
        'docker pull': () => dockerd.docker(['pull', '-q', ref]),
        // Untimed: docker's next pull starts cold.
        'reset docker': async () => {
          await dockerd.docker(['rmi', '-f', ref]).catch(() => '');
          await settle();
        },
      },
      { warmup: 1 },
    );
    const [berthDl, skopeo] = [median(download['berth download']!), median(download['skopeo copy']!)];
    console.log(`bench pull (download only): berth ${berthDl.toFixed(0)} ms, skopeo ${skopeo.toFixed(0)} ms, ratio ${(berthDl / skopeo).toFixed(3)}`);
    report('pull', median(samples['berth pull']!), 'docker', median(samples['docker pull']!), 'ms');
  } finally {
    await dockerd.stop();
    await daemon.stop();
    await registry.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}
