// .dockerignore rules (the examples of Docker's documentation) and build-context source resolution.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BuildContext, ContextEscapeError } from '../../../engine/builder/context.ts';
import { IgnoreMatcher } from '../../../specs/dockerignore.ts';
import { NotFoundError } from '../../../specs/errdefs.ts';

describe('.dockerignore', () => {
  const m = (text: string) => IgnoreMatcher.parse(text);
  it("Docker's documented examples", () => {
    const a = m('# comment\n*/temp*\n*/*/temp*\ntemp?\n');
    assert.ok(a.ignores('somedir/temporary.txt'));
    assert.ok(a.ignores('somedir/temp'));
    assert.ok(a.ignores('somedir/subdir/temporary.txt'));
    assert.ok(a.ignores('tempa'));
    assert.ok(!a.ignores('temp'));
    assert.ok(!a.ignores('tempab'));
    assert.ok(!a.ignores('temporary.txt'));
    assert.ok(!a.ignores('a/b/c/temp'));
  });
  it('** matches any number of directories', () => {
    const a = m('**/*.go');
    assert.ok(a.ignores('x.go'));
    assert.ok(a.ignores('a/b/x.go'));
    assert.ok(!a.ignores('a/b/x.goo'));
    const b = m('a/**/z');
    assert.ok(b.ignores('a/z'));
    assert.ok(b.ignores('a/b/c/z'));
    const c = m('dir/**');
    assert.ok(c.ignores('dir/x/y'));
  });
  it('exceptions, the last match wins', () => {
    const a = m('*.md\n!README.md');
    assert.ok(a.ignores('CHANGES.md'));
    assert.ok(!a.ignores('README.md'));
    const b = m('*.md\n!README*.md\nREADME-secret.md');
    assert.ok(!b.ignores('README-public.md'));
    assert.ok(b.ignores('README-secret.md'));
    const c = m('*\n!keep');
    assert.ok(c.ignores('x'));
    assert.ok(!c.ignores('keep'));
  });
  it('leading slash, ./, trailing slash and parent directories', () => {
    const a = m('/build/\n./logs\nnode_modules');
    assert.ok(a.ignores('build'));
    assert.ok(a.ignores('build/out.o'));
    assert.ok(a.ignores('logs/today'));
    assert.ok(a.ignores('node_modules/x/y.js'));
    assert.ok(!a.ignores('src/node_modules')); // patterns are anchored at the context root
  });
  it('skipsDir only when no exception could re-include', () => {
    assert.ok(m('dir').skipsDir('dir'));
    assert.ok(!m('dir\n!dir/keep').skipsDir('dir'));
    assert.ok(!m('dir\n!*.txt').skipsDir('dir'));
  });
});

describe('build context sources', () => {
  const base = mkdtempSync(join(tmpdir(), 'berth-ctx-'));
  const ctx = join(base, 'ctx');
  after(() => rmSync(base, { recursive: true, force: true }));
  mkdirSync(join(ctx, 'src/sub'), { recursive: true });
  writeFileSync(join(ctx, 'a.txt'), 'a');
  writeFileSync(join(ctx, 'b.txt'), 'b');
  writeFileSync(join(ctx, 'c.md'), 'c');
  writeFileSync(join(ctx, 'src/main.go'), 'main');
  writeFileSync(join(ctx, 'src/sub/x.go'), 'x');
  writeFileSync(join(ctx, 'src/secret.key'), 'k');
  writeFileSync(join(ctx, '.dockerignore'), '*.md\nsrc/*.key\n');
  writeFileSync(join(base, 'outside'), 'no');
  symlinkSync('/etc', join(ctx, 'etc-link'));
  symlinkSync('../outside', join(ctx, 'up-link'));
  symlinkSync('a.txt', join(ctx, 'a-link'));
  symlinkSync('src/sub', join(ctx, 'sub-link'));

  it('globs, ignored files dropped, sorted', async () => {
    const c = await BuildContext.open(ctx);
    assert.deepEqual((await c.sources(['*.txt'])).map((s) => s.rel), ['a.txt', 'b.txt']);
    assert.deepEqual((await c.sources(['src/*/*.go', '/a.txt'])).map((s) => s.rel), ['src/sub/x.go', 'a.txt']);
    await assert.rejects(c.sources(['c.md']), NotFoundError);
    await assert.rejects(c.sources(['*.nothing']), /not found in the build context/);
    const walked = (await c.walk((await c.sources(['src']))[0]!)).map((e) => e.rel);
    assert.deepEqual(walked, ['', 'main.go', 'sub', 'sub/x.go']);
  });

  it('symlinks inside the context are followed; ones leading out are refused', async () => {
    const c = await BuildContext.open(ctx);
    assert.equal((await c.sources(['a-link']))[0]!.abs, join(c.root, 'a.txt'));
    assert.equal((await c.sources(['sub-link/x.go']))[0]!.abs, join(c.root, 'src/sub/x.go'));
    await assert.rejects(c.sources(['etc-link/passwd']), (e: Error) => e instanceof ContextEscapeError && /symlink to \/etc, outside the build context/.test(e.message));
    await assert.rejects(c.sources(['etc-link']), ContextEscapeError);
    await assert.rejects(c.sources(['up-link']), /symlink to \.\.\/outside, outside/);
    await assert.rejects(c.sources(['../outside']), /forbidden path outside the build context: \.\.\/outside/);
    await assert.rejects(c.sources(['src/../../outside']), ContextEscapeError);
  });

  it('source hashes change with content and mode, not with mtime alone', async () => {
    const c = await BuildContext.open(ctx);
    const h1 = await c.hashSources(await c.sources(['src']));
    utimesSync(join(ctx, 'src/main.go'), new Date(1000), new Date(1000));
    assert.equal(await c.hashSources(await c.sources(['src'])), h1);
    writeFileSync(join(ctx, 'src/main.go'), 'changed');
    const h2 = await c.hashSources(await c.sources(['src']));
    assert.notEqual(h2, h1);
    writeFileSync(join(ctx, 'src/secret.key'), 'ignored change');
    assert.equal(await c.hashSources(await c.sources(['src'])), h2);
  });
});
