// `npm run bench -- pull [rounds]`: pulling a ~100 MB image of four layers from a loopback
// docker-registry — berth vs `docker pull` (Debian's docker.io, a private dockerd) vs `skopeo copy`.
// docker pull downloads AND unpacks every layer, and so does berth's (`berth pull`, and every pull
// for a container: each layer is unpacked as soon as it has arrived), so the comparison that ends
// the output is that same work. berth's download alone and skopeo's (download only, into an OCI
// layout) are printed before it. Every round starts cold.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ImageService } from '../engine/images/service.ts';
import { buildLayoutImage, pushToRegistry } from '../test/fixtures/images.ts';
import { startRegistry } from '../test/fixtures/registry.ts';
import { startDockerd } from './dockerd.ts';
import { interleave, median, report } from './lib.ts';

const run = promisify(execFile);

export default async function bench(args: string[]): Promise<void> {
  const rounds = Number(args[0] ?? 5);
  const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-pull-'));
  const registry = await startRegistry();
  const ref = `${registry.host}/bench/big:1`;
  pushToRegistry(buildLayoutImage(join(tmp, 'src'), 'v1', { extraLayers: [32, 32, 32] }).layout, ref);
  const dockerd = await startDockerd({ insecureRegistries: [registry.host] });
  let n = 0;
  const fresh = () => join(tmp, `r${n++}`);
  try {
    const samples = await interleave(
      rounds,
      {
        'berth pull+unpack': async () => {
          const root = fresh();
          await new ImageService({ root }).pull(ref, undefined, { unpack: true });
          rmSync(root, { recursive: true, force: true });
        },
        'berth pull': async () => {
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
    console.log(`bench pull (download only): berth ${m('berth pull').toFixed(0)} ms, skopeo ${m('skopeo copy').toFixed(0)} ms, ratio ${(m('berth pull') / m('skopeo copy')).toFixed(3)}`);
    report('pull', m('berth pull+unpack'), 'docker', m('docker pull'), 'ms');
  } finally {
    await dockerd.stop();
    await registry.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}
