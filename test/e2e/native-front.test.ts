// bin/berth's native front (native/cli-front.c: --version, exec, run, logs, ps, apply) against the Node CLI: for every command the front
// answers itself, the same command through both gives the same stdout, stderr and exit code, on
// real containers of a real daemon (native runtime). That the front answered, and did not hand the
// command to Node, shows in a PATH without node: the front needs none. What it does not understand
// goes to the Node CLI, with the same result. And a checkout without native/build (a fresh clone
// before `npm run build`) runs every command through Node.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { BERTH, REPO, runProgram, type CliResult } from '../fixtures/helpers.ts';
import { suiteWorld, until } from './helpers.ts';
import { insidePrivateNetns } from '../engine/network/harness.ts';

/** Runs `program args` with this environment (BERTH_SOCKET and PATH as given, BERTH_DEBUG unset). */
function runCli(program: string[], args: string[], env: Record<string, string>, input = ''): Promise<CliResult> {
  const e: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete e.BERTH_DEBUG;
  return runProgram(program[0]!, [...program.slice(1), ...args], { env: e, input });
}

const NODE_PATH = `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`;
/** A PATH where no node is found: a command the front hands on fails there (127). */
const NO_NODE = '/nonexistent';

if (insidePrivateNetns(import.meta.url)) {
  describe('bin/berth\'s native front answers as the Node CLI does', () => {
    const s = suiteWorld({ daemon: { runtime: 'native' } });
    const env = (socket = s.w.socket) => ({ BERTH_SOCKET: socket, PATH: NODE_PATH });
    /** The command through the Node CLI (node bin/berth) and through the front (bin/berth, without node on its PATH). */
    async function same(args: string[], o: { socket?: string; input?: string } = {}): Promise<CliResult> {
      const node = await runCli([process.execPath, BERTH], args, env(o.socket), o.input);
      const front = await runCli([BERTH], args, { ...env(o.socket), PATH: NO_NODE }, o.input);
      assert.deepEqual(front, node, `berth ${args.join(' ')}: the front answers as the Node CLI`);
      return front;
    }
    /** A command the front hands to the Node CLI: the same result as node bin/berth (and none without node). */
    async function handedOn(args: string[]): Promise<CliResult> {
      const node = await runCli([process.execPath, BERTH], args, env());
      const front = await runCli([BERTH], args, env());
      assert.deepEqual(front, node, `berth ${args.join(' ')}: the same through the front`);
      const alone = await runCli([BERTH], args, { ...env(), PATH: NO_NODE });
      assert.equal(alone.code, 127, `berth ${args.join(' ')} goes to node: ${alone.stderr}`);
      return front;
    }

    it('is built by npm run build', () => {
      assert.ok(existsSync(join(REPO, 'native', 'build', 'berth-cli')), 'native/build/berth-cli: run `npm run build`');
    });

    it('--version and -v', async () => {
      const v = await same(['--version']);
      assert.match(v.stdout, /^\d+\.\d+\.\d+/);
      assert.deepEqual(await same(['-v']), v);
    });

    it('exec: output on both streams, the exit code; flags in every spelling commander takes', async () => {
      await s.ok(['run', '-d', '--network', 'none', '--name', 'fx', s.w.image, 'sleep', '600']);
      const r = await same(['exec', 'fx', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
      assert.equal(r.code, 7);
      assert.equal(r.stdout, 'out\n');
      assert.equal(r.stderr, 'err\n');
      const f = await same(['exec', '-e', 'A=1', '-eB=2', '--env=C=3', '--env', 'D=4', '-u', '1000', '-w', '/tmp', 'fx', 'sh', '-c', 'echo $A$B$C$D $(id -u) $(pwd)']);
      assert.equal(f.stdout, '1234 1000 /tmp\n');
      assert.equal((await same(['exec', '--workdir=/etc', '--user=0', '-u', '', 'fx', 'pwd'])).stdout, '/etc\n');
      // After the name, everything is the command's, flags and "--" too; before it, "--" ends the flags.
      assert.equal((await same(['exec', 'fx', 'printf', '%s|', '-e', '--', 'x'])).stdout, '-e|--|x|');
      assert.equal((await same(['exec', '--', 'fx', 'echo', 'y'])).stdout, 'y\n');
      assert.equal((await same(['container', 'exec', 'fx', 'echo', 'group'])).stdout, 'group\n');
      assert.equal((await same(['--socket', s.w.socket, 'exec', 'fx', 'echo', 'a'], { socket: '/nonexistent.sock' })).stdout, 'a\n');
      assert.equal((await same([`--socket=${s.w.socket}`, 'exec', 'fx', 'echo', 'b'], { socket: '/nonexistent.sock' })).stdout, 'b\n');
    });

    it('exec: a long output, a killed process, stdin not read, a command not found', async () => {
      const long = await same(['exec', 'fx', 'sh', '-c', 'seq 1 40000; seq 1 20000 >&2']);
      assert.equal(long.stdout.split('\n').length, 40001);
      assert.equal((await same(['exec', 'fx', 'sh', '-c', 'kill -9 $$'])).code, 137);
      assert.equal((await same(['exec', 'fx', 'cat'], { input: 'typed\n' })).stdout, '');
      const missing = await same(['exec', 'fx', 'no-such-command']);
      assert.equal(missing.code, 127);
      assert.match(missing.stderr, /no-such-command.*not found/);
    });

    it('exec: a missing container, a stopped one, no daemon', async () => {
      const missing = await same(['exec', 'nope', 'true']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^error: .*nope/);
      await s.ok(['run', '--network', 'none', '--name', 'done', s.w.image, 'true']);
      const stopped = await same(['exec', 'done', 'true']);
      assert.equal(stopped.code, 1);
      assert.match(stopped.stderr, /^error: /);
      const away = await same(['exec', 'fx', 'true'], { socket: join(s.w.dir, 'nobody.sock') });
      assert.equal(away.code, 1);
      assert.match(away.stderr, /^error: cannot reach the berth daemon at .*nobody\.sock: is `berth daemon` running\? \(ENOENT; set --socket or BERTH_SOCKET\)\n$/);
    });

    it('run --rm [--name] [--network]: output, exit code, arguments verbatim; the errors of a run that fails', async () => {
      const r = await same(['run', '--rm', '--network', 'none', '--name', 'r1', s.w.image, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
      assert.deepEqual(r, { code: 3, stdout: 'out\n', stderr: 'err\n' });
      assert.equal((await same(['container', 'run', '--network=none', '--rm', '--name=r2', s.w.image, 'printf', '%s|', '$HOME', '$(X)', '--rm'])).stdout, '$HOME|$(X)|--rm|');
      assert.equal((await same(['run', '--network', 'none', s.w.image, 'true'])).code, 0);
      const taken = await same(['run', '--rm', '--network', 'none', '--name', 'fx', s.w.image, 'true']);
      assert.equal(taken.code, 125);
      assert.match(taken.stderr, /^error: .*fx/);
      const unknown = await same(['run', '--rm', '--network', 'none', '--name', 'r3', `${s.w.registry.host}/test/none:1`, 'true']);
      assert.equal(unknown.code, 125);
      assert.match(unknown.stderr, /^error: container "r3" failed to start/);
      const away = await same(['run', '--rm', s.w.image, 'true'], { socket: join(s.w.dir, 'nobody.sock') });
      assert.equal(away.code, 125);
      assert.match(away.stderr, /cannot reach the berth daemon/);
    });

    it('run: the signals it gets go to the container (--sig-proxy), as the Node CLI\'s', async () => {
      for (const program of [[process.execPath, BERTH], [BERTH]]) {
        const child = spawn(program[0]!, [...program.slice(1), 'run', '--rm', '--network', 'none', '--name', 'sig', s.w.image, 'sh', '-c', 'trap "echo got TERM; exit 5" TERM; echo ready; sleep 600 & wait'], {
          env: { ...process.env, BERTH_SOCKET: s.w.socket, PATH: program.length === 1 ? NO_NODE : NODE_PATH },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        const code = new Promise<number | null>((resolve) => child.on('close', resolve));
        await until('the container\'s first line', () => out.includes('ready\n'));
        child.kill('SIGTERM');
        assert.equal(await code, 5, `${program.join(' ')}: the container's exit code`);
        assert.equal(out, 'ready\ngot TERM\n');
      }
    });

    it('logs [-f] [-t] [-n N]: both streams, timestamps, the last lines, following until the end', async () => {
      await s.ok(['run', '-d', '--network', 'none', '--name', 'lg', s.w.image, 'sh', '-c', 'echo one; echo two >&2; sleep 1; echo three']);
      // Through the Node CLI first: -f follows the running container until it ends.
      const followed = await same(['logs', '-f', 'lg']);
      assert.equal(followed.stdout.replace(/\n/g, ''), 'onethree');
      assert.equal(followed.stderr, 'two\n');
      for (const args of [['logs', 'lg'], ['logs', '-t', 'lg'], ['logs', '-n', '1', 'lg'], ['logs', '--tail=all', 'lg'], ['container', 'logs', '--timestamps', 'lg']]) {
        const r = await same(args);
        assert.equal(r.code, 0, r.stderr);
      }
      assert.match((await same(['logs', '-t', 'lg'])).stdout, /^\d{4}-\d\d-\d\dT[\d:.]+Z one\n/);
      assert.equal((await same(['logs', 'nope'])).code, 1);
      // A --tail that is not a number or "all": the Node CLI's own error.
      assert.match((await handedOn(['logs', '-n', 'x', 'lg'])).stderr, /^error: --tail "x"/);
      await handedOn(['logs', '--since', '10m', 'lg']);
    });

    it('ps [-a] [-q] [--no-trunc]: Docker\'s table, newest first, byte for byte as the Node CLI prints it', async () => {
      /**
       * As same(), but with the durations ("Up 5 seconds", "10 seconds ago") and the padding their
       * width makes left out: a second may tick between the two commands, which a loaded host makes
       * likely with many containers. The words of a duration are checked below on the front alone.
       */
      const DURATION = /Less than a second|About an? (?:minute|hour)|\d+ (?:seconds?|minutes|hours|days|weeks|months|years)/g;
      const untimed = (r: CliResult) => ({ ...r, stdout: r.stdout.replace(DURATION, 'T').replace(/ {3,}/g, '   ') });
      async function sameTable(args: string[]): Promise<CliResult> {
        const node = await runCli([process.execPath, BERTH], args, env());
        const front = await runCli([BERTH], args, { ...env(), PATH: NO_NODE });
        assert.deepEqual(untimed(front), untimed(node), `berth ${args.join(' ')}: the front answers as the Node CLI`);
        return front;
      }
      await s.ok(['run', '-d', '--network', 'none', '--name', 'long', s.w.image, 'sh', '-c', 'echo "é $HOME ünïcödé — a long command"; sleep 600']);
      await s.ok(['run', '-d', '-p', '18080:80', '--name', 'pp', s.w.image, 'sleep', '600']);
      for (const args of [['ps'], ['ps', '-a'], ['ps', '-aq'], ['ps', '-q', '--no-trunc'], ['ps', '--all', '--no-trunc'], ['container', 'ls', '-a'], ['container', 'list'], ['ps', '-qa', '--']]) {
        assert.equal((await sameTable(args)).code, 0, args.join(' '));
      }
      const table = (await sameTable(['ps', '-a'])).stdout.split('\n').slice(0, -1);
      assert.match(table[0]!, /^CONTAINER ID {3}IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$/);
      // Aligned as Go's tabwriter: every cell starts where its header does, after at least 3 spaces.
      for (const header of ['IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'NAMES']) {
        const at = table[0]!.indexOf(header);
        for (const line of table) assert.match(line.slice(at - 3, at + 1), /^ {3}\S$/, `${header} in ${JSON.stringify(line)}`);
      }
      assert.match(table[1]!, /^[0-9a-f]{12} +\S+ +"sleep 600" +(?:Less than a second|\d+ seconds?) ago +Up (?:Less than a second|\d+ seconds?) +0\.0\.0\.0:18080->80\/tcp +pp$/);
      assert.ok(table.some((l) => l.includes('"sh -c echo \\"é $HOME…"') && / long$/.test(l)), table.join('\n'));
      assert.ok(table.some((l) => /Exited \(0\) .* ago +done$/.test(l)), table.join('\n'));
      assert.ok(table.some((l) => l.includes('0.0.0.0:18080->80/tcp') && / pp$/.test(l)), table.join('\n'));
      assert.ok((await sameTable(['ps', '-q'])).stdout.split('\n').slice(0, -1).every((id) => /^[0-9a-f]{12}$/.test(id)));
      assert.equal((await same(['ps'], { socket: join(s.w.dir, 'nobody.sock') })).code, 1);
      assert.equal((await handedOn(['ps', '-n', '1', '--format', '{{.Names}}'])).stdout, 'pp\n');
      assert.match((await handedOn(['ps', 'extra'])).stderr, /too many arguments/);
    });

    it('apply -f FILE…: what it did, the warnings, errors at file:line:col, as the Node CLI', async () => {
      const file = (name: string, text: string) => (writeFileSync(join(s.w.dir, name), text), join(s.w.dir, name));
      const pod = file('trio.yaml', `apiVersion: v1
kind: Pod
metadata: {name: duo}
spec:
  terminationGracePeriodSeconds: 0
  nodeSelector: {disk: ssd}
  containers:
  - {name: app, image: ${s.w.image}, command: [sleep, '600']}
`);
      const box = file('box.yaml', `apiVersion: berth.dev/v1\nkind: Container\nmetadata: {name: box}\nspec: {image: ${s.w.image}, command: [sleep, '600'], terminationGracePeriodSeconds: 0}\n`);
      // The first apply changes what the second sees: the front alone, then both on the same state.
      const first = await runCli([BERTH], ['apply', '-f', pod, '--filename', box], { ...env(), PATH: NO_NODE });
      assert.deepEqual(first, { code: 0, stdout: 'pod/duo created\ncontainer/box created\n', stderr: `Warning: ${pod}:6:3: Pod "duo": spec.nodeSelector: ignored by berth: one host: every Pod runs on it\n` });
      assert.equal((await same(['apply', '-f', pod, `-f${box}`])).stdout, 'pod/duo unchanged\ncontainer/box unchanged\n');
      writeFileSync(box, readFileSync(box, 'utf8').replace("'600'", "'601'"));
      assert.equal((await runCli([BERTH], ['apply', '-f', `${s.w.dir}/sub/../box.yaml`], { ...env(), PATH: NO_NODE })).stdout, 'container/box configured\n');
      // Invalid: nothing applied, the places said; a file that is not there, a directory and stdin go to Node.
      const bad = file('bad.yaml', `apiVersion: berth.dev/v1\nkind: Container\nmetadata: {name: bad}\nspec: {image: 5, restartPolicy: Sometimes}\n`);
      const invalid = await same(['apply', '-f', `${s.w.dir}/./bad.yaml`, '-f', box]);
      assert.equal(invalid.code, 1);
      assert.match(invalid.stderr, new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:4:`));
      assert.equal((await same(['apply', '-f', box], { socket: join(s.w.dir, 'nobody.sock') })).code, 1);
      assert.match((await handedOn(['apply', '-f', join(s.w.dir, 'missing.yaml')])).stderr, /missing\.yaml: no such file or directory/);
      await handedOn(['apply', '-f', box, '--dry-run']);
      await handedOn(['apply', '-f', '-']);
      await runCli([BERTH], ['delete', '-f', pod, '-f', box], env());
    });

    it('hands to the Node CLI what it does not take: bad flags, a terminal, help, other verbs', async () => {
      assert.match((await handedOn(['exec', '-x', 'fx', 'true'])).stderr, /unknown option '-x'/);
      assert.match((await handedOn(['exec', 'fx'])).stderr, /missing required argument 'command'/);
      assert.match((await handedOn(['exec', '--env'])).stderr, /argument missing/);
      assert.match((await handedOn(['exec', '-it', 'fx', 'sh'])).stderr, /the input device is not a TTY/);
      assert.match((await handedOn(['exec', '--help'])).stdout, /Usage: berth exec/);
      await handedOn(['exec', '-e', '-x', 'fx', 'true']);
      assert.match((await handedOn(['ps', '--format', '{{.Names}}'])).stdout, /\bfx\b/);
      assert.match((await handedOn(['run', '-it', '--rm', s.w.image, 'sh'])).stderr, /the input device is not a TTY/);
      assert.equal((await handedOn(['run', '--rm', '--network', 'none', '-e', 'A=$B', s.w.image, 'sh', '-c', 'echo "$A"'])).stdout, '$B\n');
      assert.match((await handedOn(['run', '--restart', 'sometimes', s.w.image, 'true'])).stderr, /--restart "sometimes"/);
    });
  });

  describe('a checkout without native/build (a fresh clone before npm run build)', () => {
    it('runs bin/berth through the Node CLI', async () => {
      const clone = mkdtempSync(join(tmpdir(), 'berth-clone-'));
      try {
        // The checkout's tracked files as they are now, and its node_modules.
        execFileSync('sh', ['-c', `git ls-files -z | tar --null -T - -cf - | tar -xf - -C ${clone}`], { cwd: REPO });
        symlinkSync(join(REPO, 'node_modules'), join(clone, 'node_modules'));
        assert.ok(!existsSync(join(clone, 'native', 'build')));
        const berth = join(clone, 'bin', 'berth');
        const v = await runCli([berth], ['--version'], { PATH: NODE_PATH });
        assert.deepEqual(v, await runCli([process.execPath, BERTH], ['--version'], { PATH: NODE_PATH }));
        // A verb that needs the CLI bundle: built on first use in the clone.
        const away = await runCli([berth], ['exec', 'fx', 'true'], { PATH: NODE_PATH, BERTH_SOCKET: join(clone, 'none.sock') });
        assert.equal(away.code, 1, away.stderr);
        assert.match(away.stderr, /^error: cannot reach the berth daemon at .*none\.sock/);
        const none = await runCli([berth], ['--version'], { PATH: NO_NODE });
        assert.equal(none.code, 127, 'without the front, node runs it');
      } finally {
        rmSync(clone, { recursive: true, force: true });
      }
    });
  });
}
