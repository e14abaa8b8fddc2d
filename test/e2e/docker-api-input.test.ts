// Bad input on Docker's Engine API socket, sent as a client could: malformed JSON bodies, bodies of
// the wrong shape, unknown fields, an oversized body, a hijack (Upgrade: tcp) asked of a route that
// does not stream — each answered with Docker's error shape ({"message": …}) and status, nothing
// done, the daemon serving on. And a long attached output (docker run) leaves no listener behind.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { insidePrivateNetns } from '../engine/network/harness.ts';
import { dockerCli, rawDockerRequest, type RawReply } from './docker-clients.ts';
import { world, type World } from './helpers.ts';

if (insidePrivateNetns(import.meta.url)) {
  describe("bad input on Docker's API socket", { timeout: 600_000 }, () => {
    let w: World;
    let docker: ReturnType<typeof dockerCli>;
    const warnings: Error[] = [];
    const onWarning = (e: Error) => warnings.push(e);
    const raw = (method: string, path: string, o?: Parameters<typeof rawDockerRequest>[3]) => rawDockerRequest(w, method, path, o);
    /** Docker's error: the status, and {"message": …} as the whole body. */
    const refused = (r: RawReply, status: number, message: RegExp) => {
      assert.equal(r.status, status, r.text);
      assert.match(String(r.headers['content-type']), /^application\/json/);
      const body = JSON.parse(r.text) as Record<string, unknown>;
      assert.deepEqual(Object.keys(body), ['message']);
      assert.match(body.message as string, message);
    };
    /** The daemon still answers, on both kinds of request. */
    const stillServing = async () => {
      assert.deepEqual([(await raw('GET', '/_ping')).text], ['OK']);
      assert.equal((await docker(['ps', '-a', '-q'])).code, 0);
    };
    before(async () => {
      w = await world();
      await w.start({ dockerSocket: join(w.dir, 'docker.sock') });
      docker = dockerCli(w);
      process.on('warning', onWarning);
      assert.equal((await docker(['pull', w.image])).code, 0);
    });
    after(async () => {
      process.off('warning', onWarning);
      await w?.teardown();
    });

    it('malformed JSON, and JSON of the wrong shape: 400 naming what is wrong', async () => {
      refused(await raw('POST', '/v1.41/containers/create', { body: '{"Image": ' }), 400, /^request body is not valid JSON: /);
      refused(await raw('POST', '/v1.41/containers/create?name=shape', { body: '[1, 2]' }), 400, /the request body/);
      refused(await raw('POST', '/v1.41/containers/create', { body: JSON.stringify({ Image: 42 }) }), 400, /^Image /);
      refused(await raw('POST', '/v1.41/containers/create', { body: JSON.stringify({ Image: w.image, Cmd: 5 }) }), 400, /^Cmd must be a list of strings/);
      refused(await raw('POST', '/v1.41/networks/create', { body: '{"Name": "n",' }), 400, /^request body is not valid JSON: /);
      refused(await raw('POST', '/v1.41/containers/create', { body: '' }), 400, /Image is required/);
      refused(await raw('GET', '/v1.41/containers/nosuch/bogus'), 404, /nosuch\/bogus/);
      assert.equal((await docker(['ps', '-a', '-q'])).stdout, '');
      await stillServing();
    });

    it('unknown fields: passed over at the top level as dockerd does, refused by name in HostConfig (berth cannot apply them)', async () => {
      const made = await raw('POST', '/v1.41/containers/create?name=extra', { body: JSON.stringify({ Image: w.image, Cmd: ['true'], NotAField: 1, name: 'clients-put-this-here' }) });
      assert.equal(made.status, 201, made.text);
      assert.match((JSON.parse(made.text) as { Id: string }).Id, /^[0-9a-f]{64}$/);
      refused(await raw('POST', '/v1.41/containers/create?name=hostile', { body: JSON.stringify({ Image: w.image, HostConfig: { PrivilegedMode: true } }) }), 400, /^HostConfig\.PrivilegedMode is not a field of Docker's Engine API 1\.41 that berth knows/);
      // Known fields sent empty, as clients do, pass.
      assert.equal((await raw('POST', '/v1.41/containers/create?name=empties', { body: JSON.stringify({ Image: w.image, HostConfig: { ConsoleSize: [0, 0], NotAField: null, Dns: [] } }) })).status, 201);
      assert.equal((await docker(['ps', '-a', '--format', '{{.Names}}'])).stdout.split('\n').filter(Boolean).sort().join(' '), 'empties extra');
      assert.equal((await docker(['rm', 'extra', 'empties'])).code, 0);
      await stillServing();
    });

    it('an oversized JSON body (over 10 MiB): 400 before it is read whole, with or without its length', async () => {
      const big = JSON.stringify({ Image: w.image, Labels: { big: 'x'.repeat(11 << 20) } });
      refused(await raw('POST', '/v1.41/containers/create?name=big', { body: big }), 400, /^request body larger than 10485760 bytes \(10 MiB\)/);
      refused(await raw('POST', '/v1.41/containers/create?name=big', { body: big, chunked: true }), 400, /^request body larger than 10485760 bytes/);
      assert.equal((await docker(['ps', '-a', '-q'])).stdout, '');
      await stillServing();
    });

    it('a hijack (Upgrade: tcp) of a route that does not stream: 400, and the verb is not done', async () => {
      assert.equal((await docker(['run', '-d', '--name', 'busy', w.image, 'sleep', '1000'])).code, 0);
      const upgrade = { Connection: 'Upgrade', Upgrade: 'tcp' };
      refused(await raw('POST', '/v1.41/containers/busy/stop', { headers: upgrade }), 400, /^POST \/v1\.41\/containers\/busy\/stop does not upgrade; send it without "Upgrade: tcp"/);
      refused(await raw('POST', '/v1.41/containers/create?name=up', { headers: upgrade, body: JSON.stringify({ Image: w.image }) }), 400, /does not upgrade/);
      refused(await raw('POST', '/v1.41/containers/busy/attach?stream=1&stdout=1', { headers: { Connection: 'Upgrade', Upgrade: 'websocket' } }), 400, /^POST \/v1\.41\/containers\/busy\/attach does not upgrade to a WebSocket; send it without "Upgrade: websocket"/);
      assert.equal((await docker(['inspect', '-f', '{{.State.Status}}', 'busy'])).stdout, 'running\n');
      assert.equal((await docker(['ps', '-a', '--format', '{{.Names}}'])).stdout, 'busy\n');
      assert.equal((await docker(['rm', '-f', 'busy'])).code, 0);
      await stillServing();
    });

    it('a long attached output (docker run) and its wait: no listener left behind on the connection', async () => {
      const r = await docker(['run', '--name', 'loud', w.image, 'sh', '-c', 'head -c 8000000 /dev/zero | tr "\\0" x; echo']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.length, 8_000_001);
      assert.deepEqual(warnings.map((x) => `${x.name}: ${x.message}`), []);
      assert.equal((await docker(['rm', 'loud'])).code, 0);
    });
  });
}
