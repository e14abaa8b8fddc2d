// Every API route, against a real daemon on a temporary socket.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiClient } from '../../cli/client.ts';
import { InvalidArgumentError, NotFoundError, UnavailableError } from '../../specs/errdefs.ts';
import type { Resource } from '../../specs/objects.ts';
import { startDaemon } from '../../server/daemon.ts';
import { createLogger } from '../../server/log.ts';
import { CONTAINER, IMAGE, startTestDaemon, tempDir, type TestDaemon } from '../fixtures/helpers.ts';
import type { BerthEvent } from '../../specs/api/events.ts';

const doc = (file: string, text: string) => ({ file, text });

function rawRequest(socket: string, method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path, headers: { 'content-type': 'application/json' } }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('API', () => {
  let d: TestDaemon;
  let api: ApiClient;
  before(async () => {
    d = await startTestDaemon();
    api = d.client;
  });
  after(async () => d?.stop());

  it('serves on a unix socket with mode 0660', async () => {
    const st = await stat(d.socket);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
    assert.deepEqual(await api.json('GET', '/v1/ping'), { ok: true });
    const v = await api.json<{ version: string; apiVersion: string; root: string }>('GET', '/v1/version');
    assert.equal(v.apiVersion, 'berth.dev/v1');
    assert.match(v.version, /^\d+\.\d+\.\d+/);
    assert.equal(v.root, d.root);
  });

  it('answers unknown routes and bad bodies with typed errors', async () => {
    await assert.rejects(api.json('GET', '/v1/nope'), (e) => e instanceof NotFoundError && /no API route GET \/v1\/nope/.test(e.message));
    const raw = await rawRequest(d.socket, 'POST', '/v1/apply', '{not json');
    assert.equal(raw.status, 400);
    assert.equal(JSON.parse(raw.body).error.kind, 'InvalidArgumentError');
    await assert.rejects(api.json('POST', '/v1/apply', { body: { documents: [] } }), InvalidArgumentError);
    await assert.rejects(api.json('POST', '/v1/apply', { body: { documents: [{ file: 'relative.yaml', text: '' }] } }), /must be an absolute path/);
    await assert.rejects(api.json('GET', '/v1/objects/widget'), (e) => e instanceof InvalidArgumentError && /unknown kind "widget"/.test(e.message));
  });

  it('applies: created, unchanged, configured; dry run changes nothing', async () => {
    const documents = [doc('/m/app.yaml', `${IMAGE('app')}---\n${CONTAINER('web', 'app')}`)];
    const dry = await api.json<{ dryRun: boolean; results: Array<{ action: string }> }>('POST', '/v1/apply', { body: { documents, dryRun: true } });
    assert.equal(dry.dryRun, true);
    assert.deepEqual(dry.results.map((r) => r.action), ['created', 'created']);
    assert.deepEqual((await api.json<{ items: Resource[] }>('GET', '/v1/objects')).items, []);

    const first = await api.json<{ results: Array<{ kind: string; name: string; action: string; generation: number; source: string }> }>('POST', '/v1/apply', { body: { documents } });
    assert.deepEqual(first.results.map(({ kind, name, action, generation, source }) => ({ kind, name, action, generation, source })), [
      { kind: 'Image', name: 'app', action: 'created', generation: 1, source: 'file:/m/app.yaml' },
      { kind: 'Container', name: 'web', action: 'created', generation: 1, source: 'file:/m/app.yaml' },
    ]);
    const again = await api.json<{ results: Array<{ action: string }> }>('POST', '/v1/apply', { body: { documents } });
    assert.deepEqual(again.results.map((r) => r.action), ['unchanged', 'unchanged']);
    const changed = await api.json<{ results: Array<{ action: string; generation: number }> }>('POST', '/v1/apply', {
      body: { documents: [doc('/m/app.yaml', `${IMAGE('app')}---\n${CONTAINER('web', 'app', '  command: [httpd]\n')}`)] },
    });
    assert.deepEqual(changed.results.map((r) => [r.action, r.generation]), [['unchanged', 1], ['configured', 2]]);
  });

  it('refuses an apply with any invalid document, applying nothing, listing every problem', async () => {
    const documents = [
      doc('/m/ok.yaml', CONTAINER('fine')),
      doc('/m/bad.yaml', `${CONTAINER('bad1', 'missing-image')}---\n${CONTAINER('bad2', 'x/y', '  restartPolicy: Sometimes\n')}`),
    ];
    await assert.rejects(api.json('POST', '/v1/apply', { body: { documents } }), (e) => {
      assert.ok(e instanceof InvalidArgumentError);
      assert.deepEqual(e.message.split('\n'), [
        '/m/bad.yaml:6:10: Container "bad1": spec.image: no Image object named "missing-image"; define one (kind: Image) or use a registry reference such as "missing-image:latest"',
        '/m/bad.yaml:14:18: Container "bad2": spec.restartPolicy: string "Sometimes" is not allowed; use one of "Always", "OnFailure", "Never"',
        '2 problems in 1 file; nothing was applied',
      ]);
      return true;
    });
    await assert.rejects(api.json('GET', '/v1/objects/container/fine'), NotFoundError);
  });

  it('a Container may name an Image object already in the store', async () => {
    const r = await api.json<{ results: Array<{ action: string }> }>('POST', '/v1/apply', { body: { documents: [doc('/m/other.yaml', CONTAINER('uses-app', 'app'))] } });
    assert.deepEqual(r.results.map((x) => x.action), ['created']);
  });

  it('prunes only the objects of the named sources', async () => {
    await api.json('POST', '/v1/apply', { body: { documents: [doc('/p/a.yaml', `${CONTAINER('pa')}---\n${CONTAINER('pb')}`), doc('/p/sub/c.yaml', CONTAINER('pc')), doc('/q/d.yaml', CONTAINER('qd'))] } });
    // /p/a.yaml now defines only pa; /p/sub/c.yaml is gone: prune under /p/.
    const r = await api.json<{ results: Array<{ name: string; action: string }> }>('POST', '/v1/apply', {
      body: { documents: [doc('/p/a.yaml', CONTAINER('pa'))], prune: { prefixes: ['file:/p/'] } },
    });
    assert.deepEqual(r.results.map((x) => `${x.name} ${x.action}`), ['pa unchanged', 'pb pruned', 'pc pruned']);
    const names = (await api.json<{ items: Resource[] }>('GET', '/v1/objects/containers')).items.map((x) => x.metadata.name);
    assert.ok(names.includes('qd') && names.includes('pa') && !names.includes('pb') && !names.includes('pc'));
    // An Image that a prune removes cannot be named by what stays.
    await api.json('POST', '/v1/apply', { body: { documents: [doc('/r/img.yaml', IMAGE('rimg'))] } });
    await assert.rejects(
      api.json('POST', '/v1/apply', { body: { documents: [doc('/r/c.yaml', CONTAINER('rc', 'rimg'))], prune: { prefixes: ['file:/r/'] } } }),
      /no Image object named "rimg"/,
    );
  });

  it('diffs: live and desired per object', async () => {
    const { items } = await api.json<{ items: Array<{ name: string; action: string; live: Resource | null; desired: Resource | null }> }>('POST', '/v1/diff', {
      body: { documents: [doc('/m/app.yaml', `${IMAGE('app')}---\n${CONTAINER('web', 'app', '  command: [sh]\n')}---\n${CONTAINER('new-one')}`)] },
    });
    assert.deepEqual(items.map((i) => `${i.name} ${i.action}`), ['app unchanged', 'web configured', 'new-one created']);
    const web = items[1]!;
    assert.deepEqual((web.live!.spec as { command: string[] }).command, ['httpd']);
    assert.deepEqual((web.desired!.spec as { command: string[] }).command, ['sh']);
    assert.equal(items[2]!.live, null);
    // Nothing changed.
    assert.deepEqual((await api.json<Resource>('GET', '/v1/objects/Container/web')).spec, (web.live as Resource).spec);
  });

  it('gets objects: all, by kind (any spelling), by name, by label selector', async () => {
    await api.json('POST', '/v1/apply', { body: { documents: [doc('/l/l.yaml', `${CONTAINER('la').replace('metadata:\n', 'metadata:\n  labels: {app: web, tier: front}\n')}---\n${CONTAINER('lb').replace('metadata:\n', 'metadata:\n  labels: {app: db}\n')}`)] } });
    const all = (await api.json<{ items: Resource[] }>('GET', '/v1/objects')).items;
    assert.deepEqual([...new Set(all.map((r) => r.kind))], ['Container', 'Image']);
    for (const k of ['container', 'containers', 'Container', 'ctr']) {
      assert.ok((await api.json<{ items: Resource[] }>('GET', `/v1/objects/${k}`)).items.every((r) => r.kind === 'Container'));
    }
    const sel = async (s: string) => (await api.json<{ items: Resource[] }>('GET', '/v1/objects', { query: { kind: 'container', selector: s } })).items.map((r) => r.metadata.name);
    assert.deepEqual(await sel('app=web'), ['la']);
    assert.deepEqual(await sel('app!=web,app'), ['lb']);
    assert.deepEqual(await sel('tier'), ['la']);
    const one = await api.json<Resource>('GET', '/v1/objects/img/app');
    assert.equal(one.kind, 'Image');
    assert.match(one.metadata.uid, /^[0-9a-f-]{36}$/);
    await assert.rejects(api.json('GET', '/v1/objects/container/nope'), (e) => e instanceof NotFoundError && /Container "nope" not found/.test(e.message));
  });

  it('watches objects as an NDJSON stream', async () => {
    const ac = new AbortController();
    const seen: string[] = [];
    const stream = api.stream<{ type: string; object: Resource }>('GET', '/v1/objects', { query: { kind: 'container', selector: 'w=1', watch: true }, signal: ac.signal });
    const done = (async () => {
      for await (const c of stream) {
        seen.push(`${c.type} ${c.object.metadata.name}`);
        if (seen.length === 3) break;
      }
    })();
    await api.json('POST', '/v1/apply', { body: { documents: [doc('/w/w.yaml', CONTAINER('wa').replace('metadata:\n', 'metadata:\n  labels: {w: "1"}\n'))] } });
    d.daemon.ctx.store.setStatus({ kind: 'Container', name: 'wa' }, { phase: 'Pending' });
    await api.json('DELETE', '/v1/objects/container/wa');
    await done;
    assert.deepEqual(seen, ['added wa', 'status wa', 'deleted wa']);
  });

  it('deletes one object, or several in one request', async () => {
    await api.json('POST', '/v1/apply', { body: { documents: [doc('/x/x.yaml', `${CONTAINER('x1')}---\n${CONTAINER('x2')}---\n${CONTAINER('x3')}`)] } });
    const one = await api.json<{ action: string; object: Resource }>('DELETE', '/v1/objects/container/x1');
    assert.equal(one.action, 'deleted');
    assert.equal(one.object.metadata.name, 'x1');
    await assert.rejects(api.json('DELETE', '/v1/objects/container/x1'), NotFoundError);
    const many = await api.json<{ results: Array<{ name: string; action: string }> }>('POST', '/v1/delete', {
      body: { objects: [{ kind: 'container', name: 'x2' }, { kind: 'Container', name: 'x3' }, { kind: 'Container', name: 'x1' }] },
    });
    assert.deepEqual(many.results.map((r) => `${r.name} ${r.action}`), ['x2 deleted', 'x3 deleted', 'x1 notfound']);
    await assert.rejects(api.json('POST', '/v1/delete', { body: { objects: [{ kind: 'Container' }] } }), InvalidArgumentError);
  });

  it('lists events, of one object too, and follows them', async () => {
    const { items } = await api.json<{ items: BerthEvent[] }>('GET', '/v1/events', { query: { kind: 'container', name: 'web' } });
    assert.deepEqual(items.map((e) => e.reason), ['Created', 'Updated']);
    assert.equal(items[0]!.type, 'Normal');
    assert.equal(items[0]!.involvedObject.kind, 'Container');
    assert.equal(items[0]!.component, 'apply');
    await assert.rejects(api.json('GET', '/v1/events', { query: { limit: -1 } }), InvalidArgumentError);

    const ac = new AbortController();
    const got: string[] = [];
    const follow = (async () => {
      for await (const e of api.stream<BerthEvent>('GET', '/v1/events', { query: { follow: true, kind: 'Container', name: 'fe', limit: 5 }, signal: ac.signal })) {
        got.push(`${e.reason} x${e.count}`);
        if (got.length === 3) break;
      }
    })();
    const rec = d.daemon.ctx.events.for('test');
    await api.json('POST', '/v1/apply', { body: { documents: [doc('/f/f.yaml', CONTAINER('fe'))] } });
    rec.warning({ kind: 'Container', name: 'fe' }, 'BackOff', 'restarting');
    rec.warning({ kind: 'Container', name: 'fe' }, 'BackOff', 'restarting');
    await follow;
    assert.deepEqual(got, ['Created x1', 'BackOff x1', 'BackOff x2']);
  });

  it('streams end with a typed error line when the producer fails', async () => {
    // Mount a route on a throwaway server with the same handler to check the NDJSON error convention.
    const { createHandler } = await import('../../server/http.ts');
    const { createServer: createHttp } = await import('node:http');
    const handler = createHandler(
      [{ method: 'GET', path: '/s', handler: async () => ({ ndjson: (async function* () { yield { n: 1 }; throw new UnavailableError('gone away'); })() }) }],
      createLogger({ write: () => {} }),
    );
    const tmp = await tempDir();
    const sock = join(tmp.path, 's.sock');
    const srv = createHttp(handler).listen(sock);
    await new Promise((r) => srv.once('listening', r));
    try {
      const got: unknown[] = [];
      await assert.rejects(
        (async () => {
          for await (const x of new ApiClient(sock).stream('GET', '/s')) got.push(x);
        })(),
        (e) => e instanceof UnavailableError && e.message === 'gone away',
      );
      assert.deepEqual(got, [{ n: 1 }]);
    } finally {
      srv.close();
      await tmp.remove();
    }
  });
});

describe('daemon socket handling', () => {
  it('removes a stale socket, refuses to start beside a live daemon, explains an unreachable one', async () => {
    const tmp = await tempDir();
    try {
      const sock = join(tmp.path, 'run', 'b.sock');
      // A stale socket: bound by a server that is gone.
      const { mkdir } = await import('node:fs/promises');
      await mkdir(join(tmp.path, 'run'));
      const stale = createServer().listen(sock);
      await new Promise((r) => stale.once('listening', r));
      await new Promise<void>((r) => {
        // Closing would unlink it; simulate a crash by keeping the file: copy the server's fd away.
        (stale as unknown as { _handle: { close(): void } })._handle.close();
        r();
      });
      const log = createLogger({ write: () => {} });
      const d1 = await startDaemon({ root: join(tmp.path, 'root1'), socket: sock, watch: [] }, log);
      try {
        await assert.rejects(startDaemon({ root: join(tmp.path, 'root2'), socket: sock, watch: [] }, log), (e) => e instanceof UnavailableError && /another daemon is already listening/.test(e.message));
        assert.deepEqual(await new ApiClient(sock).json('GET', '/v1/ping'), { ok: true });
      } finally {
        await d1.stop();
      }
      await assert.rejects(new ApiClient(sock).json('GET', '/v1/ping'), (e) => e instanceof UnavailableError && e.message.startsWith(`cannot reach the berth daemon at ${sock}: is \`berth daemon\` running?`));
      await writeFile(join(tmp.path, 'plain'), '');
      await assert.rejects(startDaemon({ root: join(tmp.path, 'root3'), socket: join(tmp.path, 'plain'), watch: [] }, log), /is not a socket/);
    } finally {
      await tmp.remove();
    }
  });
});
