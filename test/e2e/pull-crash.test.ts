// The daemon killed with SIGKILL in the middle of a pull, several times at random points of the
// largest layer's download (slowed by a proxy in front of a real docker-registry): no blob that is
// not whole is ever in the content store, the image is not listed until all of it is there, and
// after each restart the pull is retried from the bytes already downloaded (a Range request) and
// ends with the registry's image, which runs.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildLayoutImage, pushToRegistry, skopeoDigest } from '../fixtures/images.ts';
import { until, world, type World } from './helpers.ts';
import { DaemonProcess } from './leftovers.ts';

const KILLS = 4;
const BIG_MB = 3;

/** A proxy that hands blobs out 16 KiB every 10 ms and notes the Range requests it passes on. */
function slowProxy(upstream: string, ranges: string[]): Promise<{ host: string; server: Server }> {
  const [uh, up] = upstream.split(':') as [string, string];
  const server = createServer((req, res) => {
    if (req.headers.range) ranges.push(req.headers.range);
    const blob = req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '');
    const fwd = request({ host: uh, port: Number(up), method: req.method, path: req.url, headers: { ...req.headers, host: upstream } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      if (!blob) return void r.pipe(res);
      r.on('data', (chunk: Buffer) => {
        r.pause();
        void (async () => {
          for (let o = 0; o < chunk.length && !res.destroyed; o += 16_384) {
            res.write(chunk.subarray(o, o + 16_384));
            await new Promise((t) => setTimeout(t, 10));
          }
          r.resume();
        })();
      });
      r.on('end', () => res.end());
    });
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ host: `127.0.0.1:${(server.address() as { port: number }).port}`, server })));
}

describe('daemon killed during pull', { timeout: 600_000 }, () => {
  let w: World;
  let proxy: { host: string; server: Server };
  let d: DaemonProcess;
  const ranges: string[] = [];
  const content = () => join(w.root, 'content');

  before(async () => {
    w = await world();
    pushToRegistry(buildLayoutImage(join(w.dir, 'big'), 'latest', { extraLayers: [BIG_MB] }).layout, `${w.registry.host}/big/app:1`);
    proxy = await slowProxy(w.registry.host, ranges);
    d = new DaemonProcess({ root: w.root, socket: w.socket, cgroupParent: w.cgroupParent, runtime: 'native' });
  });
  after(async () => {
    await d?.kill('SIGTERM');
    proxy?.server.close();
    await w?.teardown();
  });

  /** Every blob is whole (its bytes hash to its name); index.json parses and names only whole images. */
  function checkStore(ref: string): boolean {
    const blobs = join(content(), 'blobs', 'sha256');
    for (const b of readdirSync(blobs)) assert.equal(createHash('sha256').update(readFileSync(join(blobs, b))).digest('hex'), b, `blob ${b} is not whole`);
    const index = JSON.parse(readFileSync(join(content(), 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations?: Record<string, string> }> };
    const named = index.manifests.find((m) => Object.values(m.annotations ?? {}).includes(ref));
    if (!named) return false;
    const manifest = JSON.parse(readFileSync(join(blobs, named.digest.slice(7)), 'utf8')) as { config: { digest: string }; layers: Array<{ digest: string }> };
    for (const b of [manifest.config, ...manifest.layers]) assert.ok(existsSync(join(blobs, b.digest.slice(7))), `the image names blob ${b.digest}, which is missing`);
    return true;
  }

  const pull = async (ref: string) => {
    for await (const e of d.client.stream<{ status?: string; error?: string }>('POST', '/v1/images/pull', { body: { ref } })) if (e.error) throw new Error(e.error);
  };

  it(`keeps the content store whole through ${KILLS} kills mid-layer, and a retry completes the pull`, async () => {
    const ref = `${proxy.host}/big/app:1`;
    const ingest = join(content(), 'ingest');
    for (let k = 0; k < KILLS; k++) {
      await d.start();
      const listed = (await d.client.json<{ items: Array<{ ref: string }> }>('GET', '/v1/images')).items.some((i) => i.ref === ref);
      assert.equal(listed, false, 'an image whose pull was cut is not listed');
      // Killed once the big layer's ingest has between 10% and 90% of its bytes.
      const at = Math.round((0.1 + 0.8 * Math.random()) * BIG_MB * 1024 * 1024);
      const pulling = pull(ref).catch(() => undefined);
      await until('the big layer half downloaded', () => readdirSync(ingest).some((f) => f.startsWith('pull-') && (statSync(join(ingest, f), { throwIfNoEntry: false })?.size ?? 0) >= at), 120_000);
      await d.kill();
      await pulling;
      assert.equal(checkStore(ref), false, 'the image is not in the store yet');
    }
    await d.start();
    await pull(ref);
    assert.ok(checkStore(ref), 'the image is in the store');
    assert.ok(ranges.some((r) => /^bytes=[1-9]\d*-$/.test(r)), `the download resumed where it was cut (Range requests: ${ranges.join(', ')})`);
    assert.deepEqual(readdirSync(ingest), [], 'no ingest left');
    const img = (await d.client.json<{ items: Array<{ ref: string; digest: string }> }>('GET', '/v1/images')).items.find((i) => i.ref === ref);
    assert.equal(img?.digest, skopeoDigest(`${w.registry.host}/big/app:1`));
    // And it runs: every layer unpacked whole.
    const { name } = await d.client.json<{ name: string }>('POST', '/v1/containers', {
      body: { spec: { image: ref, command: ['sh', '-c', 'cat /etc/motd; wc -c < /blob0.bin'], network: 'host', restartPolicy: 'Never' } },
    });
    const done = await d.client.json<{ exitCode: number }>('GET', `/v1/containers/${name}/wait`);
    assert.equal(done.exitCode, 0);
    const logs: string[] = [];
    for await (const e of d.client.stream<{ log: string }>('GET', `/v1/containers/${name}/logs`)) logs.push(e.log);
    assert.equal(logs.join(''), `welcome to berth\n${BIG_MB * 1024 * 1024}\n`);
    await d.client.send('DELETE', `/v1/containers/${name}`, { query: { force: true } }).then((r) => r.resume());
  });
});
