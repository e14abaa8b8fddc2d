// `berth network create|ls|inspect|rm` as a user runs them, against a real daemon, inside a
// private network namespace (the daemon's network manager creates bridges there).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { berth, startTestDaemon, type TestDaemon } from '../fixtures/helpers.ts';
import { insidePrivateNetns, unmountUnder } from '../engine/network/harness.ts';

if (insidePrivateNetns(import.meta.url)) {
  describe('berth network', { timeout: 120_000 }, () => {
    let d: TestDaemon;
    const run = (...args: string[]) => berth(args, { socket: d.socket });
    before(async () => {
      d = await startTestDaemon();
    });
    after(async () => {
      await d.daemon.ctx.networks?.detach(`cli${process.pid}`).catch(() => undefined);
      unmountUnder(d.root);
      await d.stop();
    });

    it('creates, lists, inspects and removes a network', async () => {
      const c = await run('network', 'create', '--subnet', '10.66.0.0/24', '-l', 'team=web', 'front');
      assert.deepEqual([c.code, c.stdout, c.stderr], [0, 'front\n', '']);
      const dup = await run('network', 'create', 'front');
      assert.equal(dup.code, 1);
      assert.match(dup.stderr, /^error: network "front" already exists/);
      const bad = await run('network', 'create', '--subnet', '10.66.0.0/33', 'other');
      assert.match(bad.stderr, /subnet "10\.66\.0\.0\/33" must be an IPv4 network in CIDR form/);

      const ls = await run('network', 'ls');
      assert.equal(ls.code, 0);
      assert.match(ls.stdout, /^NAME\s+DRIVER\s+SUBNET\s+GATEWAY\s+BRIDGE\s+AGE\nfront\s+bridge\s+10\.66\.0\.0\/24\s+10\.66\.0\.1\s+br-[0-9a-f]{12}\s+\S+\n$/);

      // A container on it (attached as the engine does) shows in inspect and keeps rm from working.
      const att = await d.daemon.ctx.networks!.attach(`cli${process.pid}`, { network: 'front', name: 'web' });
      const insp = await run('network', 'inspect', 'front');
      assert.equal(insp.code, 0);
      const [n] = JSON.parse(insp.stdout) as Array<{ name: string; labels: Record<string, string>; containers: Array<{ name: string; ipAddress: string }> }>;
      assert.deepEqual({ name: n!.name, labels: n!.labels, containers: n!.containers.map((m) => [m.name, m.ipAddress]) }, { name: 'front', labels: { team: 'web' }, containers: [['web', att.ipAddress]] });
      const busy = await run('network', 'rm', 'front');
      assert.equal(busy.code, 1);
      assert.match(busy.stderr, /network "front" has containers attached \(web\); remove them first/);
      await d.daemon.ctx.networks!.detach(`cli${process.pid}`);

      const rm = await run('network', 'rm', 'front', 'ghost');
      assert.equal(rm.code, 1);
      assert.equal(rm.stdout, 'front\n');
      assert.match(rm.stderr, /network "ghost" not found/);
      assert.deepEqual(await run('network', 'ls', '-q'), { code: 0, stdout: '', stderr: '' });
    });
  });
}
