// A container's mount namespace, copied from the monitor server's small template (native/
// mount-template.h) — and, where there is no server (a state directory too deep for a socket
// address: the monitor is spawned), from this process's namespace as before. Both must give the
// container the same view: its rootfs, its binds (a read-only one, /etc/hosts writable), and in
// its mountinfo only the mounts its config makes, none of this namespace's
// (another container's rootfs, a tmpfs mounted here). Configs the template cannot serve (an
// overlay naming host paths, a bind of a directory holding the rootfs) copy this namespace.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NativeRuntime } from '../../../engine/runtime/native-runtime.ts';
import { harness } from './conformance.ts';

/** The mount points of a mountinfo (its fifth field; octal escapes as the kernel writes them). */
const mountPoints = (mountinfo: string) => mountinfo.trim().split('\n').map((l) => l.split(' ')[4]!);

/** The monitor servers this process started, by the directory of their socket. */
function serverOf(stateDir: string): number | undefined {
  for (const p of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const args = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (args[0]?.endsWith('berth-monitor') && args[1] === '--serve' && args[2] === join(stateDir, 'monitor.sock')) return Number(p);
    } catch {
      // Ended meanwhile.
    }
  }
  return undefined;
}

for (const [path, deep] of [
  ['copied from the template', false],
  ['copied from the daemon\'s namespace (no monitor server)', true],
] as const) {
  describe(`NativeRuntime: a container's mounts, its namespace ${path}`, () => {
    // Too deep for a socket address: the monitor is spawned, without a template (monitor-server.ts).
    const h = harness((stateDir) => new NativeRuntime({ stateDir: deep ? join(stateDir, 'd'.repeat(60), 'e'.repeat(60)) : stateDir }));
    let dir = '';
    const mounted: string[] = [];
    const mount = (args: string[], target: string) => {
      mkdirSync(target, { recursive: true });
      execFileSync('mount', [...args, target]);
      mounted.push(target);
    };
    before(() => {
      h.setup();
      dir = mkdtempSync(join(tmpdir(), 'berth-mnttpl-'));
      // Mounts of this (the "daemon's") namespace that no container may see: a tmpfs, and two rootfs
      // mounts as the snapshotter makes them (one per container).
      mount(['-t', 'tmpfs', 'berth-decoy'], join(dir, 'decoy'));
      mount(['--bind', h.rootfs], join(dir, 'rootfs-a'));
      mount(['--bind', h.rootfs], join(dir, 'rootfs-b'));
      mkdirSync(join(dir, 'data'));
      writeFileSync(join(dir, 'data', 'in'), 'rw bind\n');
      writeFileSync(join(dir, 'ro'), 'ro bind\n');
      writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n');
    });
    after(async () => {
      await h.teardown();
      for (const m of mounted.reverse()) execFileSync('umount', ['-l', m]);
      rmSync(dir, { recursive: true, force: true });
    });

    it('sees its rootfs and binds (one read-only, /etc/hosts writable), and only its own mounts', async () => {
      const other = await h.start({ args: ['sleep', '60'], rootfs: join(dir, 'rootfs-a') });
      const id = await h.start({
        args: ['sh', '-c', [
          'test -x /bin/busybox && echo rootfs',
          'cat /data/in; echo out > /data/out && echo data-writable',
          'cat /ro; echo x > /ro 2>/dev/null && echo ro-writable || echo ro-refused',
          'echo "10.0.0.9 added" >> /etc/hosts && echo hosts-writable',
          'echo ---; cat /proc/self/mountinfo',
        ].join('; ')],
        rootfs: join(dir, 'rootfs-b'),
        // Writable: with a read-only root the engine binds /etc/hosts read-only too, as Docker does.
        readonlyRootfs: false,
        etcFiles: { hosts: join(dir, 'hosts') },
        mounts: [
          { destination: '/data', type: 'bind', source: join(dir, 'data'), options: ['rbind', 'rw'] },
          { destination: '/ro', type: 'bind', source: join(dir, 'ro'), options: ['rbind', 'ro'] },
        ],
      });
      const [said, mountinfo] = (await h.stdout(id)).split('---\n') as [string, string];
      assert.equal(said, 'rootfs\nrw bind\ndata-writable\nro bind\nro-refused\nhosts-writable\n');
      assert.equal(readFileSync(join(dir, 'data', 'out'), 'utf8'), 'out\n');
      assert.equal(readFileSync(join(dir, 'hosts'), 'utf8'), '127.0.0.1 localhost\n10.0.0.9 added\n');

      // Every mount point is one the config makes: the root, its mounts, its masked and read-only paths.
      const config = JSON.parse(readFileSync(join(h.bundle(id), 'config.json'), 'utf8'));
      const expected = new Set<string>(['/', ...config.mounts.map((m: { destination: string }) => m.destination), ...config.linux.maskedPaths, ...config.linux.readonlyPaths]);
      const points = mountPoints(mountinfo);
      assert.deepEqual(points.filter((p) => !expected.has(p)), [], `only its own mounts:\n${mountinfo}`);
      assert.ok(!mountinfo.includes('berth-decoy'), `not the tmpfs mounted here:\n${mountinfo}`);
      // Both rootfs mounts bind the same directory (mountinfo's fourth field): only its own is there.
      assert.equal(mountinfo.split('\n').filter((l) => l.split(' ')[3] === h.rootfs).length, 1, `one rootfs:\n${mountinfo}`);
      assert.equal(points.filter((p) => p === '/').length, 1);
      await h.rt.delete(other, { force: true });
    });

    it('mounts a filesystem whose options name paths of this namespace (an overlay\'s lowerdir)', async () => {
      // The template has none of these paths: such a container copies this namespace, as before.
      mkdirSync(join(dir, 'lower'), { recursive: true });
      writeFileSync(join(dir, 'lower', 'f'), 'from the lower layer\n');
      // The engine makes none (its mounts are binds and tmpfs): the bundle's config is edited.
      const id = await h.start({ args: ['true'] });
      await h.rt.wait(id);
      const file = join(h.bundle(id), 'config.json');
      const config = JSON.parse(readFileSync(file, 'utf8'));
      config.process.args = ['cat', '/ov/f'];
      config.mounts.push({ destination: '/ov', type: 'overlay', source: 'overlay', options: [`lowerdir=${join(dir, 'lower')}:${join(h.rootfs, 'etc')}`] });
      writeFileSync(file, JSON.stringify(config));
      await h.rt.delete(id);
      await h.rt.run({ id, bundle: h.bundle(id) });
      assert.equal(await h.stdout(id), 'from the lower layer\n');
    });

    it('a recursive bind of a directory holding its rootfs shows the mounts it made there first (as runc\'s)', async () => {
      // As node-exporter's bind of '/': the rootfs under it carries the container's own /proc.
      const id = await h.start({
        args: ['sh', '-c', 'test -e /up/rootfs/proc/1/stat && echo own-proc'],
        mounts: [{ destination: '/up', type: 'bind', source: h.tmp, options: ['rbind', 'ro'] }],
      });
      assert.equal(await h.stdout(id), 'own-proc\n');
    });

    if (!deep) {
      it('the template is a read-only tmpfs holding /proc, made once by the monitor server', async () => {
        const server = serverOf(h.stateDir);
        assert.ok(server, 'the runtime started a monitor server');
        const own = readlinkSync('/proc/self/ns/mnt');
        const held = readdirSync(`/proc/${server}/fd`).filter((fd) => /^mnt:/.test(readlinkSync(`/proc/${server}/fd/${fd}`)));
        assert.equal(held.length, 1, 'it holds one mount namespace');
        assert.notEqual(readlinkSync(`/proc/${server}/fd/${held[0]}`), own);
        // Inside it nothing runs: the host's static busybox, reached through the template's /proc.
        const inside = execFileSync('nsenter', [`--mount=/proc/${server}/fd/${held[0]}`, `/proc/${process.pid}/root/bin/busybox`, 'cat', '/proc/self/mountinfo'], { encoding: 'utf8' });
        const lines = inside.trim().split('\n').map((l) => l.split(' ')).sort((a, b) => a[4]!.localeCompare(b[4]!));
        assert.deepEqual(lines.map((f) => f[4]), ['/', '/proc'], inside);
        assert.match(lines[0]!.join(' '), /^\S+ \S+ \S+ \/ \/ ro,.* - tmpfs /, inside);
        assert.match(lines[1]!.join(' '), / - proc /, inside);
      });
    }
  });
}
