// docs/api.md documents every route the daemon serves (and nothing it does not).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { composeDaemon } from '../../server/daemon.ts';
import { createLogger } from '../../server/log.ts';
import { allRoutes } from '../../server/routes/index.ts';
import { tempDir } from '../fixtures/helpers.ts';

it('docs/api.md lists every route, and only those', async () => {
  const dir = await tempDir();
  const { ctx, shutdown } = await composeDaemon({ root: dir.path, socket: join(dir.path, 's'), watch: [] }, createLogger({ level: 'error' }));
  after(async () => {
    await shutdown();
    await dir.remove();
  });
  const served = new Set(allRoutes(ctx).map((r) => `${r.method} ${r.path}`));
  const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
  const documented = new Set([...doc.matchAll(/^\| `(GET|POST|PUT|PATCH|DELETE|HEAD) (\/v1\/[^`]*)` \|/gm)].map((m) => `${m[1]} ${m[2]}`));
  assert.deepEqual([...served].filter((r) => !documented.has(r)), [], 'routes missing from docs/api.md');
  assert.deepEqual([...documented].filter((r) => !served.has(r)), [], 'documented routes the daemon does not serve');
});
