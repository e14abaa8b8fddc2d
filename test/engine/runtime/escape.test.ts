// Escape tests: a container tries each known class of runtime escape against berth's launcher and
// fails. CVE-2019-5736 (overwriting the runtime binary through /proc/<pid>/exe), CVE-2024-21626
// (a host fd leaked into the container; a cwd under /proc/self/fd), and mount targets that are
// symlinks (or ..) pointing out of the rootfs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { monitorPath, nativeBinary } from '../../../engine/runtime/monitored-runtime.ts';
import { NativeRuntime } from '../../../engine/runtime/native-runtime.ts';
import { makeBundle, makeBusyboxRootfs, type BundleSpec } from './bundle.ts';
import { removeCgroupParent, waitForLog } from './conformance.ts';
import type { LogEntry } from '../../../specs/api/containers.ts';

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('escapes through the native launcher fail', () => {
  const tag = randomBytes(3).toString('hex');
  const parent = `berth-test-${tag}`;
  let tmp = '';
  let rt: NativeRuntime;
  let n = 0;
  const ids: string[] = [];

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'berth-escape-'));
    rt = new NativeRuntime({ stateDir: join(tmp, 'state') });
  });
  after(async () => {
    for (const id of ids) await rt.delete(id, { force: true }).catch(() => undefined);
    removeCgroupParent(parent);
    rmSync(tmp, { recursive: true, force: true });
  });

  /** A bundle with its own writable rootfs; edit() may change the config before it is written back. */
  function bundle(s: BundleSpec, edit?: (config: any, rootfs: string) => void): { id: string; bundle: string; rootfs: string } {
    const id = `e${tag}-${n++}`;
    const dir = join(tmp, id);
    const rootfs = makeBusyboxRootfs(join(dir, 'rootfs'));
    makeBundle(dir, rootfs, parent, id, { readonlyRootfs: false, ...s });
    if (edit) {
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
      edit(config, rootfs);
      writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    }
    ids.push(id);
    return { id, bundle: dir, rootfs };
  }

  async function logs(id: string): Promise<LogEntry[]> {
    const out: LogEntry[] = [];
    for await (const e of rt.logs(id)) out.push(e);
    return out;
  }

  it('CVE-2019-5736: the launcher inside the container is a sealed copy that cannot be written', async () => {
    const launcher = nativeBinary('berth-run');
    const before = sha(launcher);
    const b = bundle({
      args: ['sh', '-c', [
        'printf "#!/proc/self/exe\\n" > /evil; chmod +x /evil; echo ready',
        // Try every process's exe for writing, over and over, while the host execs into the container.
        'while true; do for p in /proc/[0-9]*; do [ "$p" = /proc/$$ ] && continue; (echo pwned >> $p/exe) 2>/dev/null && echo "OPENED $(readlink $p/exe)"; done; done',
      ].join('; ')],
    });
    await rt.run(b);
    await waitForLog(rt, b.id, 'ready');
    // A shebang of /proc/self/exe makes the exec'd process re-run whatever execs it: the launcher.
    for (let i = 0; i < 10; i++) {
      const r = await rt.exec(b.id, { args: ['/evil'] });
      assert.notEqual(r.exitCode, 0);
    }
    // While an exec runs, the host sees its launcher running from a sealed memfd, not from the file.
    const state = await rt.state(b.id);
    const ex = spawn(launcher, ['exec', '--pid', String(state.pid), '--bundle', b.bundle, '--', 'sleep', '2'], { stdio: 'ignore' });
    let exe = '';
    for (let i = 0; i < 500 && !exe.startsWith('/memfd:'); i++) {
      await sleep(2);
      exe = (() => { try { return readlinkSync(`/proc/${ex.pid}/exe`); } catch { return ''; } })();
    }
    assert.match(exe, /^\/memfd:berth-run/);
    assert.throws(() => openSync(`/proc/${ex.pid}/exe`, 'r+'), /EPERM|ETXTBSY|EACCES/);
    await new Promise((resolve) => ex.once('exit', resolve));
    await rt.stop(b.id, { timeoutSeconds: 0 });
    assert.equal(sha(launcher), before, 'the launcher binary is unchanged');
    const opened = (await logs(b.id)).filter((e) => e.log.includes('OPENED'));
    assert.deepEqual(opened, [], 'no process exe was writable from inside');
  });

  it('CVE-2024-21626: a cwd under /proc/self/fd is refused, for run and for exec', async () => {
    const b = bundle({ args: ['true'], cwd: '/proc/self/fd/7' });
    await assert.rejects(rt.run(b), /\/proc\/self\/fd\/7.*refused/);
    assert.ok(!(await rt.list()).some((s) => s.id === b.id), 'nothing is left of the refused container');
    const c = bundle({ args: ['sh', '-c', 'echo ready; exec sleep 60'] });
    await rt.run(c);
    await waitForLog(rt, c.id, 'ready');
    const r = await rt.exec(c.id, { args: ['pwd'], cwd: '/proc/self/fd/5' });
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr.toString(), /refused/);
    await rt.stop(c.id, { timeoutSeconds: 0 });
  });

  for (const launcher of [['--builtin-launcher'], ['--launcher', nativeBinary('berth-run')]]) it(`CVE-2024-21626: a host directory fd held by the monitor does not reach the container (${launcher[0]})`, async () => {
    // The monitor is started as NativeRuntime starts it (--builtin-launcher), or with berth-run
    // as a program of its own, but with a host directory open as fd 3.
    const hostDir = mkdtempSync(join(tmp, 'host-secret-'));
    writeFileSync(join(hostDir, 'secret'), 'host data\n');
    const b = bundle({ args: ['sh', '-c', 'for f in /proc/1/fd/*; do echo "fd $f $(readlink $f)"; done; cat /proc/1/fd/3/secret 2>&1; cd /proc/1/fd/3 2>&1 || echo "no fd 3"'] });
    const state = join(tmp, `${b.id}-state`);
    mkdirSync(state);
    const fd = openSync(hostDir, 'r');
    const mon = spawn(monitorPath(), [
      '--id', b.id, '--bundle', b.bundle, ...launcher, '--log', join(state, 'log.json'), '--exit-file', join(state, 'exit.json'),
      '--pid-file', join(state, 'pid'), '--runtime-log', join(state, 'runtime.log'),
    ], { stdio: ['ignore', 'pipe', 'pipe', fd] });
    closeSync(fd);
    const code = await new Promise((resolve) => mon.once('exit', resolve));
    assert.equal(code, 0);
    for (let i = 0; i < 1000 && !existsSync(join(state, 'exit.json')); i++) await sleep(10);
    const out = readFileSync(join(state, 'log.json'), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as LogEntry).log).join('');
    assert.doesNotMatch(out, /host-secret|host data/, out);
    assert.match(out, /no fd 3/);
    assert.match(out, /fd \/proc\/1\/fd\/0 /, 'stdio is there');
  });

  it('mount targets that are symlinks or .. out of the rootfs are resolved inside it', async () => {
    const host = mkdtempSync(join(tmp, 'host-target-'));
    const hostFile = join(tmp, `host-file-${tag}`);
    writeFileSync(hostFile, 'bound\n');
    // The container's /tmp is a tmpfs (mounted first): the symlinks' targets are made in it.
    const b = bundle({ args: ['sh', '-c', `cat /mnt/file; cd ${host} && ls -d a b dotdot file && grep -c "${host}/[abd]" /proc/self/mountinfo`] }, (config, rootfs) => {
      symlinkSync(host, join(rootfs, 'mnt')); // absolute: the host's directory, if followed on the host
      symlinkSync(`../../../../../../../..${host}`, join(rootfs, 'up')); // relative, climbing out
      config.mounts.push(
        { destination: '/mnt/a', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] },
        { destination: '/up/b', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] },
        { destination: '/mnt/file', type: 'bind', source: hostFile, options: ['rbind', 'ro'] },
        { destination: `/../../../../..${host}/dotdot`, type: 'tmpfs', source: 'tmpfs', options: [] },
      );
    });
    await rt.run(b);
    const exit = await rt.wait(b.id);
    const out = (await logs(b.id)).map((e) => e.log).join('');
    assert.equal(exit.exitCode, 0, out);
    assert.deepEqual(readdirSync(host), [], 'nothing was created in the host directory the symlinks name');
    // Inside, the targets were made (and mounted) where the symlinks lead when / is the rootfs.
    assert.equal(out, 'bound\na\nb\ndotdot\nfile\n3\n');
  });
});
