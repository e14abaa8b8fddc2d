// `start -a` / `start -ai`, `--sig-proxy` and `images -a` through the compiled CLI, as Docker's:
// start -a prints the started container's output (stdout and stderr apart) and exits with its
// code; -i sends this client's stdin; the signals the client gets while attached without a
// terminal go to the container (--sig-proxy, on by default), or end only the client when off;
// and the other flags of Docker's verbs berth lacked (exec --env-file, stats -a, stop --timeout).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { insidePrivateNetns } from '../engine/network/harness.ts';
import { BERTH, berth } from '../fixtures/helpers.ts';
import { suiteWorld, until } from './helpers.ts';

/** The CLI as a child process, its output collected, to be signalled. */
function background(socket: string, args: string[]) {
  const child = spawn(process.execPath, [BERTH, ...args], { env: { ...process.env, BERTH_SOCKET: socket }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, out, exited };
}

if (insidePrivateNetns(import.meta.url)) {
  describe('start -a/-i, --sig-proxy, images -a', { timeout: 300_000 }, () => {
    const s = suiteWorld();
    const ok = s.ok;

    it('start -a: this run\'s output on stdout and stderr, its exit code; again on a second start', async () => {
      await ok(['create', '--network', 'none', '--name', 'once', s.w.image, 'sh', '-c', 'echo out; echo err >&2; exit 4']);
      for (let i = 0; i < 2; i++) {
        const r = await s.cli(['start', '-a', 'once']);
        assert.deepEqual([r.code, r.stdout, r.stderr], [4, 'out\n', 'err\n']);
      }
      const many = await s.cli(['start', '-a', 'once', 'once']);
      assert.equal(many.code, 1);
      assert.match(many.stderr, /you cannot start and attach multiple containers at once/);
    });

    it('start -ai: this client\'s stdin goes to the container', async () => {
      await ok(['create', '-i', '--network', 'none', '--name', 'cat', s.w.image, 'cat']);
      const r = await berth(['start', '-ai', 'cat'], { socket: s.w.socket, input: 'hello\n' });
      assert.deepEqual([r.code, r.stdout], [0, 'hello\n'], r.stderr);
    });

    it('--sig-proxy: SIGINT to `run` reaches the container (its trap sets the exit code); off, it ends only the client', async () => {
      const script = 'trap "echo got INT; exit 7" INT; echo ready; while true; do sleep 0.1; done';
      const on = background(s.w.socket, ['run', '--network', 'none', '--name', 'proxied', s.w.image, 'sh', '-c', script]);
      await until('the container is ready', () => on.out.stdout.includes('ready'));
      on.child.kill('SIGINT');
      assert.deepEqual(await on.exited, { code: 7, signal: null });
      assert.equal(on.out.stdout, 'ready\ngot INT\n');

      const off = background(s.w.socket, ['run', '--sig-proxy=false', '--network', 'none', '--name', 'kept', s.w.image, 'sh', '-c', script]);
      await until('the container is ready', () => off.out.stdout.includes('ready'));
      off.child.kill('SIGINT');
      assert.equal((await off.exited).signal, 'SIGINT');
      assert.equal(await ok(['inspect', '-f', '{{.State.Status}}', 'kept']), 'running\n');

      await ok(['rm', '-f', 'kept']);
    });

    it('start -a follows a container without stdin or terminal from its start: its first output, and SIGINT proxied to it', async () => {
      const script = 'trap "echo got INT; exit 7" INT; echo ready; while true; do sleep 0.1; done';
      await ok(['create', '--network', 'none', '--name', 'trapper', s.w.image, 'sh', '-c', script]);
      const a = background(s.w.socket, ['start', '-a', 'trapper']);
      await until('the container is ready', () => a.out.stdout.includes('ready'));
      a.child.kill('SIGINT');
      assert.deepEqual(await a.exited, { code: 7, signal: null });
      assert.equal(a.out.stdout, 'ready\ngot INT\n');
      await ok(['rm', '-f', 'trapper']);
    });

    it('Docker\'s other flags: exec --env-file, stats -a (a stopped one as zeros), stop --timeout', async () => {
      await ok(['run', '-d', '--network', 'none', '--name', 'box', s.w.image, 'sleep', '1000']);
      const env = join(s.w.dir, 'exec.env');
      writeFileSync(env, '# a comment\nA=from-file\nB=file\n');
      assert.equal(await ok(['exec', '--env-file', env, '-e', 'B=flag', 'box', 'sh', '-c', 'echo $A $B']), 'from-file flag\n');
      assert.equal(await ok(['stats', '--no-stream', '--format', '{{.Name}}']), 'box\n');
      assert.equal(await ok(['stats', '-a', '--no-stream', '--format', '{{.Name}} {{.PIDs}}']).then((t) => t.split('\n').sort().join('\n')), '\nbox 1\ncat 0\nonce 0\nproxied 0');
      assert.equal(await ok(['stop', '--timeout', '0', 'box']), 'box\n');
      assert.equal(await ok(['inspect', '-f', '{{.State.Status}}', 'box']), 'exited\n');
    });

    it('images -a lists what images lists (berth keeps no intermediate images)', async () => {
      assert.equal(await ok(['images', '-a', '--format', '{{.Repository}}:{{.Tag}}']), await ok(['images', '--format', '{{.Repository}}:{{.Tag}}']));
      assert.match(await ok(['images', '-a']), /test\/busybox\s+v1/);
    });
  });
}
