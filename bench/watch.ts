// `npm run bench -- watch [rounds]`: GitOps latency — a manifest written into a watched directory
// until its object is in the store, where the controllers' queue takes it at once (the store's
// change feed enqueues the key): "reconcile started". A daemon (no runtime: only the watcher, the
// store and the feed are measured) watches a directory; each round writes a new generation of a
// Container manifest and waits for the store to say so. No peer does this: kubelet relists static
// pods every 20 s, Flux every minute; the goal from issue 16 (250 ms) is the comparison.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startDaemon } from '../server/daemon.ts';
import { createLogger } from '../server/log.ts';
import { median, report } from './lib.ts';

const GOAL_MS = 250;

export default async function bench(args: string[]): Promise<void> {
  const rounds = Number(args[0] ?? 20);
  const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-watch-'));
  const dir = join(tmp, 'manifests');
  mkdirSync(dir);
  const daemon = await startDaemon({ root: join(tmp, 'root'), socket: join(tmp, 'berth.sock'), watch: [dir] }, createLogger({ write: () => {} }));
  const samples: number[] = [];
  try {
    for (let i = 0; i <= rounds; i++) {
      const seen = new Promise<number>((resolve) => {
        const off = daemon.ctx.store.feed.onObject((c) => {
          if (c.kind === 'Container' && c.name === 'w' && c.type !== 'status' && (c.resource?.spec as { command?: string[] } | undefined)?.command?.[2] === String(i)) {
            off();
            resolve(performance.now());
          }
        });
      });
      const t0 = performance.now();
      writeFileSync(join(dir, 'w.yaml'), `apiVersion: berth.dev/v1\nkind: Container\nmetadata: {name: w}\nspec:\n  image: localhost/none:1\n  command: [sleep, "3600", "${i}"]\n`);
      const t1 = await seen;
      if (i > 0) samples.push(t1 - t0); // the first round warms the watcher up
      await new Promise((r) => setTimeout(r, 50));
    }
    report('watch', median(samples), 'goal', GOAL_MS, 'ms');
  } finally {
    await daemon.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}
