// `attach` through bin/berth's native front (native/cli-attach.c) on real pseudo-terminals (util-linux
// `script`), against a `berth daemon` process with berth's native runtime: the front asks the daemon
// where the container's monitor serves its streams, hands its terminal to the monitor (relay.h's
// FRAME_TERMINAL) and waits — type, detach, attach again, the exit code, the window's size, the
// terminal's modes after the daemon is SIGKILLed (as the Node CLI's), a daemon restart — and, where
// it may not open the monitor's socket (another user than root), the Node CLI through the daemon.
// That the front answered, not Node, shows in a PATH without node: a command handed on fails there.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AttachSocket } from '../../specs/api/containers.ts';
import { BERTH, berth, runProgram, type CliResult } from '../fixtures/helpers.ts';
import { insidePrivateNetns } from '../engine/network/harness.ts';
import { closeTerminals, onTerminal, spawnDaemon, type DaemonProcess, type Terminal } from './terminal-harness.ts';
import { until, world, type World } from './helpers.ts';

const NODE_PATH = `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`;
/** A PATH where no node is found: a command the front hands on fails there (127). */
const NO_NODE = '/nonexistent';

/** The berth-monitor processes that hold this terminal open (the front handed it over). */
function monitorsHolding(pty: string): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('berth-monitor')) continue;
      if (readdirSync(`/proc/${pid}/fd`).some((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`) === pty)) pids.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** The processes named `comm` whose stdin is this terminal. */
function clientsOn(pty: string, comm: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm && readlinkSync(`/proc/${pid}/fd/0`) === pty;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** The error line a client printed on its terminal. */
const errorLine = (screen: string) => /error: [^\r\n]*/.exec(screen)?.[0];

if (insidePrivateNetns(import.meta.url, { timeout: 900_000 })) {
  describe('attach through the native front', { timeout: 600_000 }, () => {
    let w: World;
    let daemon: DaemonProcess;
    const start = async () => (daemon = await spawnDaemon({ root: w.root, socket: w.socket, dir: w.dir, cgroupParent: w.cgroupParent, runtime: 'native' }));
    const ok = async (args: string[]) => {
      const r = await berth(args, { socket: w.socket });
      assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    /** `berth ARGS` on a terminal, through the front alone (no node on its PATH). */
    const front = (args: string[], after?: string) => onTerminal(args, { socket: w.socket, dir: w.dir, program: [BERTH], env: { PATH: NO_NODE }, ...(after ? { after } : {}) });
    /** The same through the Node CLI. */
    const node = (args: string[], after?: string) => onTerminal(args, { socket: w.socket, dir: w.dir, ...(after ? { after } : {}) });
    /** Without a terminal, given `input`: through the front (without node on its PATH unless it hands on) or the Node CLI. */
    const plain = (program: string[], args: string[], o: { input?: string; handedOn?: boolean } = {}): Promise<CliResult> =>
      runProgram(program[0]!, [...program.slice(1), ...args], {
        env: { ...process.env, BERTH_SOCKET: w.socket, PATH: program.length === 1 && !o.handedOn ? NO_NODE : NODE_PATH },
        ...(o.input !== undefined ? { input: o.input } : {}),
      });
    /** A shell container (-itd) attached through the front and through the Node CLI, each attached once what it typed came back; their terminals' modes printed after. */
    const bothAttached = async (name: string): Promise<[Terminal, Terminal]> => {
      await ok(['run', '--network', 'none', '-itd', '--name', name, w.image, 'sh']);
      const mine = front(['attach', name], 'echo MODES; stty -a');
      const theirs = node(['attach', name], 'echo MODES; stty -a');
      mine.type('echo m$((1+1))\r');
      await mine.see(/\nm2\n/);
      theirs.type('echo n$((2+2))\r');
      await theirs.see(/\nn4\n/);
      return [mine, theirs];
    };
    /** Once the client has exited: the terminal's modes as before it ran (canonical, echo). */
    const modesRestored = (t: Terminal) => {
      const modes = t.screen.slice(t.screen.indexOf('MODES'));
      assert.match(modes, /[ \n]icanon[ \n]/, modes);
      assert.match(modes, /[ \n]echo[ \n]/, modes);
    };
    before(async () => {
      w = await world();
      await start();
    });
    after(async () => {
      closeTerminals();
      await daemon?.stop().catch(() => undefined);
      await w?.teardown();
    });

    it('type, detach with ctrl-p ctrl-q (it keeps running), attach again, the window size followed, `exit 7` is the exit code', async () => {
      await ok(['run', '--network', 'none', '-itd', '--name', 'att', w.image, 'sh']);
      const where = await w.client.json<AttachSocket>('GET', '/v1/containers/att/attach-socket');
      assert.deepEqual({ ...where, socket: undefined }, { name: 'att', tty: true, stdin: true, stdinOnce: false, socket: undefined });
      assert.ok(where.socket?.startsWith(w.root) && where.socket.endsWith('/attach.sock'), where.socket);
      const first = front(['attach', 'att']);
      first.type('echo at$((2+3))\r');
      await first.see(/\nat5\n/);
      assert.equal(monitorsHolding(await first.pty()).length, 1, 'the container\'s monitor holds the terminal');
      first.type('\x10\x11');
      assert.equal(await first.exited, 1);
      assert.match(first.screen, /read escape sequence/);
      assert.deepEqual(monitorsHolding(await first.pty()), [], 'handed back at the detach');
      assert.match(await ok(['ps']), /att/);
      const second = front(['container', 'attach', '--detach-keys', 'ctrl-x,x', 'att']);
      second.type('echo again$((1+2))\r');
      await second.see(/\nagain3\n/);
      await second.resizeSeen(33, 99);
      second.type('exit 7\r');
      assert.equal(await second.exited, 7, second.screen);
      assert.match(await ok(['logs', 'att']), /at5[\s\S]*again3/);
      await ok(['rm', 'att']);
    });

    it('two fronts on one container: each sees what either types; one detaches, the other goes on', async () => {
      await ok(['run', '--network', 'none', '-itd', '--name', 'duo', w.image, 'sh']);
      const one = front(['attach', 'duo']);
      const two = front(['attach', 'duo']);
      // Each attached once what it typed comes back.
      one.type('echo a$((1+1))\r');
      await one.see(/\na2\n/);
      two.type('echo b$((2+2))\r');
      await two.see(/\nb4\n/);
      await one.see(/\nb4\n/);
      assert.equal(monitorsHolding(await one.pty()).length, 1);
      assert.equal(monitorsHolding(await two.pty()).length, 1);
      one.type('\x10\x11');
      assert.equal(await one.exited, 1);
      const mark = two.screen.length;
      two.type('echo c$((3+3))\r');
      await two.see(/\nc6\n/, mark);
      assert.doesNotMatch(one.screen, /c6/);
      two.type('exit 2\r');
      assert.equal(await two.exited, 2);
      await ok(['rm', 'duo']);
    });

    it('restores the terminal\'s modes when the daemon is SIGKILLed, and ends as the Node CLI does; attaches again after the restart', async () => {
      const [mine, theirs] = await bothAttached('orphan');
      mine.type('echo k$((1+1))\r');
      await theirs.see(/\nk2\n/);
      assert.match(await mine.settings(), /-icanon/, 'raw while attached');
      await daemon.stop('SIGKILL');
      const [code, nodeCode] = await Promise.all([mine.exited, theirs.exited]);
      assert.equal(code, nodeCode);
      assert.notEqual(code, 0);
      assert.equal(errorLine(mine.screen), errorLine(theirs.screen));
      assert.match(errorLine(mine.screen) ?? '', /cannot reach the berth daemon/);
      for (const t of [mine, theirs]) modesRestored(t);
      await start();
      const again = front(['attach', 'orphan']);
      again.type('echo back$((4+4))\r');
      await again.see(/\nback8\n/);
      again.type('\x10\x11');
      assert.equal(await again.exited, 1);
      await ok(['rm', '-f', 'orphan']);
    });

    it('SIGTERM ends the attach with 143, the terminal\'s modes restored, the container running, as the Node CLI\'s', async () => {
      const [mine, theirs] = await bothAttached('termed');
      for (const [t, comm] of [[mine, 'berth-cli'], [theirs, 'node']] as const) {
        const pids = clientsOn(await t.pty(), comm);
        assert.equal(pids.length, 1, `${comm} on ${await t.pty()}`);
        process.kill(pids[0]!, 'SIGTERM');
        assert.equal(await t.exited, 143, t.screen);
        modesRestored(t);
      }
      assert.match(await ok(['ps']), /termed/);
      await ok(['rm', '-f', 'termed']);
    });

    it('without a terminal: output on both streams, stdin, the exit code, the errors, as the Node CLI', async () => {
      const script = 'read x; echo got $x; echo err >&2; exit 4';
      await ok(['run', '--network', 'none', '-di', '--name', 'p1', w.image, 'sh', '-c', script]);
      await ok(['run', '--network', 'none', '-di', '--name', 'p2', w.image, 'sh', '-c', script]);
      // Input that stays open (its end would end the attach): the line once attached, then the container's exit.
      const attached = (program: string[], name: string) =>
        new Promise<CliResult>((resolve) => {
          const child = spawn(program[0]!, [...program.slice(1), 'attach', name], { env: { ...process.env, BERTH_SOCKET: w.socket, PATH: program.length === 1 ? NO_NODE : NODE_PATH }, stdio: ['pipe', 'pipe', 'pipe'] });
          const r = { code: -1, stdout: '', stderr: '' };
          child.stdout.on('data', (d: Buffer) => (r.stdout += d));
          child.stderr.on('data', (d: Buffer) => (r.stderr += d));
          child.stdin.write('hello\n');
          child.on('close', (code) => resolve({ ...r, code: code ?? -1 }));
        });
      const mine = await attached([BERTH], 'p1');
      assert.deepEqual(mine, await attached([process.execPath, BERTH], 'p2'));
      assert.deepEqual(mine, { code: 4, stdout: 'got hello\n', stderr: 'err\n' });

      await ok(['run', '--network', 'none', '-itd', '--name', 'tt', w.image, 'sh']);
      const notTty = await plain([BERTH], ['attach', 'tt'], { input: '' });
      assert.deepEqual(notTty, await plain([process.execPath, BERTH], ['attach', 'tt'], { input: '' }));
      assert.deepEqual(notTty, { code: 1, stdout: '', stderr: 'error: the input device is not a TTY\n' });
      // No daemon: said by the front itself, as the Node CLI says it.
      const away = (program: string[]) => runProgram(program[0]!, [...program.slice(1), 'attach', 'tt'], { env: { ...process.env, BERTH_SOCKET: `${w.dir}/nobody.sock`, PATH: program.length === 1 ? NO_NODE : NODE_PATH } });
      const noDaemon = await away([BERTH]);
      assert.deepEqual(noDaemon, await away([process.execPath, BERTH]));
      assert.match(noDaemon.stderr, /^error: cannot reach the berth daemon at .*nobody\.sock: is `berth daemon` running\? \(ENOENT; set --socket or BERTH_SOCKET\)\n$/);
      // What the front hands on (a container that is missing or not running, a bad flag) the Node CLI says.
      await ok(['run', '--network', 'none', '--name', 'done', w.image, 'true']);
      // A container that does not run has no socket to attach to: the Node CLI says why.
      assert.deepEqual(await w.client.json('GET', '/v1/containers/done/attach-socket'), { name: 'done', tty: false, stdin: false, stdinOnce: false });
      for (const args of [['attach', 'nope'], ['attach', 'done'], ['attach', '--detach-keys', 'ctrl-1', 'tt'], ['attach', '-x', 'tt']]) {
        const viaFront = await plain([BERTH], args, { handedOn: true });
        assert.deepEqual(viaFront, await plain([process.execPath, BERTH], args), args.join(' '));
        assert.equal(viaFront.code, 1, args.join(' '));
        assert.equal((await plain([BERTH], args)).code, 127, `${args.join(' ')} goes to node`);
      }
      await ok(['rm', '-f', 'p1', 'p2', 'tt', 'done']);
    });

    it('without a terminal, the signals the client gets go to the container (--sig-proxy), as the Node CLI\'s', async () => {
      for (const program of [[BERTH], [process.execPath, BERTH]]) {
        await ok(['run', '--network', 'none', '-d', '--name', 'sig', w.image, 'sh', '-c', 'trap "echo got TERM; exit 5" TERM; while :; do echo tick; sleep 0.2 & wait; done']);
        const child = spawn(program[0]!, [...program.slice(1), 'attach', 'sig'], { env: { ...process.env, BERTH_SOCKET: w.socket, PATH: program.length === 1 ? NO_NODE : NODE_PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d));
        const code = new Promise<number | null>((resolve) => child.on('close', resolve));
        // Attached (and its signals proxied) once the container's output reaches it.
        await until('the container\'s output', () => out.includes('tick\n'));
        child.kill('SIGTERM');
        assert.equal(await code, 5, `${program.join(' ')}: the container's exit code`);
        assert.match(out, /^(tick\n)+got TERM\n$/);
        await ok(['rm', 'sig']);
      }
    });

    it('another user than root cannot open the monitor\'s socket: the front hands attach to the Node CLI, through the daemon', async () => {
      await ok(['run', '--network', 'none', '-itd', '--name', 'other', w.image, 'sh']);
      // That user may reach the daemon (its socket open to all, as a docker group's would be), not the monitor.
      chmodSync(w.dir, 0o755);
      chmodSync(w.socket, 0o666);
      const t = onTerminal(['attach', 'other'], { socket: w.socket, dir: w.dir, program: ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', BERTH], env: { PATH: NODE_PATH } });
      t.type('echo as-$(id -u)-$((3*3))\r');
      await t.see(/\nas-0-9\n/);
      assert.deepEqual(monitorsHolding(await t.pty()), [], 'the monitor does not hold its terminal');
      const r = await runProgram('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', BERTH, 'attach', '--no-stdin', 'other'], { env: { ...process.env, BERTH_SOCKET: w.socket, PATH: NO_NODE }, input: '' });
      assert.equal(r.code, 127, `handed to node: ${r.stderr}`);
      t.type('\x10\x11');
      assert.equal(await t.exited, 1, t.screen);
      await until('the container still runs', async () => (await ok(['ps'])).includes('other'));
      await ok(['rm', '-f', 'other']);
    });
  });
}
