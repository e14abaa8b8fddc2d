// writeFileAtomic (engine/fs-atomic.ts): a file replaced whole, its temporary name never left behind.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { extendFileSync, writeFileAtomic, writeFileAtomicSync } from '../../engine/fs-atomic.ts';

describe('writeFileAtomic', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-fs-atomic-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a new file and replaces an existing one whole, text or bytes, durable or not, with its mode', async () => {
    const f = join(dir, 'state.json');
    await writeFileAtomic(f, '{"a":1}');
    assert.equal(readFileSync(f, 'utf8'), '{"a":1}');
    const big = Buffer.alloc(3 << 20, 'x');
    await writeFileAtomic(f, big, { durable: true });
    assert.deepEqual(readFileSync(f), big);
    await writeFileAtomic(f, 'short', { mode: 0o600 });
    assert.equal(readFileSync(f, 'utf8'), 'short');
    assert.equal(statSync(f).mode & 0o777, 0o600);
    writeFileAtomicSync(f, 'sync');
    assert.equal(readFileSync(f, 'utf8'), 'sync');
    // Many at once into one directory: each whole, nothing but the files left.
    await Promise.all(Array.from({ length: 20 }, (_, i) => writeFileAtomic(join(dir, `f${i}`), `${i}`.repeat(i + 1))));
    for (let i = 0; i < 20; i++) assert.equal(readFileSync(join(dir, `f${i}`), 'utf8'), `${i}`.repeat(i + 1));
    assert.deepEqual(readdirSync(dir).filter((n) => n.includes('.tmp-')), []);
  });

  it('fails where the file cannot be made, leaving nothing', async () => {
    await assert.rejects(writeFileAtomic(join(dir, 'missing', 'x.json'), '{}'), { code: 'ENOENT' });
    // Renaming onto a directory fails after the write: the temporary file is not left either.
    const sub = join(dir, 'sub');
    await writeFileAtomic(join(dir, 'keep'), 'k');
    mkdirSync(join(sub, 'occupied'), { recursive: true });
    writeFileSync(join(sub, 'occupied', 'inside'), '');
    await assert.rejects(writeFileAtomic(join(sub, 'occupied'), 'x'));
    assert.deepEqual(readdirSync(sub), ['occupied']);
  });

  it('extends a JSON object in place, and replaces it atomically when the new text is not an extension', () => {
    const f = join(dir, 'meta.json');
    for (const indent of [undefined, 2]) {
      const before = JSON.stringify({ id: 'x', bundle: '/b' }, null, indent);
      const next = JSON.stringify({ id: 'x', bundle: '/b', pid: 42, startedAt: 'now' }, null, indent);
      writeFileSync(f, before);
      const inode = statSync(f).ino;
      extendFileSync(f, before, next);
      assert.equal(readFileSync(f, 'utf8'), next);
      assert.equal(statSync(f).ino, inode);
      // A write cut after k bytes leaves before as it was, or a text that cannot be parsed.
      for (let k = 0; k < next.length; k++) {
        const cut = next.slice(0, k) + before.slice(k);
        let parsed: unknown;
        try {
          parsed = JSON.parse(cut);
        } catch {
          continue;
        }
        assert.deepEqual(parsed, JSON.parse(before), `cut at ${k}`);
      }
    }
    // Not an extension (a value changed): a new file renamed into place.
    const inode = statSync(f).ino;
    extendFileSync(f, readFileSync(f, 'utf8'), '{"id":"y"}');
    assert.equal(readFileSync(f, 'utf8'), '{"id":"y"}');
    assert.notEqual(statSync(f).ino, inode);
    assert.deepEqual(readdirSync(dir).filter((n) => n.includes('.tmp-')), []);
  });
});
