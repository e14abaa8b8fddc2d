// The systemd units under server/systemd/: what they must say (dockerd's unit as the model),
// systemd's own verifier on them, and socket activation (-H fd://) through systemd's
// systemd-socket-activate, which passes a listening socket exactly as berth.socket does.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiClient } from '../../cli/client.ts';
import type { DaemonInfo } from '../../specs/api/system.ts';
import { BERTH, berth, REPO, tempDir, until } from '../fixtures/helpers.ts';

const UNITS = join(REPO, 'server', 'systemd');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/**
 * A unit file as section → key → values. systemd's own parser is the judge (systemd-analyze
 * verify, below); this only reads the few keys the test asserts on.
 */
function readUnit(name: string): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  let section = '';
  for (const line of readFileSync(join(UNITS, name), 'utf8').split('\n')) {
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) out[(section = header[1]!)] = {};
    const kv = /^(\w+)=(.*)$/.exec(line);
    if (kv && section) (out[section]![kv[1]!] ??= []).push(kv[2]!);
  }
  return out;
}

describe('systemd units', () => {
  it('berth.service runs the daemon as dockerd runs: activated socket, delegated cgroups, containers kept on restart', () => {
    const u = readUnit('berth.service');
    assert.deepEqual(u.Service!.ExecStart, ['/usr/local/bin/berth daemon -H fd://']);
    assert.deepEqual(u.Service!.ExecReload, ['/bin/kill -s HUP $MAINPID']);
    assert.deepEqual([u.Service!.Delegate, u.Service!.KillMode, u.Service!.TasksMax], [['yes'], ['process'], ['infinity']]);
    assert.ok(u.Service!.LimitNOFILE?.length);
    assert.deepEqual(u.Unit!.Requires, ['berth.socket']);
    assert.deepEqual(u.Install!.WantedBy, ['multi-user.target']);
  });

  it('berth.socket serves the API socket 0660 to the group berth', () => {
    const u = readUnit('berth.socket');
    assert.deepEqual([u.Socket!.ListenStream, u.Socket!.SocketMode, u.Socket!.SocketGroup], [['/run/berth/berth.sock'], ['0660'], ['berth']]);
  });

  it('passes systemd-analyze verify', { skip: has('systemd-analyze') ? false : 'systemd-analyze is not installed' }, async () => {
    const dir = await tempDir();
    try {
      // The same units, with ExecStart naming this checkout's berth (verify checks that it exists;
      // an installed berth is at /usr/local/bin/berth).
      const service = readFileSync(join(UNITS, 'berth.service'), 'utf8').replace('ExecStart=/usr/local/bin/berth ', `ExecStart=${BERTH} `);
      await writeFile(join(dir.path, 'berth.service'), service);
      await writeFile(join(dir.path, 'berth.socket'), readFileSync(join(UNITS, 'berth.socket')));
      const r = spawnSync('systemd-analyze', ['verify', join(dir.path, 'berth.service'), join(dir.path, 'berth.socket')], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      // verify exits 0 on unknown keys and mistyped values; it only warns.
      assert.equal(r.stderr.split('\n').filter((l) => l.includes(dir.path)).join('\n'), '');
    } finally {
      await dir.remove();
    }
  });

  describe('socket activation (-H fd://)', { skip: has('systemd-socket-activate') ? false : 'systemd-socket-activate is not installed' }, () => {
    let dir: Awaited<ReturnType<typeof tempDir>>;
    before(async () => (dir = await tempDir()));
    after(async () => dir.remove());

    it('serves on the socket systemd passes', async () => {
      const socket = join(dir.path, 'activated.sock');
      const config = join(dir.path, 'daemon.json');
      await writeFile(config, JSON.stringify({ 'data-root': join(dir.path, 'root'), runtime: 'none' }));
      const child = spawn('systemd-socket-activate', ['-l', socket, '-E', `PATH=${process.env.PATH}`, process.execPath, BERTH, 'daemon', '-H', 'fd://', '--config-file', config], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
      try {
        const client = new ApiClient(socket);
        const info = await until('the daemon answers on the activated socket', () => client.json<DaemonInfo>('GET', '/v1/info'));
        assert.deepEqual(info.settings.find((s) => s.key === 'hosts'), { key: 'hosts', value: ['fd://'], source: 'flag', where: 'flag --host', live: false });
        // Logged once every socket serves (the Docker API's too): it may come just after the first answer.
        await until('the daemon says it serves on fd://', () => /berth daemon serving .*socket=fd:\/\//.test(stderr) || undefined);
      } finally {
        child.kill('SIGTERM');
      }
      assert.equal(await exited, 0, stderr);
      assert.ok(existsSync(socket), 'the socket belongs to systemd: the daemon leaves it');
    });

    it('says what to do when no socket was passed', async () => {
      const config = join(dir.path, 'empty.json');
      await writeFile(config, '{}');
      const r = await berth(['daemon', '-H', 'fd://', '--config-file', config, '--data-root', join(dir.path, 'root2'), '--runtime', 'none']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^error: fd:\/\/ is the socket systemd passes \(berth\.socket\), and none was passed to this process; start it through systemd, or listen on unix:\/\/\/path\n$/);
    });
  });
});
