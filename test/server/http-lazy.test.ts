// A server whose routes are loaded on the first request (the Docker API's socket): the socket is
// served from the start, the routes load once however many requests come first, and a failed load
// is answered, not left hanging, and tried again by the next request. And every response's Date
// header, which berth writes (server/http.ts withDateHeader).
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Route } from '../../server/api.ts';
import { startServer } from '../../server/http.ts';
import { createLogger } from '../../server/log.ts';
import { tempDir } from '../fixtures/helpers.ts';

function get(socket: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method: 'GET', path }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('routes loaded on the first request', () => {
  it('loads them once, for all the requests that came before they were loaded', async () => {
    const dir = await tempDir();
    let loads = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const routes: Route[] = [{ method: 'GET', path: '/hello', handler: async () => ({ json: { hello: 'world' } }) }];
    const server = await startServer(
      async () => {
        loads++;
        await gate;
        return routes;
      },
      join(dir.path, 'lazy.sock'),
      createLogger({ level: 'error' }),
    );
    try {
      assert.equal(loads, 0, 'nothing is loaded before a request');
      const first = [get(join(dir.path, 'lazy.sock'), '/hello'), get(join(dir.path, 'lazy.sock'), '/nowhere')];
      await new Promise((r) => setTimeout(r, 50));
      release();
      const [hello, nowhere] = await Promise.all(first);
      assert.deepEqual({ status: hello.status, body: JSON.parse(hello.body) }, { status: 200, body: { hello: 'world' } });
      assert.equal(nowhere.status, 404);
      assert.equal((await get(join(dir.path, 'lazy.sock'), '/hello')).status, 200);
      assert.equal(loads, 1);
    } finally {
      await server.close();
      await dir.remove();
    }
  });

  it('answers 500 with the reason when the routes cannot be loaded, and tries again on the next request', async () => {
    const dir = await tempDir();
    const logged: string[] = [];
    let loads = 0;
    const server = await startServer(
      async () => {
        if (++loads === 1) throw new Error('the module is missing');
        return [{ method: 'GET', path: '/hello', handler: async () => ({ json: { hello: 'again' } }) }];
      },
      join(dir.path, 'lazy.sock'),
      createLogger({ level: 'error', write: (line) => void logged.push(line) }),
    );
    try {
      const r = await get(join(dir.path, 'lazy.sock'), '/hello');
      assert.equal(r.status, 500);
      assert.match(r.body, /the module is missing/);
      assert.match(logged.join(''), /cannot load the API routes/);
      const again = await get(join(dir.path, 'lazy.sock'), '/hello');
      assert.deepEqual({ status: again.status, body: JSON.parse(again.body) }, { status: 200, body: { hello: 'again' } });
      assert.equal(loads, 2);
    } finally {
      await server.close();
      await dir.remove();
    }
  });
});

describe('the Date header', () => {
  it('is on every response, an IMF-fixdate of now', async () => {
    const dir = await tempDir();
    const socket = join(dir.path, 'api.sock');
    const srv = await startServer([{ method: 'GET', path: '/ping', handler: async () => ({ json: { ok: true } }) }], socket, createLogger({ level: 'error' }));
    try {
      const before = Math.floor(Date.now() / 1000) * 1000;
      const date = await new Promise<string | undefined>((resolve, reject) => {
        const req = request({ socketPath: socket, method: 'GET', path: '/ping' }, (res) => {
          res.resume();
          resolve(res.headers.date);
        });
        req.on('error', reject);
        req.end();
      });
      assert.match(date ?? '', /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/);
      const at = Date.parse(date!);
      assert.ok(at >= before && at <= Date.now(), `${date} is now`);
    } finally {
      await srv.close();
    }
  });
});
