// The daemon killed with SIGKILL in the middle of a Dockerfile build, at a random moment of each of
// several rounds (while a RUN step's container runs, while a layer is diffed and written): no blob
// that is not whole is ever in the content store, the image is not listed until the build ends,
// what the killed build left (its RUN containers, mounts, cgroups, work directories) is gone once
// the daemon is back, and a retry builds the image, which runs.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { until, world, type World } from './helpers.ts';
import { DaemonProcess, leftovers, nothingLeft, type Leftovers } from './leftovers.ts';

const KILLS = 3;

describe('daemon killed during a build', { timeout: 600_000 }, () => {
  let w: World;
  let d: DaemonProcess;
  let context: string;
  const ref = 'localhost/crash/built:1';
  const content = () => join(w.root, 'content');

  before(async () => {
    w = await world();
    context = join(w.dir, 'ctx');
    await mkdir(context, { recursive: true });
    await writeFile(join(context, 'big.bin'), Buffer.alloc(4 * 1024 * 1024, 7));
    await writeFile(
      join(context, 'Dockerfile'),
      [
        `FROM ${w.image}`,
        'RUN head -c 2000000 /dev/urandom > /a.bin && sleep 0.5',
        'COPY big.bin /big.bin',
        'RUN sleep 1.5 && echo two > /two',
        // Longer than the latest kill (2.8 s after the build starts): on a quiet host the build above
        // can finish before it, and a kill after the image is stored proves nothing.
        'RUN sleep 3 && echo three > /three',
        'CMD ["cat", "/two"]',
        '',
      ].join('\n'),
    );
    d = new DaemonProcess({ root: w.root, socket: w.socket, cgroupParent: w.cgroupParent, runtime: 'native' });
  });
  after(async () => {
    await d?.kill('SIGTERM');
    await w?.teardown();
  });

  /** Every blob is whole (its bytes hash to its name); whether index.json names `ref`. */
  function storeWhole(): boolean {
    const blobs = join(content(), 'blobs', 'sha256');
    if (!existsSync(blobs)) return false;
    for (const b of readdirSync(blobs)) assert.equal(createHash('sha256').update(readFileSync(join(blobs, b))).digest('hex'), b, `blob ${b} is not whole`);
    const indexFile = join(content(), 'index.json');
    if (!existsSync(indexFile)) return false;
    const index = JSON.parse(readFileSync(indexFile, 'utf8')) as { manifests: Array<{ annotations?: Record<string, string> }> };
    return index.manifests.some((m) => Object.values(m.annotations ?? {}).some((v) => v === ref || v.endsWith(`/${ref}`)));
  }

  const build = async (): Promise<void> => {
    for await (const e of d.client.stream<{ error?: string }>('POST', '/v1/build', { query: { t: ref, context } })) if (e.error) throw new Error(e.error);
  };

  /** What a build leaves is the build's: RUN containers' processes, mounts and cgroups (no container objects are made). */
  const buildLeftovers = async (): Promise<Leftovers> => leftovers(w.root, w.cgroupParent, d.proc?.pid);

  it(`keeps the content store whole through ${KILLS} kills mid-build, cleans what they left, and a retry builds`, async () => {
    for (let k = 0; k < KILLS; k++) {
      await d.start();
      const listed = (await d.client.json<{ items: Array<{ ref: string }> }>('GET', '/v1/images')).items.some((i) => i.ref.endsWith(ref));
      assert.equal(listed, false, 'an image whose build was cut is not listed');
      const building = build().catch(() => undefined);
      // Killed somewhere between the first RUN's container and the last step.
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 2500));
      await d.kill();
      await building;
      assert.equal(storeWhole(), false, 'the image is not in the store');
    }
    await d.start();
    // The killed builds' leftovers are cleaned when the daemon starts (or at the first build after it).
    await build();
    assert.ok(storeWhole(), 'the built image is in the store and every blob is whole');
    let left: Leftovers | undefined;
    await until('nothing of the killed builds is left', async () => nothingLeft((left = await buildLeftovers())), 30_000).catch(() => {
      assert.fail(`left behind: ${JSON.stringify(left)}`);
    });
    const work = join(w.root, 'build');
    if (existsSync(join(work, 'work'))) assert.deepEqual(readdirSync(join(work, 'work')), [], 'no build work directory left');
    // And it runs.
    const { name } = await d.client.json<{ name: string }>('POST', '/v1/containers', { body: { spec: { image: ref, network: 'host', restartPolicy: 'Never' } } });
    const done = await d.client.json<{ exitCode: number }>('GET', `/v1/containers/${name}/wait`);
    assert.equal(done.exitCode, 0);
    const logs: string[] = [];
    for await (const e of d.client.stream<{ log: string }>('GET', `/v1/containers/${name}/logs`)) logs.push(e.log);
    assert.equal(logs.join(''), 'two\n');
    await d.client.send('DELETE', `/v1/containers/${name}`, { query: { force: true } }).then((r) => r.resume());
  });
});
