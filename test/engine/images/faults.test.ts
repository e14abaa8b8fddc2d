// Faults between berth and the registry, made by a proxy the test puts in front of a real
// docker-registry: a connection dropped mid-layer (resumed with Range), wrong bytes for a digest
// (refused, nothing committed), 5xx answers (retried).
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImageService } from '../../../engine/images/service.ts';
import { InvalidArgumentError } from '../../../specs/errdefs.ts';
import { buildLayoutImage, pushToRegistry } from '../../fixtures/images.ts';
import { startRegistry, type TestRegistry } from '../../fixtures/registry.ts';

interface Faults {
  /** Blob digests whose first GET is cut after half the bytes. */
  drop: Set<string>;
  /** Blob digests served with one byte changed. */
  corrupt: Set<string>;
  /** How many requests to answer 503 before passing them on. */
  fail503: number;
  ranges: string[];
}

function startProxy(upstream: string, faults: Faults): Promise<{ host: string; server: Server }> {
  const [uh, up] = upstream.split(':') as [string, string];
  const server = createServer((req, res) => {
    if (faults.fail503 > 0) {
      faults.fail503--;
      res.writeHead(503).end();
      return;
    }
    if (req.headers.range) faults.ranges.push(req.headers.range);
    const digest = /\/blobs\/(sha256:[a-f0-9]{64})$/.exec(req.url ?? '')?.[1];
    const fwd = request({ host: uh, port: Number(up), method: req.method, path: req.url, headers: { ...req.headers, host: upstream } }, (r) => {
      if (digest && req.method === 'GET' && (faults.drop.has(digest) || faults.corrupt.has(digest)) && r.statusCode === 200) {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => {
          const body = Buffer.concat(chunks);
          res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
          if (faults.drop.has(digest)) {
            faults.drop.delete(digest);
            res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy());
          } else {
            body[body.length >> 1] ^= 0xff;
            res.end(body);
          }
        });
        return;
      }
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ host: `127.0.0.1:${(server.address() as { port: number }).port}`, server })));
}

describe('images: registry faults', () => {
  let reg: TestRegistry;
  let tmp: string;
  let proxy: { host: string; server: Server };
  const faults: Faults = { drop: new Set(), corrupt: new Set(), fail503: 0, ranges: [] };
  let layers: string[] = [];

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'berth-faults-'));
    reg = await startRegistry();
    const img = buildLayoutImage(join(tmp, 'src'));
    pushToRegistry(img.layout, `${reg.host}/f/app:1`);
    proxy = await startProxy(reg.host, faults);
    const probe = new ImageService({ root: join(tmp, 'probe') });
    layers = (await probe.pull(`${reg.host}/f/app:1`)).layers.map((l) => l.digest);
  });
  after(async () => {
    proxy?.server.close();
    await reg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('resumes a layer whose connection dropped mid-way (Range)', async () => {
    const svc = new ImageService({ root: join(tmp, 'r1') });
    faults.drop.add(layers[0]!);
    // Unpacked as it downloads: the dropped layer's unpacking starts over from the stored file.
    const rec = await svc.pull(`${proxy.host}/f/app:1`, undefined, { unpack: true });
    for (const id of rec.chainIds) assert.ok(existsSync(svc.snapshots.layerDir(id)), `layer ${id} unpacked`);
    assert.equal(faults.drop.size, 0, 'the drop happened');
    // From the very byte the cut stopped at: every byte that arrived was kept (content/store.ts putStream).
    const half = rec.layers.find((l) => l.digest === layers[0])!.size >> 1;
    assert.ok(faults.ranges.includes(`bytes=${half}-`), `a Range request resumed it at byte ${half}: ${faults.ranges}`);
    assert.ok(svc.content.has(layers[0]!));
    assert.equal(rec.layers.length, 3);
  });

  it('refuses wrong bytes for a digest and commits nothing', async () => {
    const svc = new ImageService({ root: join(tmp, 'r2') });
    faults.corrupt.add(layers[0]!);
    try {
      await assert.rejects(svc.pull(`${proxy.host}/f/app:1`), (e: Error) => e instanceof InvalidArgumentError && e.message.includes(layers[0]!));
    } finally {
      faults.corrupt.clear();
    }
    assert.ok(!svc.content.has(layers[0]!));
    assert.deepEqual(svc.content.index().manifests, [], 'no image recorded');
    assert.deepEqual(readdirSync(join(tmp, 'r2', 'content', 'ingest')), [], 'no partial download left');
  });

  it('retries 5xx answers', async () => {
    const svc = new ImageService({ root: join(tmp, 'r3') });
    faults.fail503 = 2;
    const rec = await svc.pull(`${proxy.host}/f/app:1`);
    assert.equal(faults.fail503, 0);
    assert.equal(rec.layers.length, 3);
  });
  it('after a stop between a layer\'s last byte and its commit: the whole ingest is committed without a request; a longer one is started over', async () => {
    const root = join(tmp, 'r4');
    const ingest = join(root, 'content', 'ingest');
    mkdirSync(ingest, { recursive: true });
    const probe = new ImageService({ root: join(tmp, 'probe') });
    // Layer 0's ingest whole, as a daemon killed before the rename leaves it; layer 1's with a byte too many.
    copyFileSync(probe.content.blobPath(layers[0]!), join(ingest, `pull-${layers[0]!.slice(7)}`));
    copyFileSync(probe.content.blobPath(layers[1]!), join(ingest, `pull-${layers[1]!.slice(7)}`));
    writeFileSync(join(ingest, `pull-${layers[1]!.slice(7)}`), 'x', { flag: 'a' });
    faults.ranges.length = 0;
    const svc = new ImageService({ root });
    const rec = await svc.pull(`${proxy.host}/f/app:1`, undefined, { unpack: true });
    for (const id of rec.chainIds) assert.ok(existsSync(svc.snapshots.layerDir(id)), `layer ${id} unpacked`);
    assert.ok(svc.content.has(layers[0]!) && svc.content.has(layers[1]!));
    assert.deepEqual(faults.ranges, [], 'no Range request (none could be answered: 416)');
    assert.deepEqual(readdirSync(ingest), []);
  });
});
