// berth-spawner (native/spawner.c) through engine/spawner.ts: the daemon's commands run by a small
// process of its own, with execFile's results and errors.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { mountFs, Spawner, spawnerBinary, unmountFs } from '../../engine/spawner.ts';
import { isMounted } from '../../engine/mount-point.ts';
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

  it('mounts an overlay with lower directories relative to its working directory, and unmounts it (builtins, no mount(8))', async () => {
    const layers = join(dir, 'layers');
    for (const d of ['layers/a', 'layers/b', 'upper', 'work', 'rootfs']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(layers, 'a', 'low'), 'a');
    writeFileSync(join(layers, 'b', 'low'), 'b');
    writeFileSync(join(layers, 'a', 'only-a'), 'a');
    const rootfs = join(dir, 'rootfs');
    await mountFs('overlay', 'overlay', rootfs, `lowerdir=b:a,upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`, { cwd: layers });
    try {
      assert.ok(await isMounted(rootfs));
      // The upper lower (b) wins; what only a has shows through; writes land in the upper directory.
      assert.equal(readFileSync(join(rootfs, 'low'), 'utf8'), 'b');
      assert.equal(readFileSync(join(rootfs, 'only-a'), 'utf8'), 'a');
      writeFileSync(join(rootfs, 'new'), 'n');
      assert.equal(readFileSync(join(dir, 'upper', 'new'), 'utf8'), 'n');
      // Mounted in this process's mount namespace, as mount(8) would: the table lists it.
      assert.ok(readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${rootfs} `));
    } finally {
      await unmountFs(rootfs);
    }
    assert.equal(await isMounted(rootfs), false);
    // A failure is a failed command saying what and where, as mount(8)'s exit status 32.
    const missing = join(dir, 'missing');
    const err = await mountFs('overlay', 'overlay', missing, 'lowerdir=a', { cwd: layers }).then(() => assert.fail('mounted on a missing path'), (e: Record<string, unknown>) => e);
    assert.equal(err.code, 32);
    assert.match(commandErrorText(err), new RegExp(`${missing}.*No such file or directory`));
    const notMounted = await unmountFs(rootfs).then(() => assert.fail('unmounted what is not mounted'), (e: Record<string, unknown>) => e);
    assert.match(commandErrorText(notMounted), /umount: .*rootfs: Invalid argument/);
    // Detached (umount -l) while a process holds it open.
    await mountFs('overlay', 'overlay', rootfs, 'lowerdir=b:a', { cwd: layers });
    const holder = spawn('sleep', ['30'], { cwd: rootfs, stdio: 'ignore' });
    try {
      await assert.rejects(unmountFs(rootfs), (e: unknown) => /busy/i.test(commandErrorText(e)));
      await unmountFs(rootfs, { detach: true });
      assert.equal(await isMounted(rootfs), false);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('runs berth-netns\'s commands as its builtin netns: a namespace pinned and unpinned, errors as the program\'s', async () => {
    const pin = join(dir, 'ns');
    writeFileSync(pin, '');
    await sp.run('', ['netns', 'create', pin]);
    try {
      assert.ok(await isMounted(pin), 'pinned by a bind mount of the namespace');
      // A namespace of its own, not the spawner's: its loopback is up and it has nothing else.
      const links = (await execFileP('nsenter', [`--net=${pin}`, 'ip', '-o', 'link', 'show'])).stdout.trim().split('\n');
      assert.equal(links.length, 1);
      assert.match(links[0]!, /^1: lo: <LOOPBACK,UP,LOWER_UP>/);
      assert.notEqual((await execFileP('readlink', ['/proc/self/ns/net'])).stdout, (await execFileP('nsenter', [`--net=${pin}`, 'readlink', '/proc/self/ns/net'])).stdout);
    } finally {
      await sp.run('', ['netns', 'remove', pin]);
    }
    assert.equal(existsSync(pin), false, 'remove unpins and removes the file');
    // The same failure, exit status and words from the builtin as from the program.
    const program = join(bin, '..', 'berth-netns');
    const args = ['del', 'berth-nosuchdev'];
    const [fromBuiltin, fromProgram] = await Promise.all([
      sp.run('', ['netns', ...args]).then(() => assert.fail('deleted a missing device'), (e: Record<string, unknown>) => e),
      execFileP(program, args).then(() => assert.fail('deleted a missing device'), (e: Record<string, unknown>) => e),
    ]);
    assert.equal(fromBuiltin.code, 1);
    assert.equal(fromBuiltin.code, fromProgram.code);
    assert.equal(fromBuiltin.stderr, fromProgram.stderr);
    assert.match(String(fromBuiltin.stderr), /Cannot find device "berth-nosuchdev"/);
  });
});
