// berth-spawner (native/spawner.c) through engine/spawner.ts: the daemon's commands run by a small
// process of its own, with execFile's results and errors.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { Spawner, spawnerBinary } from '../../engine/spawner.ts';
import { commandErrorText } from '../../engine/command-error.ts';
import { until } from '../fixtures/helpers.ts';

const execFileP = promisify(execFile);

describe('Spawner', () => {
  const bin = spawnerBinary();
  assert.ok(bin, 'native/build/berth-spawner is built (npm run build)');
  const sp = new Spawner(bin);
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'berth-spawner-')));
  after(() => {
    sp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a command with its arguments as given, in a working directory, stdin empty', async () => {
    assert.deepEqual(await sp.run('printf', ['%s|', 'a b', '', "'q'", '$HOME']), { stdout: "a b||'q'|$HOME|", stderr: '' });
    assert.equal((await sp.run('pwd', [], { cwd: dir })).stdout, `${dir}\n`);
    assert.equal((await sp.run('cat', [])).stdout, '');
  });

  it('fails as execFile fails: exit status, signal, stderr, a missing program', async () => {
    for (const [file, args] of [
      ['sh', ['-c', 'echo out; echo oops >&2; exit 3']],
      ['sh', ['-c', 'kill -TERM $$']],
      ['berth-no-such-program', []],
    ] as const) {
      const theirs = await execFileP(file, [...args], { encoding: 'utf8' }).then(() => assert.fail('execFile succeeded'), (e: Record<string, unknown>) => e);
      const ours = await sp.run(file, [...args]).then(() => assert.fail('the spawner succeeded'), (e: Record<string, unknown>) => e);
      for (const k of ['code', 'signal', 'stdout', 'stderr', 'message']) assert.deepEqual(ours[k], theirs[k], `${file}: ${k}`);
      assert.equal(commandErrorText(ours), commandErrorText(theirs));
    }
  });

  it('runs many commands at once and answers each its own, whole, even past a pipe buffer', async () => {
    const outs = await Promise.all(Array.from({ length: 40 }, (_, i) => sp.run('sh', ['-c', `sleep 0.0${i % 10}; head -c ${i * 7000} /dev/zero | tr '\\0' x; echo " ${i}"`])));
    for (const [i, o] of outs.entries()) assert.equal(o.stdout, `${'x'.repeat(i * 7000)} ${i}\n`);
  });

  it('ends when the daemon that started it is killed, leaving the commands it ran to finish', async () => {
    // A daemon stand-in that starts a spawner, runs a command through it, prints the spawner's pid and waits.
    const script = `import { Spawner } from ${JSON.stringify(new URL('../../engine/spawner.ts', import.meta.url).href)};
      const sp = new Spawner(${JSON.stringify(bin)});
      await sp.run('true', []);
      const running = sp.run('sleep', ['1']);
      console.log(sp.pid);
      await running;
      setInterval(() => undefined, 1000);`;
    const daemon = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = Number(await new Promise<string>((resolve) => daemon.stdout.once('data', (d: Buffer) => resolve(d.toString()))));
    assert.ok(existsSync(`/proc/${pid}`));
    daemon.kill('SIGKILL');
    // EOF on its stdin: it exits once its child (sleep 1) has.
    await until('the spawner exits', async () => !existsSync(`/proc/${pid}`) || /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8')));
  });

  it('rejects what it was running when it dies, and starts again for the next command', async () => {
    const running = sp.run('sleep', ['5']);
    const pid = sp.pid!;
    process.kill(pid, 'SIGKILL');
    await assert.rejects(running, (err: Error & { code?: string }) => err.code === 'ESPAWNER' && /may or may not have run/.test(err.message));
    assert.equal((await sp.run('echo', ['again'])).stdout, 'again\n');
    assert.notEqual(sp.pid, pid);
  });
});
