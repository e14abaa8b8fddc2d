// Docker's attach over a WebSocket (GET /containers/{id}/attach/ws), with the `ws` client on the
// Docker socket as Portainer-style dashboards use it: the output raw (no frames) in text messages,
// the client's messages to the container's stdin, logs=1 replaying the output, errors before the
// handshake as ordinary HTTP responses.
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { insidePrivateNetns } from '../engine/network/harness.ts';
import { until, world, type World } from './helpers.ts';
import { dockerCli } from './docker-clients.ts';

interface Received {
  text: string;
  binary: boolean;
}

/** A WebSocket on the world's Docker socket; what it receives, and how it ended. */
function attachWs(w: World, path: string): Promise<{ ws: WebSocket; got: Received[]; all: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws+unix://${join(w.dir, 'docker.sock')}:${path}`);
    const got: Received[] = [];
    const closed = new Promise<void>((r) => ws.on('close', () => r()));
    ws.on('message', (data, binary) => got.push({ text: Buffer.from(data as Buffer).toString('utf8'), binary }));
    ws.on('open', () => resolve({ ws, got, all: () => got.map((g) => g.text).join(''), closed }));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => reject(Object.assign(new Error(body), { status: res.statusCode })));
    });
    ws.on('error', reject);
  });
}

if (insidePrivateNetns(import.meta.url)) {
  describe('attach over a WebSocket (Docker API)', { timeout: 300_000 }, () => {
    let w: World;
    let docker: ReturnType<typeof dockerCli>;
    const ok = async (args: string[]) => {
      const r = await docker(args);
      assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    before(async () => {
      w = await world();
      await w.start({ dockerSocket: join(w.dir, 'docker.sock'), runtime: 'native' });
      docker = dockerCli(w);
      await ok(['pull', w.image]);
    });
    after(async () => {
      await w?.teardown();
    });

    it('without a terminal: stdin from messages, stdout and stderr raw (no frame headers) in text messages', async () => {
      await ok(['run', '-di', '--network', 'none', '--name', 'echoer', w.image, 'sh', '-c', 'while read l; do echo "got $l"; echo "err $l" >&2; done']);
      const a = await attachWs(w, '/v1.41/containers/echoer/attach/ws?stream=1&stdin=1&stdout=1&stderr=1');
      a.ws.send('one\n');
      await until('both lines back', async () => a.all().includes('got one\n') && a.all().includes('err one\n'));
      assert.ok(a.got.every((g) => !g.binary), 'text messages, as dockerd below API 1.42');
      assert.equal(a.all().split('').sort().join(''), 'got one\nerr one\n'.split('').sort().join(''), `nothing but the output: ${JSON.stringify(a.all())}`);
      a.ws.close();
      await a.closed;
      assert.equal(await ok(['inspect', '-f', '{{.State.Status}}', 'echoer']), 'running\n', 'the container keeps running when the client goes');
    });

    it('on a terminal: the terminal echoes what is typed, output ends the socket when the container exits', async () => {
      await ok(['run', '-dit', '--network', 'none', '--name', 'term', w.image, 'sh', '-c', 'read l; echo "[$l]"']);
      const a = await attachWs(w, '/containers/term/attach/ws?stream=1&stdin=1&stdout=1');
      a.ws.send('hi\r');
      await a.closed;
      assert.match(a.all(), /hi\r\n\[hi\]\r\n$/);
      assert.equal(await ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'term']), 'exited 0\n');
    });

    it('logs=1: the output so far, then the socket ends with the stopped container', async () => {
      await ok(['run', '--network', 'none', '--name', 'done', w.image, 'sh', '-c', 'echo early; echo late >&2']);
      const a = await attachWs(w, '/containers/done/attach/ws?logs=1&stdout=1&stderr=1');
      await a.closed;
      assert.equal(a.all(), 'early\nlate\n');
    });

    it('errors before the handshake: 404 for a missing container, 400 for a plain GET', async () => {
      await assert.rejects(attachWs(w, '/containers/nosuch/attach/ws?stream=1&stdout=1'), (e: Error & { status?: number }) => e.status === 404 && /No such container: nosuch/.test(e.message));
      const r = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
        get({ socketPath: join(w.dir, 'docker.sock'), path: '/containers/echoer/attach/ws' }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode, body })).on('error', reject);
        }).on('error', reject);
      });
      assert.equal(r.status, 400);
      assert.match((JSON.parse(r.body) as { message: string }).message, /^attach\/ws is a WebSocket: send it with "Connection: Upgrade" and "Upgrade: websocket"/);
    });
  });
}
