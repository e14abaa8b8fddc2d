// The security conformance suite, run against each runtime (native.test.ts, runc.test.ts) on real
// containers with bundles from the engine's own writer and security plan: both runtimes must block
// the same system calls, give the same capabilities, mask the same paths, set the same sysctls and
// map the same user namespace — the same bundle, the same result.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nativeBinary } from '../../../engine/runtime/monitored-runtime.ts';
import type { Runtime } from '../../../engine/runtime/runtime.ts';
import { MASKED_PATHS, hostDevices } from '../../../engine/security/security-plan.ts';
import { USERNS_SIZE, mountSysfs, unmountSysfs } from '../../../engine/security/userns.ts';
import { harness } from './conformance.ts';
import type { BundleSpec } from './bundle.ts';

const CALLS = ['unshare', 'keyctl', 'mount', 'bpf'];
/** The calls' results with no filter in the way (syscall-check.c: a capability missing gives ENOENT/EINVAL, never EPERM). */
const UNFILTERED = { unshare: 'OK', keyctl: 'OK', mount: 'ENOENT', bpf: 'EINVAL' };
const DOCKER_DEFAULT_CAPS = '00000000a80425fb';
/** "Every capability" is every one this host's root holds (this machine's lacks CAP_SYS_RESOURCE). */
const ALL_CAPS = /^CapPrm:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;

export function securityConformance(name: string, factory: (stateDir: string) => Runtime): void {
  describe(`Runtime security conformance: ${name}`, () => {
    const h = harness(factory);
    before(() => {
      h.setup();
      copyFileSync(nativeBinary('syscall-check'), join(h.rootfs, 'bin', 'syscall-check'));
    });
    after(() => h.teardown());

    /** The container's /proc/self/status fields and syscall-check's results. */
    async function probe(s: Partial<BundleSpec>, calls = CALLS): Promise<{ status: Record<string, string>; calls: Record<string, string> }> {
      const script = `grep -E '^(Seccomp|NoNewPrivs|CapEff|CapBnd|CapPrm):' /proc/self/status; syscall-check ${calls.join(' ')}`;
      const out = await h.stdout(await h.start({ args: ['sh', '-c', script], ...s }));
      const status: Record<string, string> = {};
      const results: Record<string, string> = {};
      for (const line of out.trim().split('\n')) {
        const m = /^(\w+):\s+(\S+)$/.exec(line);
        if (m) status[m[1]!] = m[2]!;
        else {
          const [call, result] = line.split(' ');
          results[call!] = result!;
        }
      }
      return { status, calls: results };
    }

    it('RuntimeDefault (no securityContext): seccomp on, unshare/keyctl/mount/bpf fail with EPERM, no_new_privs off (as Docker), Docker\'s capabilities', async () => {
      const r = await probe({});
      assert.equal(r.status.Seccomp, '2', 'a seccomp filter is installed');
      assert.deepEqual(r.calls, { unshare: 'EPERM', keyctl: 'EPERM', mount: 'EPERM', bpf: 'EPERM' });
      assert.equal(r.status.NoNewPrivs, '0');
      assert.equal(r.status.CapBnd, DOCKER_DEFAULT_CAPS);
      assert.equal(r.status.CapEff, DOCKER_DEFAULT_CAPS);
    });

    it('start and exec get the container\'s filter each time: made once, then loaded from the runtime\'s cache (native), which a change or an unsafe mode makes it ignore', async () => {
      // Earlier tests' profiles are in the runtime's cache too: this one starts from none.
      rmSync(join(h.stateDir, 'seccomp'), { recursive: true, force: true });
      const id = await h.start({ args: ['sleep', '1000'] });
      const script = `grep -E '^Seccomp:' /proc/self/status; syscall-check ${CALLS.join(' ')}`;
      const want = 'Seccomp:\t2\nunshare EPERM\nkeyctl EPERM\nmount EPERM\nbpf EPERM\n';
      const exec = async () => (await h.rt.exec(id, { args: ['sh', '-c', script] })).stdout.toString();
      assert.equal(await exec(), want);
      if (name === 'native') {
        // One file per profile in the runtime's cache, shared by its containers: the start made it.
        const dir = join(h.stateDir, 'seccomp');
        assert.equal(statSync(dir).mode & 0o777, 0o700);
        const files = readdirSync(dir).filter((f) => f.endsWith('.bpf'));
        assert.equal(files.length, 1, `one cached filter: ${files.join(', ')}`);
        const cache = join(dir, files[0]!);
        assert.equal(statSync(cache).mode & 0o777, 0o600, 'the start kept the filter, root\'s only');
        assert.ok(!existsSync(join(h.bundle(id), 'seccomp.bpf')), 'not in the bundle when the runtime has a cache');
        const second = await h.start({ args: ['sleep', '1000'] });
        assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.bpf')), files, 'a second container of the same profile takes the same file');
        await h.rt.delete(second, { force: true });
        const made = readFileSync(cache);
        assert.equal(await exec(), want, 'from the cache');
        // Writable by others: not trusted, made again.
        chmodSync(cache, 0o666);
        assert.equal(await exec(), want);
        assert.equal(statSync(cache).mode & 0o777, 0o600);
        // A cache of another filter (an allow-all program under this one's header) is not used: its hash differs.
        const other = Buffer.concat([made.subarray(0, 8), Buffer.alloc(8, 1), Buffer.from([0x06, 0, 0, 0, 0, 0, 0xff, 0x7f])]);
        writeFileSync(cache, other, { mode: 0o600 });
        assert.equal(await exec(), want);
        assert.deepEqual(readFileSync(cache), made);
      }
      await h.rt.delete(id, { force: true });
    });

    it('Unconfined: no filter, the same calls get past it', async () => {
      const r = await probe({ securityContext: { seccompProfile: { type: 'Unconfined' } } });
      assert.equal(r.status.Seccomp, '0');
      assert.deepEqual(r.calls, UNFILTERED);
    });

    it('the default profile follows the capabilities: CAP_SYS_ADMIN added allows mount and unshare', async () => {
      const r = await probe({ securityContext: { capabilities: { add: ['SYS_ADMIN'] } } }, ['unshare', 'mount', 'tmpfs', 'keyctl']);
      assert.equal(r.status.Seccomp, '2');
      assert.deepEqual(r.calls, { unshare: 'OK', mount: 'ENOENT', tmpfs: 'OK', keyctl: 'EPERM' });
      assert.equal(r.status.CapBnd, (BigInt(`0x${DOCKER_DEFAULT_CAPS}`) | (1n << 21n)).toString(16).padStart(16, '0'));
    });

    it('capabilities: drop ALL + add one; a non-root user holds none; allowPrivilegeEscalation: false sets no_new_privs', async () => {
      const one = await probe({ securityContext: { capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } }, ['chroot']);
      assert.equal(one.status.CapBnd, '0000000000000400');
      assert.equal(one.status.CapEff, '0000000000000400');
      assert.deepEqual(one.calls, { chroot: 'EPERM' }, 'chroot needs CAP_SYS_CHROOT, dropped: the profile refuses it');
      const user = await probe({ uid: 1000, gid: 1000 }, []);
      assert.equal(user.status.CapEff, '0000000000000000');
      assert.equal(user.status.CapPrm, '0000000000000000');
      assert.equal(user.status.CapBnd, DOCKER_DEFAULT_CAPS);
      const esc = await probe({ securityContext: { allowPrivilegeEscalation: true } }, []);
      assert.equal(esc.status.NoNewPrivs, '0');
      assert.equal(esc.status.Seccomp, '2', 'the filter is installed without no_new_privs too');
      const nnp = await probe({ securityContext: { allowPrivilegeEscalation: false } }, []);
      assert.equal(nnp.status.NoNewPrivs, '1');
      assert.equal(nnp.status.Seccomp, '2');
    });

    it('masks Docker\'s paths (those this kernel has) and keeps /proc/sys read-only', async () => {
      const present = MASKED_PATHS.filter((p) => existsSync(p));
      assert.ok(present.includes('/proc/keys') && present.includes('/sys/firmware'), `the host has paths to mask: ${present.join(' ')}`);
      const show = present.map((p) => `if [ -d ${p} ]; then echo "${p} $(ls -A ${p} | wc -l)"; else echo "${p} $(cat ${p} | wc -c)"; fi`).join('; ');
      const id = await h.start({
        args: ['sh', '-c', `${show}; echo 1 > /proc/sysrq-trigger 2>/dev/null && echo sysrq-written || echo sysrq-denied; echo 0 > /proc/sys/kernel/shm_rmid_forced 2>/dev/null && echo sys-written || echo sys-denied`],
      });
      const lines = (await h.stdout(id)).trim().split('\n');
      assert.deepEqual(lines, [...present.map((p) => `${p} 0`), 'sysrq-denied', 'sys-denied']);
    });

    it('sets namespaced sysctls: IPC and the network namespace\'s own, not the host\'s', async () => {
      const hostPort = () => execFileSync('cat', ['/proc/sys/net/ipv4/ip_unprivileged_port_start']).toString().trim();
      const before = hostPort();
      assert.notEqual(before, '80');
      const id = await h.start({
        args: ['sh', '-c', 'cat /proc/sys/kernel/shm_rmid_forced /proc/sys/net/ipv4/ip_unprivileged_port_start'],
        securityContext: { sysctls: [{ name: 'kernel.shm_rmid_forced', value: '1' }, { name: 'net.ipv4.ip_unprivileged_port_start', value: '80' }] },
      });
      assert.equal(await h.stdout(id), '1\n80\n');
      assert.equal(hostPort(), before, 'the host keeps its own');
    });

    it('privileged: every capability, no filter, no masked paths, /sys writable, the host\'s devices', async () => {
      const devices = await hostDevices();
      const withKmsg = devices.some((d) => d.path === '/dev/kmsg');
      const id = await h.start({
        args: ['sh', '-c', "grep -E '^(Seccomp|CapBnd|NoNewPrivs):' /proc/self/status; grep -c ' /proc/kcore ' /proc/self/mountinfo; grep ' /sys ' /proc/self/mountinfo | grep -c ' rw,'; ls /dev/kmsg 2>/dev/null || echo no-kmsg"],
        securityContext: { privileged: true },
        devices,
      });
      const [bnd, nnp, seccomp, masked, sysRw, kmsg] = (await h.stdout(id)).trim().split('\n');
      assert.equal(bnd, `CapBnd:\t${ALL_CAPS}`);
      assert.equal(nnp, 'NoNewPrivs:\t0');
      assert.equal(seccomp, 'Seccomp:\t0');
      assert.equal(masked, '0', '/proc/kcore is not masked');
      assert.equal(sysRw, '1', '/sys is mounted read-write');
      assert.equal(kmsg, withKmsg ? '/dev/kmsg' : 'no-kmsg');
    });

    it('a user namespace: root inside is an unmapped range outside (process, rootfs file, bind-mounted file)', async () => {
      const uid = 1_500_000_000 + Math.floor(Math.random() * 1000) * USERNS_SIZE;
      const dir = join(h.tmp, `userns-${uid}`);
      for (const d of ['upper', 'work', 'rootfs', 'data']) mkdirSync(join(dir, d), { recursive: true });
      // A network namespace made beforehand and joined by path, as the network manager's: the user
      // namespace does not own it, so the engine's sysfs of it is bound on /sys.
      writeFileSync(join(dir, 'net'), '');
      execFileSync('unshare', [`--net=${join(dir, 'net')}`, 'true']);
      const sysfs = await mountSysfs(dir, join(dir, 'net'));
      // The container's root must be able to reach its rootfs (as Docker's data root is 0711 with userns-remap).
      chmodSync(h.tmp, 0o711);
      chownSync(join(dir, 'data'), uid, uid);
      execFileSync(nativeBinary('berth-overlay'), ['--target', join(dir, 'rootfs'), '--upper', join(dir, 'upper'), '--work', join(dir, 'work'), '--uid', String(uid), '--gid', String(uid), '--size', String(USERNS_SIZE), h.rootfs]);
      try {
        const id = await h.start({
          args: ['sh', '-c', 'id -u; id -g; cat /proc/self/uid_map; grep CapEff /proc/self/status; ls /sys/class/net; echo x > /made-in-rootfs && touch /data/made-in-bind && echo ready; sleep 30'],
          userns: { uid, gid: uid, size: USERNS_SIZE },
          rootfs: join(dir, 'rootfs'),
          hostNetwork: true,
          netnsPath: join(dir, 'net'),
          sysfsSource: sysfs,
          mounts: [{ destination: '/data', type: 'bind', source: join(dir, 'data'), options: ['rbind', 'rw'] }, { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] }],
        });
        let out = '';
        for await (const e of h.rt.logs(id, { follow: true, signal: AbortSignal.timeout(20_000) })) {
          out += e.log;
          if (out.includes('ready') || e.stream === 'stderr') break;
        }
        const [u, g, map, caps, nets] = out.trim().split('\n');
        assert.equal(u, '0');
        assert.equal(g, '0');
        assert.deepEqual(map!.trim().split(/\s+/), ['0', String(uid), String(USERNS_SIZE)]);
        assert.equal(caps, `CapEff:\t${DOCKER_DEFAULT_CAPS}`);
        assert.equal(nets, 'lo', '/sys shows the joined network namespace (only its loopback), not the host\'s');
        const pid = (await h.rt.state(id)).pid;
        assert.equal(statSync(`/proc/${pid}`).uid, uid, 'the process is owned by the unmapped uid on the host');
        assert.equal(statSync(join(dir, 'upper', 'made-in-rootfs')).uid, uid, 'a file written in the rootfs');
        assert.equal(statSync(join(dir, 'data', 'made-in-bind')).uid, uid, 'a file made on a bind mount');
        const ex = await h.rt.exec(id, { args: ['sh', '-c', 'id -u; cat /proc/self/uid_map'] });
        assert.equal(ex.exitCode, 0, ex.stderr.toString());
        const [exUid, exMap] = ex.stdout.toString().trim().split('\n');
        assert.equal(exUid, '0', 'exec joins the user namespace');
        assert.deepEqual(exMap!.trim().split(/\s+/), ['0', String(uid), String(USERNS_SIZE)]);
        await h.rt.stop(id, { timeoutSeconds: 0 });
      } finally {
        await unmountSysfs(dir);
        execFileSync('umount', ['-l', join(dir, 'rootfs')]);
        execFileSync('umount', [join(dir, 'net')]);
      }
    });
  });
}
