// `berth daemon install-service` under a temporary prefix (the units in <prefix>/etc/systemd/system,
// the group berth added to <prefix>/etc/group by the real groupadd), systemd's verifier on what it
// installed, and the API socket's group when the daemon listens itself (dockerd's --group).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { givenFromFlags } from '../../server/config/flags.ts';
import { optionsFromSettings } from '../../server/config/options.ts';
import { resolveSettings } from '../../server/config/settings.ts';
import { startDaemon } from '../../server/daemon.ts';
import { createLogger } from '../../server/log.ts';
import { groupId } from '../../server/systemd/groups.ts';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import { BERTH, berth, REPO, tempDir } from '../fixtures/helpers.ts';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

describe('berth daemon install-service', { skip: has('groupadd') ? false : 'groupadd is not installed' }, () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let units: string;
  before(async () => {
    dir = await tempDir();
    mkdirSync(join(dir.path, 'etc'));
    writeFileSync(join(dir.path, 'etc', 'group'), 'root:x:0:\nadm:x:4:\n');
    units = join(dir.path, 'etc', 'systemd', 'system');
  });
  after(async () => dir?.remove());

  it('installs both units with ExecStart naming this berth, creates the group, and says so', async () => {
    const r = await berth(['daemon', 'install-service', '--prefix', dir.path]);
    assert.equal(r.code, 0, r.stderr);
    const gid = await groupId('berth', dir.path);
    assert.ok(gid !== undefined && gid > 0, readFileSync(join(dir.path, 'etc', 'group'), 'utf8'));
    assert.equal(
      r.stdout.replace(/ExecStart=\S+ (?=\S+ daemon)/, 'ExecStart='),
      [
        `installed ${units}/berth.service (ExecStart=${BERTH} daemon -H fd://)`,
        `installed ${units}/berth.socket`,
        `created the group berth (gid ${gid}): its members may use the API socket without sudo (usermod -aG berth USER)`,
        'next: systemctl daemon-reload && systemctl enable --now berth.socket berth.service',
        '',
      ].join('\n'),
    );
    const service = readFileSync(join(units, 'berth.service'), 'utf8');
    assert.match(service, new RegExp(`^ExecStart=(\\S+ )?${BERTH} daemon -H fd://$`, 'm'));
    // The rest is the repository's unit, as are the socket's settings (0660, group berth).
    assert.equal(service.replace(/^ExecStart=.*$/m, ''), readFileSync(join(REPO, 'server', 'systemd', 'berth.service'), 'utf8').replace(/^ExecStart=.*$/m, ''));
    assert.equal(readFileSync(join(units, 'berth.socket'), 'utf8'), readFileSync(join(REPO, 'server', 'systemd', 'berth.socket'), 'utf8'));
    assert.equal(statSync(join(units, 'berth.service')).mode & 0o777, 0o644);
  });

  it('leaves what is already there', async () => {
    const gid = await groupId('berth', dir.path);
    const r = await berth(['daemon', 'install-service', '--prefix', dir.path]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split('\n').slice(0, 3).join('\n'), [`unchanged ${units}/berth.service`, `unchanged ${units}/berth.socket`, `group berth exists (gid ${gid})`].join('\n'));
  });

  it('installs units that pass systemd-analyze verify', { skip: has('systemd-analyze') ? false : 'systemd-analyze is not installed' }, () => {
    const r = spawnSync('systemd-analyze', ['verify', join(units, 'berth.service'), join(units, 'berth.socket')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.split('\n').filter((l) => l.includes(units)).join('\n'), '');
  });
});

const hostHasBerthGroup = (await groupId('berth')) !== undefined;

describe("the API socket's group (not socket-activated)", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => (dir = await tempDir()));
  after(async () => dir?.remove());
  const start = async (n: string, flags: { group?: string }, logs: string[] = []) => {
    const settings = resolveSettings({ flags: givenFromFlags({ dataRoot: join(dir.path, n), socket: join(dir.path, `${n}.sock`), runtime: 'none', ...flags }) });
    return startDaemon(optionsFromSettings(settings), createLogger({ level: 'info', write: (l) => void logs.push(l) }));
  };

  it('belongs to the group given, 0660', async () => {
    const daemon = await start('a', { group: 'adm' });
    try {
      const st = statSync(join(dir.path, 'a.sock'));
      assert.deepEqual([st.mode & 0o777, st.gid], [0o660, await groupId('adm')]);
    } finally {
      await daemon.stop();
    }
  });

  it('refuses to start with a group given that does not exist', async () => {
    await assert.rejects(start('b', { group: 'no-such-group' }), (e) => e instanceof InvalidArgumentError && /group "no-such-group" \(the API socket's group\) does not exist; create it \(groupadd --system no-such-group\) or give another/.test(e.message));
  });

  it('stays root\'s when the default group berth is missing, and says how to create it', { skip: hostHasBerthGroup ? 'this host has a group berth' : false }, async () => {
    const logs: string[] = [];
    const daemon = await start('c', {}, logs);
    try {
      assert.equal(statSync(join(dir.path, 'c.sock')).gid, 0);
      assert.ok(logs.some((l) => l.includes('the group berth does not exist, so the API socket is root\'s only; `berth daemon install-service` creates it')), logs.join(''));
    } finally {
      await daemon.stop();
    }
  });
});
