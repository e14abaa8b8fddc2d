// The blob GET on a connection of its own (engine/registry/bulk-get.ts) and the pooled ingest
// writer (engine/content/chunks.ts), against real sockets: a server that writes the exact bytes
// of each answer, in pieces cut where the test says.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { writeChunks, type ChunkSource } from '../../../engine/content/chunks.ts';
import { bulkGet } from '../../../engine/registry/bulk-get.ts';
import { send } from '../../../engine/registry/transport.ts';

/** A server answering each connection with `answer(request head, socket)`. */
async function server(answer: (head: string, s: Socket) => void): Promise<{ url: string; close(): Promise<void>; heads: string[] }> {
  const heads: string[] = [];
  const srv: Server = createServer((s) => {
    let got = '';
    s.on('data', (d) => {
      got += d.toString('latin1');
      const end = got.indexOf('\r\n\r\n');
      if (end < 0) return;
      heads.push(got.slice(0, end));
      answer(got.slice(0, end), s);
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(srv.address() as { port: number }).port}`, heads, close: () => new Promise((r) => srv.close(() => r())) };
}

/** Writes `parts` one after the other, each in its own write (so the reads see them apart). */
async function writeParts(s: Socket, parts: Buffer[]): Promise<void> {
  for (const p of parts) {
    await new Promise<void>((r) => s.write(p, () => r()));
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function collect(src: ChunkSource): Promise<Buffer> {
  const parts: Buffer[] = [];
  await src.flow((c) => parts.push(Buffer.from(c)) > 0);
  return Buffer.concat(parts);
}

function chunked(body: Buffer, sizes: number[]): Buffer {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < body.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, body.length - at);
    out.push(Buffer.from(`${n.toString(16)}${i % 2 ? ';ext=1' : ''}\r\n`), body.subarray(at, at + n), Buffer.from('\r\n'));
    at += n;
  }
  out.push(Buffer.from('0\r\nX-Trailer: t\r\n\r\n'));
  return Buffer.concat(out);
}

describe('bulk GET', () => {
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of closers) await c();
  });
  const body = randomBytes(300_000);

  it('reads a Content-Length body whole, sends the headers given and Connection: close', async () => {
    const srv = await server((_h, s) => void writeParts(s, [Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nX-A: 1\r\nX-A: 2\r\n\r\n`), body.subarray(0, 1000), body.subarray(1000)]));
    closers.push(srv.close);
    const res = await bulkGet(new URL(`${srv.url}/v2/x/blobs/sha256:1?q=1`), { headers: { authorization: 'Bearer t', range: 'bytes=0-' }, stallMs: 10_000 });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-a'], '1, 2');
    assert.ok((await collect(res.body)).equals(body));
    assert.match(srv.heads[0]!, /^GET \/v2\/x\/blobs\/sha256:1\?q=1 HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+\r\nauthorization: Bearer t\r\nrange: bytes=0-\r\nConnection: close$/);
  });

  it('decodes a chunked body cut anywhere, extensions and trailer included; skips a 100 Continue', async () => {
    const wire = Buffer.concat([Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'), chunked(body, [1, 4096, 70_000, 3])]);
    for (const cut of [1, 7, 1000, 65_537]) {
      const parts: Buffer[] = [];
      // Pieces of `cut`, 2×`cut`, 3×`cut` … bytes, contiguous.
      for (let at = 0, k = cut; at < wire.length; at += k, k += cut) parts.push(wire.subarray(at, at + k));
      const srv = await server((_h, s) => void writeParts(s, parts.slice(0, 200)).then(() => s.end(Buffer.concat(parts.slice(200)))));
      closers.push(srv.close);
      const res = await bulkGet(new URL(srv.url), { headers: {}, stallMs: 10_000 });
      assert.equal(res.status, 200);
      assert.ok((await collect(res.body)).equals(body), `cut every ${cut}`);
    }
  });

  it('a body up to the close; none for HEAD and 204', async () => {
    const srv = await server((h, s) => {
      if (h.startsWith('HEAD')) return void s.end(`HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n`);
      if (h.includes('/none')) return void s.end('HTTP/1.1 204 No Content\r\n\r\n');
      void writeParts(s, [Buffer.from('HTTP/1.0 200 OK\r\n\r\n'), body]).then(() => s.end());
    });
    closers.push(srv.close);
    assert.ok((await collect((await bulkGet(new URL(srv.url), { headers: {}, stallMs: 10_000 })).body)).equals(body));
    assert.equal((await collect((await bulkGet(new URL(srv.url), { method: 'HEAD', headers: {}, stallMs: 10_000 })).body)).length, 0);
    assert.equal((await collect((await bulkGet(new URL(`${srv.url}/none`), { headers: {}, stallMs: 10_000 })).body)).length, 0);
  });

  it('a connection closed early fails the flow after handing over what came; bad answers fail the request', async () => {
    const srv = await server((h, s) => {
      if (h.includes('/short')) return void writeParts(s, [Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body.subarray(0, 5000)]).then(() => s.destroy());
      if (h.includes('/chunks')) return void s.end(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'), chunked(body, [1000]).subarray(0, 3000)]));
      if (h.includes('/garbage')) return void s.end('SSH-2.0-OpenSSH\r\n\r\n');
      if (h.includes('/badsize')) return void s.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n');
      if (h.includes('/huge')) return void s.end(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(70_000)}\r\n\r\n`);
      s.destroy();
    });
    closers.push(srv.close);
    const short = await bulkGet(new URL(`${srv.url}/short`), { headers: {}, stallMs: 10_000 });
    let got = 0;
    await assert.rejects(short.body.flow((c) => (got += c.length) > 0), /closed before the end of the body/);
    assert.equal(got, 5000);
    const chunks = await bulkGet(new URL(`${srv.url}/chunks`), { headers: {}, stallMs: 10_000 });
    await assert.rejects(collect(chunks.body), /closed before the end of the body \(in a chunked body\)/);
    await assert.rejects(bulkGet(new URL(`${srv.url}/garbage`), { headers: {}, stallMs: 10_000 }), /not an HTTP\/1\.1 response/);
    await assert.rejects(collect((await bulkGet(new URL(`${srv.url}/badsize`), { headers: {}, stallMs: 10_000 })).body), /bad chunk size/);
    await assert.rejects(bulkGet(new URL(`${srv.url}/huge`), { headers: {}, stallMs: 10_000 }), /head over 64 KiB/);
    await assert.rejects(bulkGet(new URL(`${srv.url}/reset`), { headers: {}, stallMs: 10_000 }), /closed|ECONNRESET|socket hang up/);
    await assert.rejects(bulkGet(new URL(`${srv.url}/x`), { headers: { 'x-bad': 'a\r\nInjected: 1' }, stallMs: 10_000 }), /invalid header/);
  });

  it('a sink that pauses gets every byte, in order, once it resumes', async () => {
    const big = randomBytes(3 << 20);
    const srv = await server((_h, s) => void s.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n`), big])));
    closers.push(srv.close);
    const res = await bulkGet(new URL(srv.url), { headers: {}, stallMs: 10_000 });
    const parts: Buffer[] = [];
    let pauses = 0;
    await res.body.flow((c) => {
      parts.push(Buffer.from(c));
      if (parts.length % 3) return true;
      pauses++;
      setTimeout(() => res.body.resume(), 5);
      return false;
    });
    assert.ok(pauses > 0);
    assert.ok(Buffer.concat(parts).equals(big));
  });

  it('through send(): redirects followed, the credentials not sent to another origin; the body as chunks', async () => {
    const storage = await server((_h, s) => void s.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body])));
    const registry = await server((_h, s) => void s.end(`HTTP/1.1 307 Temporary Redirect\r\nLocation: ${storage.url}/blob?sig=1\r\nContent-Length: 5\r\n\r\nmoved`));
    closers.push(storage.close, registry.close);
    const res = await send(`${registry.url}/v2/x/blobs/sha256:1`, { method: 'GET', headers: { authorization: 'Bearer secret' }, bulk: true });
    assert.equal(res.status, 200);
    assert.ok('flow' in res.body, 'the body comes as chunks');
    assert.ok((await collect(res.body)).equals(body));
    assert.match(registry.heads[0]!, /authorization: Bearer secret/);
    assert.doesNotMatch(storage.heads[0]!, /authorization/i);
    assert.match(storage.heads[0]!, /^GET \/blob\?sig=1 /);
  });
});

describe('writeChunks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-chunks-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a stream of odd-sized chunks at its place, after what the file holds; tells of each chunk', async () => {
    const file = join(dir, 'a');
    const data = randomBytes(5 << 20);
    const fh = await open(file, 'w');
    await fh.write(Buffer.from('head'));
    const pieces: Buffer[] = [];
    for (let at = 0, k = 1; at < data.length; k = (k * 7919) % 300_001) pieces.push(data.subarray(at, (at += k)));
    const h = createHash('sha256');
    const n = await writeChunks(fh, 4, Readable.from(pieces), (c) => void h.update(c));
    await fh.close();
    assert.equal(n, data.length);
    assert.ok(readFileSync(file).equals(Buffer.concat([Buffer.from('head'), data])));
    assert.equal(h.digest('hex'), createHash('sha256').update(data).digest('hex'));
  });

  it('a slow source: its bytes are on disk within a moment, not held until a slab fills', async () => {
    const file = join(dir, 'slow');
    const fh = await open(file, 'w');
    const src = new Readable({ read() {} });
    const writing = writeChunks(fh, 0, src, () => undefined);
    src.push(Buffer.alloc(1000, 1));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(readFileSync(file).length, 1000);
    src.push(null);
    assert.equal(await writing, 1000);
    await fh.close();
  });

  it('a source that fails: what it gave is written, then its error', async () => {
    const file = join(dir, 'b');
    const fh = await open(file, 'w');
    const given = randomBytes(1_500_000);
    const src = new Readable({ read() {} });
    src.push(given);
    setTimeout(() => src.destroy(new Error('cut')), 20);
    await assert.rejects(writeChunks(fh, 0, src, () => undefined), /cut/);
    await fh.close();
    assert.ok(readFileSync(file).equals(given));
  });

  it('a write that fails stops the source and is the error', async () => {
    const fh = await open(join(dir, 'c'), 'w');
    await fh.close();
    let destroyed: Error | undefined;
    const src: ChunkSource = {
      flow: (take) =>
        new Promise((_res, rej) => {
          const chunk = Buffer.alloc(64 * 1024);
          const pump = () => {
            while (!destroyed && take(chunk));
          };
          src.resume = pump;
          src.destroy = (err) => {
            destroyed = err;
            rej(err);
          };
          pump();
        }),
      resume: () => undefined,
      destroy: () => undefined,
    };
    await assert.rejects(writeChunks(fh, 0, src, () => undefined), /EBADF|closed/);
    assert.ok(destroyed);
  });
});
