// `npm run bench -- pull [rounds]`: pulling a ~100 MB image of four layers from a loopback
// docker-registry — `berth pull` (bin/berth as a user runs it, against a daemon) vs `docker pull`
// (Debian's docker.io, a private dockerd) vs `skopeo copy`. docker pull downloads AND unpacks every
// layer, and so does berth's (each layer unpacked from its stored blob once downloaded), so the comparison that
// ends the output is that same work, through each one's CLI. berth's download alone (the image
// service in this process: no CLI has a download-only pull) and skopeo's (download only, into an
// OCI layout) are printed before it. Every round starts cold: berth's image is removed and its
// content pruned, docker's image removed, between rounds (untimed).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ImageService } from '../engine/images/service.ts';
import { ApiClient } from '../cli/client.ts';
import { startDaemon } from '../server/daemon.ts';
import { createLogger } from '../server/log.ts';
import { buildLayoutImage, pushToRegistry } from '../test/fixtures/images.ts';
import { startRegistry } from '../test/fixtures/registry.ts';
import { startDockerd } from './dockerd.ts';
import { removeCgroupParent } from '../test/engine/builder/harness.ts';
import { interleave, median, report } from './lib.ts';

const run = promisify(execFile);
const BERTH = new URL('../bin/berth', import.meta.url).pathname;

export default async function bench(args: string[]): Promise<void> {
  const rounds = Number(args[0] ?? 5);
  const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-pull-'));
  const registry = await startRegistry();
  const ref = `${registry.host}/bench/big:1`;
  pushToRegistry(buildLayoutImage(join(tmp, 'src'), 'v1', { extraLayers: [32, 32, 32] }).layout, ref);
  const dockerd = await startDockerd({ insecureRegistries: [registry.host] });
  const socket = join(tmp, 'berth.sock');
  const daemon = await startDaemon({ root: join(tmp, 'root'), socket, watch: [], runtime: 'native', cgroupParent: `berth-bench-${process.pid}` }, createLogger({ write: () => {} }));
  const client = new ApiClient(socket);
  const env = { ...process.env, BERTH_SOCKET: socket };
  let n = 0;
  const fresh = () => join(tmp, `r${n++}`);
  try {
    const samples = await interleave(
      rounds,
      {
        'berth pull': () => run(BERTH, ['pull', '-q', ref], { env }),
        // Untimed: berth's next pull starts cold (the tag removed, then its blobs and layers).
        'reset berth': async () => {
          await client.json('DELETE', '/v1/images', { query: { ref } });
          await client.json('POST', '/v1/images/prune', { query: { all: true } });
        },
        'berth download': async () => {
          const root = fresh();
          await new ImageService({ root }).pull(ref);
          rmSync(root, { recursive: true, force: true });
        },
        'docker pull': () => dockerd.docker(['pull', '-q', ref]),
        'skopeo copy': async () => {
          const dir = fresh();
          await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${dir}:x`]);
          rmSync(dir, { recursive: true, force: true });
        },
        // Untimed: docker's next pull starts cold.
        'reset docker': () => dockerd.docker(['rmi', '-f', ref]).catch(() => ''),
      },
      { warmup: 1 },
    );
    const m = (k: string) => median(samples[k]!);
    console.log(`bench pull (download only): berth ${m('berth download').toFixed(0)} ms, skopeo ${m('skopeo copy').toFixed(0)} ms, ratio ${(m('berth download') / m('skopeo copy')).toFixed(3)}`);
    report('pull', m('berth pull'), 'docker', m('docker pull'), 'ms');
  } finally {
    await dockerd.stop();
    await daemon.stop();
    await registry.stop();
    rmSync(tmp, { recursive: true, force: true });
    removeCgroupParent(`berth-bench-${process.pid}`);
  }
}
