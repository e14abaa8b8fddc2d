// The engine's security decisions on plain values: capability sets by Docker's rules, the default
// seccomp profile resolved per capability, architecture and kernel, the plan a securityContext
// makes, runAs* and the pids limit in the run config, and the user-namespace ID ranges (on
// temporary subuid/subgid files, never the host's).
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { containerRunConfig } from '../../engine/container-config.ts';
import { defaultSeccompProfile, ociSeccomp, type SeccompHost } from '../../engine/security/seccomp.ts';
import { DEFAULT_CAPABILITIES, DEFAULT_PIDS_LIMIT, MASKED_PATHS, capabilitySet, securityPlan } from '../../engine/security/security-plan.ts';
import { USERNS_SIZE, UsernsAllocator, ensureReachable, nextFreeStart } from '../../engine/security/userns.ts';
import { FailedPreconditionError, InvalidArgumentError, UnavailableError } from '../../specs/errdefs.ts';
import { ContainerSpec } from '../../specs/schema.ts';
import { CAPABILITIES } from '../../specs/security.ts';
import { tempDir } from '../fixtures/helpers.ts';

const AMD64: SeccompHost = { arch: 'amd64', kernel: [6, 1] };
const allowed = (caps: readonly string[], host = AMD64) => {
  const s = ociSeccomp(defaultSeccompProfile(), caps, host);
  return { s, names: new Set(s.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names)) };
};

describe('capabilities, as Docker computes them', () => {
  const all = [...CAPABILITIES];
  it('defaults; defaults - drops + adds; drop ALL then adds; add ALL minus drops; privileged is everything held', () => {
    assert.deepEqual(capabilitySet(undefined, all), CAPABILITIES.filter((c) => DEFAULT_CAPABILITIES.includes(c)));
    const tweaked = capabilitySet({ capabilities: { add: ['net_admin'], drop: ['CAP_NET_RAW', 'MKNOD'] } }, all);
    assert.ok(tweaked.includes('CAP_NET_ADMIN') && !tweaked.includes('CAP_NET_RAW') && !tweaked.includes('CAP_MKNOD') && tweaked.includes('CAP_CHOWN'));
    assert.deepEqual(capabilitySet({ capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } }, all), ['CAP_NET_BIND_SERVICE']);
    assert.deepEqual(capabilitySet({ capabilities: { add: ['ALL'], drop: ['SYS_ADMIN'] } }, all), all.filter((c) => c !== 'CAP_SYS_ADMIN'));
    const held = all.filter((c) => c !== 'CAP_SYS_RESOURCE');
    assert.deepEqual(capabilitySet({ privileged: true }, held), held);
  });
  it('a capability the daemon does not hold cannot be added: an error naming it', () => {
    assert.throws(() => capabilitySet({ capabilities: { add: ['SYS_RESOURCE'] } }, ['CAP_CHOWN'], 'container "x"'), (e: unknown) =>
      e instanceof InvalidArgumentError && /container "x": securityContext\.capabilities\.add: CAP_SYS_RESOURCE is not held by this host's berth daemon/.test(e.message));
  });
});

describe('the default seccomp profile, resolved', () => {
  it('an allow-list: everyday calls allowed, the dangerous ones left to the default EPERM', () => {
    const { s, names } = allowed(DEFAULT_CAPABILITIES);
    assert.equal(s.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(s.defaultErrnoRet, 1);
    assert.deepEqual(s.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    for (const n of ['read', 'write', 'openat', 'execve', 'futex', 'epoll_wait', 'arch_prctl', 'chroot', 'ptrace']) assert.ok(names.has(n), n);
    for (const n of ['unshare', 'mount', 'keyctl', 'bpf', 'setns', 'reboot', 'init_module', 'kexec_load', 'open_by_handle_at', 'clock_settime', 'userfaultfd']) assert.ok(!names.has(n), n);
  });
  it('follows the capabilities: CAP_SYS_ADMIN opens mount, unshare and clone with namespace flags; no clone3 ENOSYS then', () => {
    const base = allowed(DEFAULT_CAPABILITIES).s;
    assert.ok(base.syscalls.some((r) => r.names.includes('clone') && r.args?.[0]?.op === 'SCMP_CMP_MASKED_EQ'));
    assert.ok(base.syscalls.some((r) => r.names.includes('clone3') && r.action === 'SCMP_ACT_ERRNO' && r.errnoRet === 38));
    const admin = allowed([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']);
    for (const n of ['mount', 'unshare', 'setns', 'clone', 'clone3']) assert.ok(admin.names.has(n), n);
    assert.ok(!admin.s.syscalls.some((r) => r.names.includes('clone3') && r.action === 'SCMP_ACT_ERRNO'));
    assert.ok(!allowed(['CAP_CHOWN']).names.has('chroot'), 'chroot needs CAP_SYS_CHROOT');
  });
  it('follows the architecture and the kernel', () => {
    const arm = allowed(DEFAULT_CAPABILITIES, { arch: 'arm64', kernel: [6, 1] });
    assert.deepEqual(arm.s.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    assert.ok(arm.names.has('set_tls') && !arm.names.has('arch_prctl'));
    assert.ok(!allowed(DEFAULT_CAPABILITIES, { arch: 'amd64', kernel: [4, 4] }).names.has('ptrace'), 'ptrace only from 4.8 without CAP_SYS_PTRACE');
  });
});

describe('the security plan of a securityContext', () => {
  const plan = (sc: Parameters<typeof securityPlan>[0]['sc'], o: { uid?: number; networkMode?: string } = {}) =>
    securityPlan({ name: 'web', sc, uid: o.uid ?? 0, networkMode: o.networkMode ?? 'bridge', host: AMD64 });
  it('by default: seccomp, Docker\'s masks, no_new_privs off (as Docker and Kubernetes); a non-root process holds no capability', () => {
    const p = plan(undefined);
    assert.ok(p.seccomp && !p.noNewPrivileges && p.maskedPaths === MASKED_PATHS && !p.privileged);
    assert.deepEqual(plan(undefined, { uid: 1000 }).capabilities.effective, []);
    assert.ok(MASKED_PATHS.includes('/sys/devices/virtual/powercap') && MASKED_PATHS.includes('/proc/kcore'));
  });
  it('Unconfined and privileged: no filter; privileged: no masks, escalation allowed', () => {
    assert.equal(plan({ seccompProfile: { type: 'Unconfined' } }).seccomp, undefined);
    const p = plan({ privileged: true });
    assert.equal(p.seccomp, undefined);
    assert.deepEqual([p.maskedPaths, p.readonlyPaths, p.noNewPrivileges], [[], [], false]);
    assert.equal(plan({ allowPrivilegeEscalation: true }).noNewPrivileges, false);
    assert.equal(plan({ allowPrivilegeEscalation: false }).noNewPrivileges, true);
  });
  it('sysctls: a map; a network one with the host\'s network refused', () => {
    assert.deepEqual(plan({ sysctls: [{ name: 'kernel.shm_rmid_forced', value: '1' }] }).sysctl, { 'kernel.shm_rmid_forced': '1' });
    assert.throws(() => plan({ sysctls: [{ name: 'net.ipv4.ip_forward', value: '1' }] }, { networkMode: 'host' }), InvalidArgumentError);
  });
});

describe('runAsUser, runAsGroup, read-only root and the pids limit in the run config', () => {
  const cfg = (spec: Record<string, unknown>) =>
    containerRunConfig({ name: 'web', spec: ContainerSpec.parse({ image: 'x/y', command: ['true'], ...spec }), image: { User: 'app' } });
  it('runAsUser replaces the user, runAsGroup the group', () => {
    assert.equal(cfg({}).user, 'app');
    assert.equal(cfg({ securityContext: { runAsUser: 1001 } }).user, '1001');
    assert.equal(cfg({ securityContext: { runAsGroup: 50 } }).user, 'app:50');
    assert.equal(cfg({ user: '7:7', securityContext: { runAsUser: 8, runAsGroup: 9 } }).user, '8:9');
  });
  it('readOnlyRootFilesystem from either place; pids: the default, a number, or -1 for none', () => {
    assert.equal(cfg({ securityContext: { readOnlyRootFilesystem: true } }).readonlyRootfs, true);
    assert.equal(cfg({}).resources.pidsLimit, DEFAULT_PIDS_LIMIT);
    assert.equal(cfg({ resources: { limits: { pids: 64 } } }).resources.pidsLimit, 64);
    assert.equal(cfg({ resources: { limits: { pids: -1 } } }).resources.pidsLimit, undefined);
  });
});

describe('user namespace ID ranges', () => {
  let dir: { path: string; remove(): Promise<void> };
  before(async () => {
    dir = await tempDir();
  });
  after(() => dir.remove());

  it('adds berth\'s range past every range given out, once; hands out distinct slices; reuses released ones', async () => {
    const subuid = join(dir.path, 'subuid');
    const subgid = join(dir.path, 'subgid');
    await writeFile(subuid, 'alice:100000:65536\nbob:165536:100000\n');
    const a = new UsernsAllocator({ subuidFile: subuid, subgidFile: subgid });
    const first = await a.allocate('c1', []);
    const start = nextFreeStart('alice:100000:65536\nbob:165536:100000\n');
    assert.equal(start, 327680, 'past bob, on a 65536 boundary');
    assert.deepEqual(first, { uid: 327680, gid: 131072, size: USERNS_SIZE }, "no subgid file: berth's range starts at the first boundary past 100000");
    assert.match(await readFile(subuid, 'utf8'), /^alice:100000:65536\nbob:165536:100000\nberth:327680:67108864\n$/);
    assert.match(await readFile(subgid, 'utf8'), /^berth:131072:67108864\n$/);
    const second = await a.allocate('c2', []);
    assert.equal(second.uid, start + USERNS_SIZE, 'c1 is reserved while its create runs');
    assert.deepEqual(await a.allocate('c1', []), first, 'the same container gets the same slice');
    a.release('c1');
    a.release('c2');
    assert.equal((await a.allocate('c3', [second.uid])).uid, start, 'a slice in use on disk is skipped; a released one reused');
    const again = new UsernsAllocator({ subuidFile: subuid, subgidFile: subgid });
    await again.ranges();
    assert.equal((await readFile(subuid, 'utf8')).match(/^berth:/gm)!.length, 1, 'added once');
  });

  it('a range that is too small, or full, is an error that says what to do', async () => {
    const subuid = join(dir.path, 'small-uid');
    await writeFile(subuid, 'berth:200000:1000\n');
    await assert.rejects(new UsernsAllocator({ subuidFile: subuid, subgidFile: subuid }).allocate('x', []), FailedPreconditionError);
    await writeFile(subuid, `berth:200000:${USERNS_SIZE}\n`);
    const one = new UsernsAllocator({ subuidFile: subuid, subgidFile: subuid });
    await one.allocate('x', []);
    await assert.rejects(one.allocate('y', []), (e: unknown) => e instanceof UnavailableError && /all 1 ID ranges of "berth"/.test(e.message));
  });

  it('the way to a rootfs is made searchable inside the data root, and named outside it', async () => {
    const root = join(dir.path, 'outer', 'data');
    const deep = join(root, 'snapshots', 'c1', 'rootfs');
    await mkdir(deep, { recursive: true });
    await chmod(join(root, 'snapshots'), 0o700);
    await chmod(join(dir.path, 'outer'), 0o755);
    await chmod(dir.path, 0o711);
    await ensureReachable(deep, root);
    assert.equal((await stat(join(root, 'snapshots'))).mode & 0o777, 0o701);
    await chmod(join(dir.path, 'outer'), 0o700);
    await assert.rejects(ensureReachable(deep, root), (e: unknown) => e instanceof FailedPreconditionError && e.message.includes(`chmod o+x ${join(dir.path, 'outer')}`));
  });
});
