// The CLI bundle (bin/cli-bundle.cjs): what esbuild makes runs as the CLI, knows when a source is
// newer than it, and bin/berth runs verbs through it with V8's code cache.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { berth, REPO, tempDir } from '../fixtures/helpers.ts';

const bundler = createRequire(import.meta.url)(join(REPO, 'bin', 'cli-bundle.cjs')) as {
  build(o: { write?: boolean; outfile?: string }): string;
  staleness(bundle?: string): string | undefined;
  BUNDLE: string;
};

describe('CLI bundle', () => {
  let dir: { path: string; remove(): Promise<void> };
  let out: string;
  before(async () => {
    dir = await tempDir('berth-bundle-');
    out = join(dir.path, 'cli.cjs');
    bundler.build({ outfile: out });
  });
  after(async () => dir?.remove());

  it('is one CommonJS file that runs the CLI, with the npm packages other than commander left to node_modules', () => {
    const text = readFileSync(out, 'utf8');
    assert.match(text, /require\("zod"\)/);
    assert.doesNotMatch(text, /\bimport\(/, 'a vm.Script has no loader for import()');
    const help = execFileSync(process.execPath, [out, '--help'], { encoding: 'utf8' });
    assert.match(help, /^Usage: berth \[options\] \[command\]/);
    assert.match(help, /\n {2}run \[options\] <image> \[args\.\.\.\]/);
  });

  it('is stale when a source it was made from is newer, or its list of sources is gone', () => {
    assert.equal(bundler.staleness(out), undefined);
    const inputs = JSON.parse(readFileSync(`${out}.inputs.json`, 'utf8')) as string[];
    assert.ok(inputs.includes('cli/main.ts') && inputs.includes('specs/errdefs.ts') && inputs.every((f) => !f.includes('node_modules')), inputs.join(' '));
    utimesSync(out, new Date(2000, 0, 1), new Date(2000, 0, 1));
    assert.match(bundler.staleness(out) ?? '', /^[\w/.-]+\.ts changed$/);
    rmSync(`${out}.inputs.json`);
    assert.equal(bundler.staleness(out), 'its list of sources is missing');
    rmSync(out);
    assert.equal(bundler.staleness(out), 'missing');
  });

  it('bin/berth runs a verb from dist/cli.cjs and keeps a code cache stamped with the bundle it was made from', async () => {
    const r = await berth(['schema']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /"\$schema": "http:\/\/json-schema.org\/draft-07\/schema#"/);
    assert.equal(bundler.staleness(), undefined, 'running a verb leaves the bundle current');
    const cache = `${bundler.BUNDLE}.v8cache`;
    assert.ok(existsSync(cache));
    const stamp = readFileSync(cache).subarray(0, 200).toString('latin1').split('\n')[0]!;
    assert.match(stamp, new RegExp(`^berth-cli ${readFileSync(bundler.BUNDLE).length} [\\d.]+ ${process.version.replace(/\./g, '\\.')}$`));
  });

  it('--version answers from package.json without the bundle', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    assert.equal((await berth(['--version'])).stdout, `${pkg.version}\n`);
  });
});
