// Docker's run semantics through the compiled CLI on real containers (runc), inside a private
// network namespace (published ports make bridges and DNAT rules there, never on the host).
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { httpGet, insidePrivateNetns } from '../engine/network/harness.ts';
import { suiteWorld, until } from './helpers.ts';

if (insidePrivateNetns(import.meta.url)) {
  describe('docker run semantics on real containers', { timeout: 600_000 }, () => {
    const s = suiteWorld();
    const { cli, ok } = s;

    it('arguments replace CMD, --entrypoint replaces ENTRYPOINT (ENTRYPOINT ["echo","ep"], CMD ["dflt"])', async () => {
      const ctx = join(s.w.dir, 'ep');
      await mkdir(ctx, { recursive: true });
      await writeFile(join(ctx, 'Dockerfile'), `FROM ${s.w.image}\nENTRYPOINT ["echo", "ep"]\nCMD ["dflt"]\n`);
      await ok(['build', '-q', '-t', 'epimg:1', ctx]);
      assert.equal(await ok(['run', '--rm', 'epimg:1']), 'ep dflt\n');
      assert.equal(await ok(['run', '--rm', 'epimg:1', 'x']), 'ep x\n');
      assert.equal(await ok(['run', '--rm', '--entrypoint', 'echo', 'epimg:1', 'y']), 'y\n');
      assert.equal(await ok(['run', '--rm', '--entrypoint', '', 'epimg:1', 'echo', 'no', 'entrypoint']), 'no entrypoint\n');
    });

    it('arguments are passed verbatim: no $(VAR) or $$ expansion', async () => {
      assert.equal(await ok(['run', '--rm', '-e', 'V=x', s.w.image, 'sh', '-c', "echo '$(V)' pid=$$ $V"]), '$(V) pid=1 x\n');
    });

    it('-p PORT and -P publish on free host ports, shown by port and ps, and reachable', async () => {
      await ok(['run', '-d', '--name', 'web', '-p', '8080', s.w.image, 'httpd', '-f', '-p', '8080', '-h', '/etc']);
      const line = await ok(['port', 'web']);
      const m = /^8080\/tcp -> 0\.0\.0\.0:(\d+)\n$/.exec(line);
      assert.ok(m && Number(m[1]) > 0, line);
      const hostPort = Number(m![1]);
      assert.equal(await ok(['port', 'web', '8080']), `0.0.0.0:${hostPort}\n`);
      assert.match(await ok(['ps']), new RegExp(`0\\.0\\.0\\.0:${hostPort}->8080/tcp`));
      const motd = await until('the published port', async () => (await httpGet('127.0.0.1', hostPort, '/motd')) ?? false);
      assert.equal(motd, 'welcome to berth\n');
      // -P: the image exposes 8080/tcp.
      await ok(['run', '-d', '--name', 'all', '-P', s.w.image, 'httpd', '-f', '-p', '8080', '-h', '/etc']);
      const p = /^8080\/tcp -> 0\.0\.0\.0:(\d+)\n$/.exec(await ok(['port', 'all']));
      assert.ok(p && Number(p[1]) !== hostPort);
      await ok(['rm', '-f', 'web', 'all']);
    });

    it('--init, --hostname, --add-host, --env-file, --label, --stop-signal/--stop-timeout', async () => {
      const envFile = join(s.w.dir, 'app.env');
      await writeFile(envFile, '# settings\nMODE=prod\nQUOTED="kept"\n');
      const out = await ok([
        'run', '--rm', '--init', '-h', 'box', '--add-host', 'db.local:10.1.2.3', '--env-file', envFile, s.w.image,
        'sh', '-c', 'tr "\\0" " " < /proc/1/cmdline; echo; hostname; grep db.local /etc/hosts; echo $MODE $QUOTED',
      ]);
      assert.equal(out, '/sbin/docker-init -- sh -c tr "\\0" " " < /proc/1/cmdline; echo; hostname; grep db.local /etc/hosts; echo $MODE $QUOTED \nbox\n10.1.2.3\tdb.local\nprod "kept"\n');
      // On a network: the extra line in the network's /etc/hosts.
      assert.equal(await ok(['run', '--rm', '--network', 'bridge', '--add-host', 'db.local:10.1.2.3', s.w.image, 'grep', 'db.local', '/etc/hosts']), '10.1.2.3\tdb.local\n');
      await ok(['run', '-d', '--name', 'lab', '-l', 'tier=web', '--stop-signal', 'SIGUSR1', '--stop-timeout', '1', s.w.image, 'sleep', '1000']);
      const o = JSON.parse(await ok(['get', 'container', 'lab', '-o', 'json']));
      assert.equal(o.metadata.labels.tier, 'web');
      assert.deepEqual([o.spec.stopSignal, o.spec.terminationGracePeriodSeconds], ['SIGUSR1', 1]);
      await ok(['rm', '-f', 'lab']);
    });

    it('--restart on-failure:1 restarts once; --rm -d is removed by the daemon once it exits', async () => {
      await ok(['run', '-d', '--name', 'flaky', '--restart', 'on-failure:1', s.w.image, 'sh', '-c', 'exit 3']);
      const st = await until('two runs', async () => {
        const status = (await s.w.get('flaky')).status as { phase?: string; restartCount?: number };
        return status.phase === 'Exited' && status.restartCount === 1 && status;
      });
      assert.equal(st.restartCount, 1);
      const bad = await cli(['run', '--restart', 'sometimes', s.w.image, 'true']);
      assert.equal(bad.code, 125);
      assert.match(bad.stderr, /--restart "sometimes" is not a restart policy; use one of: no, always, on-failure\[:max-retries\], unless-stopped/);
      const id = (await ok(['run', '--rm', '-d', '--name', 'gone', s.w.image, 'true'])).trim();
      assert.match(id, /^[0-9a-f]{64}$/);
      await until('autoRemove', async () => !(await ok(['ps', '-a'])).includes('gone'));
      await ok(['rm', '-f', 'flaky']);
    });

    it('--pull never refuses an image that is not here; a health check makes it ready', async () => {
      const never = await cli(['run', '--rm', '--pull', 'never', `${s.w.registry.host}/test/absent:1`, 'true']);
      assert.notEqual(never.code, 0);
      assert.match(never.stderr, /ErrImageNeverPull|imagePullPolicy is Never/);
      await ok(['run', '-d', '--name', 'hc', '--health-cmd', 'test -f /tmp/ok', '--health-interval', '1s', '--health-retries', '1', s.w.image, 'sleep', '1000']);
      const ready = async () => ((await s.w.get('hc')).status as { ready?: boolean }).ready === true;
      assert.equal(await ready(), false);
      await ok(['exec', 'hc', 'touch', '/tmp/ok']);
      await until('healthy', ready);
      await ok(['rm', '-f', 'hc']);
    });
  });
}
