// `berth build` through the compiled CLI and a daemon with the runc runtime: progress lines with
// cached steps marked, streamed output, the failing step's line and code, the context sent as a
// path (unix socket) or as a tar (TCP), and the built image run by the daemon's engine.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type Daemon } from '../../server/daemon.ts';
import { createLogger } from '../../server/log.ts';
import { removeCgroupParent } from '../engine/builder/harness.ts';
import { berth, tempDir } from '../fixtures/helpers.ts';

describe('berth build (CLI → API → builder)', () => {
  let tmp: { path: string; remove(): Promise<void> };
  let daemon: Daemon;
  let socket: string;
  let ctx: string;
  const run = (args: string[], s = socket) => berth(args, { socket: s });

  before(async () => {
    tmp = await tempDir('berth-build-cli-');
    socket = join(tmp.path, 'berth.sock');
    daemon = await startDaemon(
      { root: join(tmp.path, 'root'), socket, watch: [], runtime: 'runc', cgroupParent: `berth-build-cli-${process.pid}` },
      createLogger({ write: () => {} }),
    );
    ctx = join(tmp.path, 'ctx');
    mkdirSync(ctx);
    copyFileSync('/bin/busybox', join(ctx, 'busybox'));
    chmodSync(join(ctx, 'busybox'), 0o755);
    writeFileSync(join(ctx, 'msg'), 'hello from the context\n');
    writeFileSync(
      join(ctx, 'Dockerfile'),
      'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nARG WHO=nobody\nCOPY msg /msg\nRUN echo "building for $WHO"\nCMD ["cat", "/msg"]\n',
    );
    writeFileSync(join(ctx, 'Failing.Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\n\nRUN ["/bin/busybox", "sh", "-c", "echo failing now >&2; exit 42"]\n');
  });
  after(async () => {
    await daemon?.stop();
    await tmp?.remove();
    removeCgroupParent(`berth-build-cli-${process.pid}`);
  });

  it('prints a line per step, streams RUN output, marks cached steps on a rebuild', async () => {
    const first = await run(['build', '-t', 'localhost/cli-test:1', '--build-arg', 'WHO=tests', ctx]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^STEP 1\/7 \[0\]: FROM scratch$/m);
    assert.match(first.stdout, /^STEP 6\/7 \[0\]: RUN echo "building for \$WHO"\nbuilding for tests$/m);
    assert.match(first.stdout, /^Successfully tagged localhost\/cli-test:1$/m);
    assert.doesNotMatch(first.stdout, /CACHED/);
    const second = await run(['build', '-t', 'localhost/cli-test:1', '--build-arg', 'WHO=tests', ctx]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout.split('\n').filter((l) => l.endsWith('  CACHED')).length, 4);
    assert.doesNotMatch(second.stdout, /^building for/m);
    const id = first.stdout.match(/Successfully built (\w+)/)![1];
    assert.equal(second.stdout.match(/Successfully built (\w+)/)![1], id);
  });

  it('the built image runs through the engine', async () => {
    const r = await run(['run', '--rm', '--network', 'host', 'localhost/cli-test:1']);
    assert.equal(r.stdout, 'hello from the context\n', r.stderr);
    assert.equal(r.code, 0);
  });

  it('a failing RUN: its line, its exit code, its output; a non-zero exit', async () => {
    const r = await run(['build', '-t', 'localhost/cli-fail:1', '-f', join(ctx, 'Failing.Dockerfile'), ctx]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /failing now/);
    assert.match(r.stderr, /error: Failing\.Dockerfile:4:1: RUN .*: the command returned a non-zero code: 42/);
  });

  it('bad input is refused with a clear message', async () => {
    const noTag = await run(['build', ctx]);
    assert.match(noTag.stderr, /-t NAME\[:TAG\]/);
    const bad = await run(['build', '-t', 'x:1', join(tmp.path, 'nope')]);
    assert.match(bad.stderr, /does not exist/);
  });

  it('over TCP the context travels as a tar', async () => {
    const tcp = await startDaemon({ root: join(tmp.path, 'root2'), socket: '127.0.0.1:0', watch: [], runtime: 'runc', cgroupParent: `berth-build-cli2-${process.pid}` }, createLogger({ write: () => {} }));
    try {
      writeFileSync(join(ctx, '.dockerignore'), 'big/\n');
      mkdirSync(join(ctx, 'big'));
      writeFileSync(join(ctx, 'big', 'blob'), 'not sent');
      writeFileSync(join(ctx, 'Tcp.Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY . /ctx/\nRUN ["/bin/busybox", "ls", "-A", "/ctx"]\n');
      const r = await run(['build', '-t', 'localhost/cli-tcp:1', ctx], tcp.server.address);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /building for nobody/);
      // Only what .dockerignore lets through travels (and -f names a Dockerfile inside the context).
      const r2 = await run(['build', '-t', 'localhost/cli-tcp:2', '-f', join(ctx, 'Tcp.Dockerfile'), ctx], tcp.server.address);
      assert.equal(r2.code, 0, r2.stderr);
      assert.match(r2.stdout, /^\.dockerignore\nDockerfile\nFailing\.Dockerfile\nTcp\.Dockerfile\nbusybox\nmsg\n/m);
    } finally {
      await tcp.stop();
      removeCgroupParent(`berth-build-cli2-${process.pid}`);
    }
  });
});
