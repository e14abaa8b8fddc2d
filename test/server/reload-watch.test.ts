// A reload changing the watched directories and the labels, in a daemon started from a
// configuration file (in this process, without a container runtime): a new directory is applied
// and followed, a dropped one no longer is, and a directory that is not there refuses the whole
// reload with nothing changed.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfigFile } from '../../server/config/load.ts';
import { optionsFromSettings } from '../../server/config/options.ts';
import { resolveSettings } from '../../server/config/settings.ts';
import { startDaemon, type Daemon } from '../../server/daemon.ts';
import { createLogger } from '../../server/log.ts';
import { CONTAINER, tempDir, until } from '../fixtures/helpers.ts';

describe('reload: watched directories and labels', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let daemon: Daemon;
  let file: string;
  const logs: string[] = [];
  const read = async () => resolveSettings({ file: (await loadConfigFile(file, { named: true }))! });
  const write = (o: Record<string, unknown>) =>
    writeFile(file, JSON.stringify({ 'data-root': join(tmp.path, 'root'), hosts: [`unix://${join(tmp.path, 'b.sock')}`], runtime: 'none', ...o }));
  const names = () => daemon.ctx.store.list('Container').map((r) => r.metadata.name).sort();

  before(async () => {
    tmp = await tempDir();
    file = join(tmp.path, 'daemon.json');
    for (const d of ['a', 'b']) await mkdir(join(tmp.path, d));
    await writeFile(join(tmp.path, 'a', 'one.yaml'), CONTAINER('one'));
    await writeFile(join(tmp.path, 'b', 'two.yaml'), CONTAINER('two'));
    await write({ watch: [join(tmp.path, 'a')], labels: ['site=lab'] });
    daemon = await startDaemon(optionsFromSettings(await read()), createLogger({ level: 'debug', write: (l) => void logs.push(l) }));
  });
  after(async () => {
    await daemon?.stop();
    await tmp?.remove();
  });

  it('starts watching a new directory and stops watching a dropped one', async () => {
    assert.deepEqual(names(), ['one']);
    await write({ watch: [join(tmp.path, 'b')], labels: ['site=lab', 'tier=edge'] });
    const r = await daemon.reload(read);
    assert.deepEqual([r.applied, r.changed], [true, ['labels', 'watch']]);
    assert.deepEqual(names(), ['one', 'two']);
    assert.deepEqual(daemon.ctx.watches?.dirs, [join(tmp.path, 'b')]);
    assert.deepEqual(daemon.ctx.options.settings?.values.labels, ['site=lab', 'tier=edge']);
    // A change in the dropped directory is no longer applied; one in the new directory is.
    await writeFile(join(tmp.path, 'a', 'three.yaml'), CONTAINER('three'));
    await writeFile(join(tmp.path, 'b', 'four.yaml'), CONTAINER('four'));
    await until('four is applied', () => names().includes('four'));
    assert.ok(!names().includes('three'));
    assert.ok(logs.some((l) => l.includes('stopped watching for manifests (its objects stay)')));
  });

  it('refuses a reload naming a directory that is not there, changing nothing', async () => {
    await write({ watch: [join(tmp.path, 'b'), join(tmp.path, 'missing')], labels: ['site=elsewhere'] });
    const r = await daemon.reload(read);
    assert.equal(r.applied, false);
    assert.match(r.error ?? '', /missing: not a directory; create it or fix the path/);
    assert.deepEqual(daemon.ctx.watches?.dirs, [join(tmp.path, 'b')]);
    assert.deepEqual(daemon.ctx.options.settings?.values.labels, ['site=lab', 'tier=edge']);
  });
});
