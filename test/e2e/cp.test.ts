// `berth cp` through the compiled CLI on real containers (runc): both ways, tar on stdin/stdout,
// running and stopped containers, Docker's errors — and a container whose paths are symlinks to "/"
// and ".." (or to host paths) never makes the copy read or write the host outside its root. In a
// private network namespace: its containers join the default bridge network.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { lstat, mkdir, readFile, readdir, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { berth } from '../fixtures/helpers.ts';
import { insidePrivateNetns } from '../engine/network/harness.ts';
import { world, type World } from './helpers.ts';

const exec = promisify(execFile);
const BIN = new URL('../../bin/berth', import.meta.url).pathname;

if (insidePrivateNetns(import.meta.url)) {
  describe('cp between the host and containers', { timeout: 300_000 }, () => {
    let w: World;
    const cli = (args: string[]) => berth(args, { socket: w.socket });
    const ok = async (args: string[]) => {
      const r = await cli(args);
      assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    /** A shell pipeline, "$B" being the CLI (asynchronously: the daemon serves from this process). */
    const sh = async (script: string) =>
      (await exec('sh', ['-c', script], { env: { ...process.env, B: `${process.execPath} ${BIN}`, BERTH_SOCKET: w.socket }, cwd: w.dir, encoding: 'utf8' })).stdout;
    before(async () => {
      w = await world();
      await w.start();
      await ok(['run', '-d', '--name', 'box', w.image, 'sleep', '1000']);
    });
    after(async () => w?.teardown());

    it('copies a file in and out, into directories and under new names', async () => {
      await writeFile(join(w.dir, 'note.txt'), 'hello\n');
      await ok(['cp', join(w.dir, 'note.txt'), 'box:/tmp']);
      await ok(['cp', join(w.dir, 'note.txt'), 'box:/tmp/renamed.txt']);
      assert.equal(await ok(['exec', 'box', 'cat', '/tmp/note.txt', '/tmp/renamed.txt']), 'hello\nhello\n');
      assert.equal(await ok(['exec', 'box', 'stat', '-c', '%u:%g', '/tmp/note.txt']), '0:0\n');
      await mkdir(join(w.dir, 'out'));
      await ok(['cp', 'box:/tmp/note.txt', join(w.dir, 'out')]);
      await ok(['cp', 'box:/tmp/note.txt', join(w.dir, 'out', 'other.txt')]);
      assert.equal(await readFile(join(w.dir, 'out', 'note.txt'), 'utf8'), 'hello\n');
      assert.equal(await readFile(join(w.dir, 'out', 'other.txt'), 'utf8'), 'hello\n');
      // A directory: under its own name into an existing one, under the new name when missing.
      await ok(['exec', 'box', 'sh', '-c', 'mkdir -p /stuff/sub && echo deep > /stuff/sub/f']);
      await ok(['cp', 'box:/stuff', join(w.dir, 'out')]);
      await ok(['cp', 'box:/stuff', join(w.dir, 'copy')]);
      assert.equal(await readFile(join(w.dir, 'out', 'stuff', 'sub', 'f'), 'utf8'), 'deep\n');
      assert.equal(await readFile(join(w.dir, 'copy', 'sub', 'f'), 'utf8'), 'deep\n');
      await ok(['cp', join(w.dir, 'copy'), 'box:/copied']);
      assert.equal(await ok(['exec', 'box', 'cat', '/copied/sub/f']), 'deep\n');
    });

    it('- is a tar stream: on stdout out of the container, on stdin into it', async () => {
      assert.deepEqual((await sh('$B cp box:/stuff - | tar t')).trim().split('\n').sort(), ['stuff/', 'stuff/sub/', 'stuff/sub/f']);
      assert.deepEqual((await sh('$B cp box:/stuff/. - | tar t')).trim().split('\n').sort(), ['./', './sub/', './sub/f']);
      await sh('mkdir -p in/x && echo piped > in/x/p && tar -C in -c x | $B cp - box:/tmp');
      assert.equal(await ok(['exec', 'box', 'cat', '/tmp/x/p']), 'piped\n');
    });

    it('works on a stopped container', async () => {
      await ok(['run', '-d', '--name', 'gone', w.image, 'sh', '-c', 'echo made > /made']);
      await ok(['wait', 'gone']);
      await ok(['cp', 'gone:/made', join(w.dir, 'made')]);
      assert.equal(await readFile(join(w.dir, 'made'), 'utf8'), 'made\n');
      await ok(['cp', join(w.dir, 'note.txt'), 'gone:/']);
      await ok(['start', 'gone']);
      await ok(['wait', 'gone']);
      await ok(['cp', 'gone:/note.txt', join(w.dir, 'note-back.txt')]);
      assert.equal(await readFile(join(w.dir, 'note-back.txt'), 'utf8'), 'hello\n');
    });

    it('symlinks to /, .. and host paths resolve inside the container, both ways, running or stopped', async () => {
      const victim = join(w.dir, 'victim');
      await mkdir(victim);
      await writeFile(join(victim, 'secret'), 'host secret\n');
      const links = `ln -s / /root-link; ln -s ../../../../../../.. /tmp/up; ln -s ${victim} /victim; mkdir -p /d; ln -s .. /d/parent`;
      await ok(['run', '-d', '--name', 'evil', w.image, 'sh', '-c', `${links}; sleep 1000`]);
      await ok(['exec', 'evil', 'sh', '-c', 'test -L /victim']);
      for (const state of ['running', 'stopped']) {
        if (state === 'stopped') await ok(['stop', '-t', '0', 'evil']);
        // Out: each path names the host's secret if resolved on the host; in the container it does not exist.
        for (const p of [`/victim/secret`, `/tmp/up${victim}/secret`, `/root-link${victim}/secret`, `/d/parent/d/parent/..${victim}/secret`]) {
          const r = await cli(['cp', `evil:${p}`, join(w.dir, 'stolen')]);
          assert.equal(r.code, 1, `${state} ${p}: ${r.stdout}`);
          assert.match(r.stderr, new RegExp(`Could not find the file .* in container evil`), `${state} ${p}`);
          await assert.rejects(lstat(join(w.dir, 'stolen')));
        }
        // The link itself is what is copied out.
        await ok(['cp', 'evil:/victim', join(w.dir, `link-${state}`)]);
        assert.equal(await readlink(join(w.dir, `link-${state}`)), victim);
        // In: through each link the file lands inside the container, never in the host's directory.
        await writeFile(join(w.dir, 'planted'), `planted ${state}\n`);
        for (const dir of ['/root-link/tmp', '/tmp/up/tmp', '/d/parent/tmp']) await ok(['cp', join(w.dir, 'planted'), `evil:${dir}`]);
        const r = await cli(['cp', join(w.dir, 'planted'), 'evil:/victim/planted']);
        assert.match(r.stderr, /(Could not find the file|extraction point is not a directory:) \/victim in container evil/, 'the host path does not exist in the container');
        await sh(`tar -C ${w.dir} -c planted | $B cp - evil:/tmp/up${victim} || true`);
        assert.deepEqual(await readdir(victim), ['secret']);
        assert.equal(await readFile(join(victim, 'secret'), 'utf8'), 'host secret\n');
        assert.equal(await sh(`$B cp evil:/tmp/planted - | tar xO`), `planted ${state}\n`);
      }
      await assert.rejects(lstat('/planted'));
    });

    it('says which container or path is missing', async () => {
      let r = await cli(['cp', 'nope:/x', w.dir]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /no container named "nope"/);
      r = await cli(['cp', 'box:/nope', w.dir]);
      assert.match(r.stderr, /Could not find the file \/nope in container box/);
      r = await cli(['cp', join(w.dir, 'note.txt'), 'box:/nodir/x']);
      assert.match(r.stderr, /Could not find the file \/nodir in container box/);
      r = await cli(['cp', 'box:/etc/hostname', join(w.dir, 'nodir', 'x')]);
      assert.match(r.stderr, /invalid output path: directory ".*nodir" does not exist/);
      r = await cli(['cp', 'box:/stuff', join(w.dir, 'note.txt')]);
      assert.match(r.stderr, /cannot copy directory/);
      r = await cli(['cp', join(w.dir, 'missing'), 'box:/tmp']);
      assert.match(r.stderr, /missing: no such file or directory/);
    });
  });
}
