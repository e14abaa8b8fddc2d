// `npm run bench -- exec [rounds]`: `berth exec NAME true` against `docker exec NAME true` (the private
// dockerd of bench/dockerd.ts), both through their CLIs as a user runs them (bin/berth) on a running busybox container; and one
// keystroke's round trip through an attached terminal — a lowercase letter typed into `berth attach` /
// `docker attach` running on a pseudo-terminal (util-linux `script`), until the container's `tr`
// (its terminal raw, no echo) has sent it back in uppercase: a local echo cannot pass for it. A line
// before it gives two hops beside: the harness alone (script and the same tr, no container) and the
// Node CLI through the daemon (the way of a client that may not open the monitor's socket).
// The last line is the exec figure.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cleanupRoot } from '../test/e2e/helpers.ts';
import { spawnDaemon } from '../test/e2e/terminal-harness.ts';
import { BERTH } from '../test/fixtures/helpers.ts';
import { buildLayoutImage, pushToRegistry } from '../test/fixtures/images.ts';
import { startRegistry } from '../test/fixtures/registry.ts';
import { startDockerd } from './dockerd.ts';
import { interleave, median, report } from './lib.ts';

const run = promisify(execFile);

/** A command on a pseudo-terminal; `roundTrip()` types one key and waits until the screen shows `back`. */
function keyboard(cmd: string): { roundTrip(key: string, back: string): Promise<void>; close(): void } {
  const child = spawn('script', ['-q', '-c', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'ignore'], env: { ...process.env, SHELL: '/bin/sh' } });
  let screen = '';
  let wake: (() => void) | undefined;
  child.stdout.on('data', (d: Buffer) => {
    screen += d.toString();
    wake?.();
  });
  const seen = async (text: string, from: number) => {
    const limit = Date.now() + 20_000;
    while (!screen.slice(from).includes(text)) {
      if (Date.now() > limit || child.exitCode !== null) throw new Error(`${cmd}: never showed ${JSON.stringify(text)}: ${JSON.stringify(screen.slice(-300))}`);
      await new Promise<void>((r) => ((wake = r), setTimeout(r, 100)));
    }
  };
  return {
    async roundTrip(key, back) {
      const from = screen.length;
      child.stdin.write(key);
      await seen(back, from);
    },
    close: () => child.kill('SIGKILL'),
  };
}

export default async function bench(args: string[]): Promise<void> {
  const rounds = Number(args[0] ?? 30);
  const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-exec-'));
  const registry = await startRegistry();
  const image = `${registry.host}/bench/busybox:1`;
  pushToRegistry(buildLayoutImage(join(tmp, 'src')).layout, image);
  const dockerd = await startDockerd({ insecureRegistries: [registry.host] });
  const root = join(tmp, 'root');
  const socket = join(tmp, 'berth.sock');
  const cgroupParent = `berth-bench-${randomBytes(3).toString('hex')}`;
  const daemon = await spawnDaemon({ root, socket, dir: tmp, cgroupParent, runtime: 'native' });
  // bin/berth as a user runs it: its native front answers exec and attach (native/cli-front.c).
  const berth = (a: string[]) => run(BERTH, a, { env: { ...process.env, BERTH_SOCKET: socket } });
  const keyboards: Array<{ close(): void }> = [];
  try {
    // No network (dockerd runs with --bridge=none): nothing outside the host's loopback changes.
    await berth(['run', '-d', '--network', 'none', '--name', 'bx', image, 'sleep', '600']);
    await dockerd.docker(['run', '-d', '--name', 'dx', image, 'sleep', '600']);
    const exec = await interleave(rounds, { berth: () => berth(['exec', 'bx', 'true']), docker: () => dockerd.docker(['exec', 'dx', 'true']) }, { warmup: 2 });

    // Each key comes back at once, changed: the terminal raw and without echo, tr unbuffered.
    const upper = ['sh', '-c', 'stty raw -echo; exec tr a-z A-Z'];
    await berth(['run', '-itd', '--network', 'none', '--name', 'bt', image, ...upper]);
    await dockerd.docker(['run', '-itd', '--name', 'dt', image, ...upper]);
    // The other hops each on a container of their own: every client of a container gets each key's echo.
    await berth(['run', '-itd', '--network', 'none', '--name', 'bn', image, ...upper]);
    await berth(['run', '-itd', '--network', 'none', '--name', 'bf', image, ...upper]);
    // bin/berth's native front hands its terminal to the container's monitor (native/cli-attach.c);
    // the hops beside it, for where the time goes: the harness alone (the same tr on the pty, no
    // container); the front relaying frames to the monitor itself (two relays: it does so with more
    // than 16 detach keys, none of them typed here); the Node CLI through the daemon's HTTP upgrade
    // (the way of a client that may not open the monitor's socket).
    const mine = keyboard(`BERTH_SOCKET=${socket} ${BERTH} attach bt`);
    const theirs = keyboard(`docker -H unix://${dockerd.socket} attach dt`);
    const floor = keyboard("sh -c 'stty raw -echo; exec busybox tr a-z A-Z'"); // busybox's tr, as the container's: unbuffered
    const manyKeys = Array.from({ length: 17 }, () => 'ctrl-@').join(',');
    const frames = keyboard(`BERTH_SOCKET=${socket} ${BERTH} attach --detach-keys ${manyKeys} bf`);
    const viaDaemon = keyboard(`BERTH_SOCKET=${socket} ${process.execPath} ${BERTH} attach bn`);
    keyboards.push(mine, theirs, floor, frames, viaDaemon);
    // Attached once a typed key comes back.
    for (const kb of [mine, theirs, floor, frames, viaDaemon]) await kb.roundTrip('z', 'Z');
    const keys = 'abcdefghijklmnopqrstuvwxyz';
    let k = 0;
    const next = () => keys[k++ % 26]!;
    const typed = (kb: typeof mine) => () => {
      const c = next();
      return kb.roundTrip(c, c.toUpperCase());
    };
    // A key's round trip is a millisecond: ten per round keep the medians steady on a loaded host.
    const key = await interleave(rounds * 10, { berth: typed(mine), docker: typed(theirs), harness: typed(floor), frames: typed(frames), node: typed(viaDaemon) }, { warmup: 2 });
    const ms = (xs: number[] | undefined) => `${median(xs!).toFixed(3)} ms`;
    console.log(`exec-keystroke hops: harness alone (script + tr, no container) ${ms(key.harness)}; front relaying frames to the monitor ${ms(key.frames)}; Node CLI through the daemon ${ms(key.node)}`);
    report('exec-keystroke', median(key.berth!), 'docker', median(key.docker!), 'ms');
    report('exec', median(exec.berth!), 'docker', median(exec.docker!), 'ms');
  } finally {
    for (const kb of keyboards) kb.close();
    await daemon.stop().catch(() => undefined);
    await dockerd.stop();
    await cleanupRoot(root, cgroupParent);
    await registry.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}
