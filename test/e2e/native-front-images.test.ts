// bin/berth's native front on `build` and `pull` (native/cli-build.c, cli-pull.c) against the Node
// CLI, on a real daemon (native runtime) and a real registry: the same command through both gives
// the same stdout, stderr and exit code. The front answers without node on its PATH (so it did not
// hand the command on); what it does not take (a flag it does not know, two contexts, a terminal)
// goes to the Node CLI with the same result. The front sends the context's path, never its files:
// the daemon reads the directory, so its refusals (a COPY of ../, a symlink out of the context) are
// the same whichever client asked.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { before, describe, it } from 'node:test';
import { BERTH, runProgram, type CliResult } from '../fixtures/helpers.ts';
import { suiteWorld } from './helpers.ts';
import { insidePrivateNetns } from '../engine/network/harness.ts';

const NODE_PATH = `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`;
const NO_NODE = '/nonexistent';

function runCli(program: string[], args: string[], env: Record<string, string>, cwd?: string): Promise<CliResult> {
  const e: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete e.BERTH_DEBUG;
  return runProgram(program[0]!, [...program.slice(1), ...args], { env: e, ...(cwd ? { cwd } : {}) });
}

/** Image ids and digests masked: two --no-cache builds make layers of their own. */
const masked = (r: CliResult): CliResult => ({ ...r, stdout: r.stdout.replace(/\b(sha256:)?[0-9a-f]{12,64}\b/g, '<id>') });

if (insidePrivateNetns(import.meta.url)) {
  describe('bin/berth\'s native front on build and pull', () => {
    const s = suiteWorld({ daemon: { runtime: 'native' } });
    let ctx: string;
    const env = (socket = s.w.socket) => ({ BERTH_SOCKET: socket, PATH: NODE_PATH });
    const node = (args: string[], o: { socket?: string; cwd?: string } = {}) => runCli([process.execPath, BERTH], args, env(o.socket), o.cwd);
    const front = (args: string[], o: { socket?: string; cwd?: string } = {}) => runCli([BERTH], args, { ...env(o.socket), PATH: NO_NODE }, o.cwd);
    async function same(args: string[], o: { socket?: string; cwd?: string; mask?: boolean } = {}): Promise<CliResult> {
      const n = await node(args, o);
      const f = await front(args, o);
      assert.deepEqual(o.mask ? masked(f) : f, o.mask ? masked(n) : n, `berth ${args.join(' ')}: the front answers as the Node CLI`);
      return f;
    }
    async function handedOn(args: string[]): Promise<CliResult> {
      const n = await node(args);
      assert.deepEqual(await runCli([BERTH], args, env()), n, `berth ${args.join(' ')}: the same through the front`);
      assert.equal((await front(args)).code, 127, `berth ${args.join(' ')} goes to node`);
      return n;
    }

    before(() => {
      ctx = join(s.w.dir, 'ctx');
      mkdirSync(join(ctx, 'sub'), { recursive: true });
      copyFileSync('/bin/busybox', join(ctx, 'busybox'));
      chmodSync(join(ctx, 'busybox'), 0o755);
      writeFileSync(join(ctx, 'msg'), 'hello from the context\n');
      writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch AS second\nCOPY msg /m\nFROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nARG WHO=nobody\nCOPY msg /msg\nRUN echo "out for $WHO"; echo "err for $WHO" >&2\nCMD ["cat", "/msg"]\n');
      writeFileSync(join(ctx, 'sub', 'Other.Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "sh", "-c", "echo failing now >&2; exit 42"]\n');
      writeFileSync(join(ctx, 'Climb.Dockerfile'), 'FROM scratch\nCOPY ../outside /x\n');
      writeFileSync(join(ctx, 'Link.Dockerfile'), 'FROM scratch\nCOPY out-link /x\n');
      writeFileSync(join(s.w.dir, 'outside'), 'not for the build\n');
      symlinkSync('../outside', join(ctx, 'out-link'));
      writeFileSync(join(ctx, 'Bad.Dockerfile'), 'FROM scratch\nFROBNICATE now\n');
    });

    it('build: the step lines, RUN output on both streams, the last lines; cached on a rebuild', async () => {
      const cold = await same(['build', '--no-cache', '-t', 'localhost/front:1', '--build-arg', 'WHO=tests', ctx], { mask: true });
      assert.equal(cold.code, 0, cold.stderr);
      assert.match(cold.stdout, /^STEP 1\/\d+ \[\w+\]: FROM scratch$/m);
      assert.match(cold.stdout, /^out for tests$/m);
      assert.match(cold.stderr, /^err for tests$/m);
      assert.match(cold.stdout, /^Successfully built [0-9a-f]{12}\nSuccessfully tagged localhost\/front:1\n$/m);
      const warm = await same(['build', '-t', 'localhost/front:1', '--build-arg', 'WHO=tests', ctx]);
      assert.equal(warm.stdout.split('\n').filter((l) => l.endsWith('  CACHED')).length, 4);
      assert.doesNotMatch(warm.stdout, /^out for/m);
      const id = /Successfully built (\w+)/.exec(warm.stdout)![1]!;
      assert.match((await s.ok(['images'])).split('\n').find((l) => l.startsWith('localhost/front'))!, new RegExp(id));
    });

    it('build: flags in every spelling commander takes, before or after the context; `image build`', async () => {
      const base = ['--build-arg', 'WHO=tests'];
      const q = await same(['build', '-q', '-t', 'localhost/front:1', ...base, ctx]);
      assert.match(q.stdout, /^sha256:[0-9a-f]{64}\n$/);
      for (const args of [
        ['build', ctx, '-q', '--tag=localhost/front:1', ...base],
        ['build', '-tlocalhost/front:1', '--quiet', '--build-arg=WHO=tests', ctx],
        ['image', 'build', '--network', 'none', '-q', '-t', 'localhost/front:1', '-t', 'localhost/front:2', '--build-arg', 'WHO=tests', ctx],
        ['build', '-q', '--target', 'second', '-t', 'localhost/front:second', ctx],
        ['build', '-q', '--target=', ctx],
        ['--socket', s.w.socket, 'build', '-q', ctx],
      ]) {
        const r = await same(args, { socket: args[0] === '--socket' ? '/nonexistent.sock' : s.w.socket });
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      }
      // Relative paths resolve against the working directory, `..` included, as path.resolve does.
      const rel = await same(['build', '-q', '-f', 'sub/../Dockerfile', '-t', 'localhost/front:rel', '.'], { cwd: ctx });
      assert.equal(rel.code, 0, rel.stderr);
      const up = await same(['build', '-q', `--file=${join(ctx, 'Dockerfile')}`, relative(join(ctx, 'sub'), ctx) + '/./'], { cwd: join(ctx, 'sub') });
      assert.equal(up.code, 0, up.stderr);
    });

    it('build: a failing RUN, a bad Dockerfile, a missing context, a refused flag, no daemon', async () => {
      await node(['build', '-f', join(ctx, 'sub', 'Other.Dockerfile'), ctx]); // its COPY cached for both
      const fail = await same(['build', '-f', join(ctx, 'sub', 'Other.Dockerfile'), ctx]);
      assert.equal(fail.code, 1);
      assert.match(fail.stderr, /failing now/);
      assert.match(fail.stderr, /error: sub\/Other\.Dockerfile:3:1: RUN .*: the command returned a non-zero code: 42/);
      const bad = await same(['build', '-f', join(ctx, 'Bad.Dockerfile'), ctx]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /Bad\.Dockerfile:2:1/);
      const missing = await same(['build', '-t', 'x:1', 'no/such/dir']);
      assert.deepEqual(missing, { code: 1, stdout: '', stderr: 'error: build context no/such/dir does not exist\n' });
      const network = await same(['build', '--network', 'bridge', ctx]);
      assert.equal(network.code, 1);
      assert.match(network.stderr, /^error: network "bridge" must be default, none or host/);
      const away = await same(['build', ctx], { socket: join(s.w.dir, 'nobody.sock') });
      assert.equal(away.code, 1);
      assert.match(away.stderr, /^error: cannot reach the berth daemon at .*nobody\.sock/);
    });

    it('build: the daemon keeps every source inside the context (../ and a symlink out are refused)', async () => {
      const climb = await same(['build', '-f', join(ctx, 'Climb.Dockerfile'), ctx]);
      assert.equal(climb.code, 1);
      assert.match(climb.stderr, /outside the build context: \.\.\/outside/);
      const link = await same(['build', '-f', join(ctx, 'Link.Dockerfile'), ctx]);
      assert.equal(link.code, 1);
      assert.match(link.stderr, /out-link/);
      assert.doesNotMatch(link.stdout + link.stderr, /not for the build/);
      // A context named through `..` is the directory path.resolve makes of it, nothing else.
      const named = await same(['build', '-q', '-f', join(ctx, 'Climb.Dockerfile'), join(ctx, 'sub', '..')]);
      assert.equal(named.code, 1);
    });

    it('build: what the front does not take goes to the Node CLI', async () => {
      assert.match((await handedOn(['build', '--platform', 'linux/amd64', ctx])).stderr, /unknown option '--platform'/);
      assert.match((await handedOn(['build', ctx, ctx])).stderr, /too many arguments/);
      assert.match((await handedOn(['build'])).stderr, /missing required argument 'context'/);
      assert.match((await handedOn(['build', '--help'])).stdout, /Usage: berth build/);
      assert.equal((await handedOn(['build', '-q', '--', ctx])).code, 0);
    });

    it('build: switches combined as commander splits them (-qt TAG: -q, then -t with the rest)', async () => {
      const r = await same(['build', '-qtlocalhost/front:1', ctx]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
      assert.match((await handedOn(['build', '-qx', ctx])).stderr, /unknown option '-x'/);
    });

    it('pull: the layer lines and Docker\'s last lines; -q; `image pull`; an unknown image; no daemon', async () => {
      // Cold, through the front alone: every layer downloaded.
      const cold = await front(['pull', s.w.image]);
      assert.equal(cold.code, 0, cold.stderr);
      assert.match(cold.stderr, /^manifest: resolving\n([0-9a-f]{12}: done\n)+$/);
      assert.match(cold.stdout, new RegExp(`^Digest: sha256:[0-9a-f]{64}\\nStatus: Downloaded newer image for ${s.w.image}\\n${s.w.image}\\n$`));
      const again = await same(['pull', s.w.image]);
      assert.match(again.stderr, /: already present\n/);
      assert.equal(again.stdout, cold.stdout);
      assert.match((await same(['pull', '-q', s.w.image])).stdout, /^sha256:[0-9a-f]{64}\n$/);
      assert.equal((await same(['image', 'pull', s.w.image, '--quiet'])).code, 0);
      const unknown = await same(['pull', `${s.w.registry.host}/test/none:1`]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /^manifest: resolving\nerror: .*none/);
      const away = await same(['pull', s.w.image], { socket: join(s.w.dir, 'nobody.sock') });
      assert.equal(away.code, 1);
      assert.match(away.stderr, /cannot reach the berth daemon/);
      assert.match((await handedOn(['pull', '--platform', 'linux/amd64', s.w.image])).stderr, /unknown option '--platform'/);
      assert.match((await handedOn(['pull'])).stderr, /missing required argument 'ref'/);
    });
  });
}
