// Terminals and stdin end to end: the compiled CLI on a real pseudo-terminal (util-linux `script`)
// against a `berth daemon` process with berth's native runtime — a shell typed into through
// `run -it` and `exec -it`, the window's size followed, attach / detach / attach again, attach
// after a daemon restart, the terminal's modes restored when the daemon is SIGKILLed mid-session,
// and stdin piped through `run -i`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { berth } from '../fixtures/helpers.ts';
import { insidePrivateNetns } from '../engine/network/harness.ts';
import { closeTerminals, onTerminal, spawnDaemon, type DaemonProcess } from './terminal-harness.ts';
import { until, world, type World } from './helpers.ts';

// Two daemons (native, runc), each typed into on real terminals: long on a loaded machine. The
// containers need no network (--network none): a terminal is all they are about.
if (insidePrivateNetns(import.meta.url, { timeout: 1_800_000 })) {
  for (const runtime of ['native', 'runc'] as const) describe(`terminals and stdin through the CLI (${runtime})`, { timeout: 600_000 }, () => {
    let w: World;
    let daemon: DaemonProcess;
    const start = async () => (daemon = await spawnDaemon({ root: w.root, socket: w.socket, dir: w.dir, cgroupParent: w.cgroupParent, runtime }));
    // With runc, runc makes the terminal and sends it to berth-monitor; from there on the path is the
    // same as with berth's launcher, so the daemon restart and SIGKILL cases are checked on native only.
    const itNative = (name: string, fn: () => Promise<void>) => runtime === 'native' && it(name, fn);
    const cli = (args: string[], input?: string) => berth(args, { socket: w.socket, ...(input !== undefined ? { input } : {}) });
    const ok = async (args: string[]) => {
      const r = await cli(args);
      assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const term = (args: string[], after?: string) => onTerminal(args, { socket: w.socket, dir: w.dir, ...(after ? { after } : {}) });
    before(async () => {
      w = await world();
      await start();
    });
    after(async () => {
      closeTerminals();
      await daemon?.stop().catch(() => undefined);
      await w?.teardown();
    });

    it('run -it: a shell typed into, the window size followed, `exit 3` is the exit code', async () => {
      const t = term(['run', '--network', 'none', '-it', '--rm', '--name', 'shell', w.image, 'sh']);
      await t.see(' # ');
      t.type('echo $((6*7))\r');
      await t.see(/\n42\n/);
      await t.resizeSeen(40, 100);
      t.type('exit 3\r');
      assert.equal(await t.exited, 3, t.screen);
      await until('--rm', async () => !(await ok(['ps', '-a'])).includes('shell'));
    });

    it('exec -it: a shell in a running container, its own terminal size, its exit code', async () => {
      await ok(['run', '--network', 'none', '-d', '--name', 'box', w.image, 'sleep', '600']);
      const t = term(['exec', '-it', 'box', 'sh']);
      await t.see(' # ');
      await t.resizeSeen(21, 77);
      t.type('echo in-$(hostname)\r');
      await t.see(/\nin-box\n/);
      t.type('exit 3\r');
      assert.equal(await t.exited, 3, t.screen);
      await ok(['rm', '-f', 'box']);
    });

    it('run -i with stdin piped: `echo hi | berth run -i --rm IMG cat` prints hi; -it without a terminal is refused', async () => {
      const r = await cli(['run', '--network', 'none', '-i', '--rm', w.image, 'cat'], 'hi\n');
      assert.deepEqual([r.code, r.stdout], [0, 'hi\n'], r.stderr);
      const e = await cli(['exec', '-i', 'nothere', 'cat'], '');
      assert.equal(e.code, 1);
      const t = await cli(['run', '--network', 'none', '-it', '--rm', w.image, 'sh'], 'exit\n');
      assert.equal(t.code, 1);
      assert.match(t.stderr, /the input device is not a TTY/);
    });

    it('attach to a container started with -itd, detach with ctrl-p ctrl-q (it keeps running), attach again', async () => {
      assert.match(await ok(['run', '--network', 'none', '-itd', '--name', 'att', w.image, 'sh']), /^[0-9a-f]{64}\n$/);
      const first = term(['attach', 'att']);
      first.type('echo at$((2+3))\r');
      await first.see(/\nat5\n/);
      first.type('\x10\x11');
      assert.equal(await first.exited, 1);
      assert.match(first.screen, /read escape sequence/);
      assert.match(await ok(['ps']), /att/);
      const second = term(['attach', '--detach-keys', 'ctrl-x,x', 'att']);
      second.type('echo again$((1+2))\r');
      await second.see(/\nagain3\n/);
      second.type('exit 7\r');
      assert.equal(await second.exited, 7, second.screen);
      // What the terminal showed is the container's log too.
      assert.match(await ok(['logs', 'att']), /again3/);
      await ok(['rm', 'att']);
    });

    itNative('attaches after a daemon restart: berth-monitor holds the terminal meanwhile', async () => {
      await ok(['run', '--network', 'none', '-itd', '--name', 'kept', w.image, 'sh']);
      await daemon.stop('SIGTERM');
      await start();
      const t = term(['attach', 'kept']);
      t.type('echo back$((4+4))\r');
      await t.see(/\nback8\n/);
      t.type('\x10\x11');
      assert.equal(await t.exited, 1);
      await ok(['rm', '-f', 'kept']);
    });

    itNative('restores the terminal\'s modes when the daemon is SIGKILLed mid-session', async () => {
      await ok(['run', '--network', 'none', '-itd', '--name', 'orphan', w.image, 'sh']);
      const t = term(['attach', 'orphan'], 'echo MODES; stty -a');
      t.type('echo k$((1+1))\r');
      await t.see(/\nk2\n/);
      assert.match(await t.settings(), /-icanon/, 'raw while attached');
      await daemon.stop('SIGKILL');
      assert.notEqual(await t.exited, 0);
      const modes = t.screen.slice(t.screen.indexOf('MODES'));
      assert.match(modes, /[ \n]icanon[ \n]/, modes);
      assert.match(modes, /[ \n]echo[ \n]/, modes);
      await start();
      await ok(['rm', '-f', 'orphan']);
    });
  });
}
