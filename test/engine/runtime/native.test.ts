// The conformance suite against berth's own launcher (under berth's monitor), and what only the
// native launcher is checked for here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NativeRuntime } from '../../../engine/runtime/native-runtime.ts';
import { securityConformance } from './security.ts';
import { conformance, harness } from './conformance.ts';

conformance('native', (stateDir) => new NativeRuntime({ stateDir }));
securityConformance('native', (stateDir) => new NativeRuntime({ stateDir }));

describe('NativeRuntime: namespaces given by path', () => {
  const h = harness((stateDir) => new NativeRuntime({ stateDir }));
  let dir = '';
  before(() => {
    h.setup();
    dir = mkdtempSync(join(tmpdir(), 'berth-netns-'));
  });
  after(async () => {
    await h.teardown();
    spawnSync('umount', [join(dir, 'net')]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('joins the network namespace the config names, as the network manager makes it', async () => {
    // A persistent network namespace bound on a file, as `ip netns add` makes one.
    writeFileSync(join(dir, 'net'), '');
    const made = spawnSync('unshare', [`--net=${join(dir, 'net')}`, 'true']);
    assert.equal(made.status, 0, made.stderr?.toString());
    const inode = statSync(join(dir, 'net')).ino;
    const id = await h.start({ args: ['readlink', '/proc/self/ns/net'], hostNetwork: true, netnsPath: join(dir, 'net') });
    assert.equal(await h.stdout(id), `net:[${inode}]\n`);
  });
});

describe('NativeRuntime: process and mount details of the config', () => {
  const h = harness((stateDir) => new NativeRuntime({ stateDir }));
  let dir = '';
  before(() => {
    h.setup();
    dir = mkdtempSync(join(tmpdir(), 'berth-native-cfg-'));
  });
  after(async () => {
    await h.teardown();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts a container whose config.json `edit` changes after the engine's writer made it. */
  async function startEdited(args: string[], edit: (config: any) => void): Promise<string> {
    const id = await h.start({ args: ['true'] });
    await h.rt.wait(id);
    const bundle = (await h.rt.state(id)).bundle;
    const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    config.process.args = args;
    edit(config);
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(config));
    await h.rt.delete(id);
    await h.rt.run({ id, bundle });
    return id;
  }

  it('lowers rlimits, sets additional groups, binds read-only', async () => {
    writeFileSync(join(dir, 'data'), 'from the host\n');
    const id = await startEdited(['sh', '-c', 'ulimit -n; ulimit -Hn; id -G; cat /data; echo x > /data 2>/dev/null && echo writable || echo read-only'], (c) => {
      c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 64, hard: 128 }];
      c.process.user = { uid: 1000, gid: 1000, additionalGids: [50, 65534] };
      c.mounts.push({ destination: '/data', type: 'bind', source: join(dir, 'data'), options: ['rbind', 'ro', 'nosuid', 'nodev'] });
    });
    assert.equal(await h.stdout(id), '64\n128\n1000 50 65534\nfrom the host\nread-only\n');
  });

  it('refuses to raise a hard rlimit past the host one with a clear error', async () => {
    const hard = Number(spawnSync('sh', ['-c', 'ulimit -Hn']).stdout.toString().trim());
    await assert.rejects(
      startEdited(['true'], (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: hard * 4, hard: hard * 4 }])),
      /setrlimit.*CAP_SYS_RESOURCE|Operation not permitted/,
    );
  });
});

describe('NativeRuntime: a config field the launcher does not implement is refused, naming it', () => {
  const h = harness((stateDir) => new NativeRuntime({ stateDir }));
  before(() => h.setup());
  after(() => h.teardown());

  /** Runs a container whose config.json `edit` changed; resolves to its output or rejects with the launcher's error. */
  async function run(edit: (config: any) => void): Promise<string> {
    const id = await h.start({ args: ['true'] });
    await h.rt.wait(id);
    const bundle = (await h.rt.state(id)).bundle;
    const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    config.process.args = ['echo', 'ran'];
    edit(config);
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(config));
    await h.rt.delete(id);
    await h.rt.run({ id, bundle });
    return h.stdout(id);
  }

  const cases: Array<[string, (c: any) => void, RegExp]> = [
    ['an AppArmor profile', (c) => (c.process.apparmorProfile = 'docker-default'), /config\.json: process\.apparmorProfile is not supported by berth's launcher; it is refused rather than ignored/],
    ['an SELinux label', (c) => (c.process.selinuxLabel = 'system_u:system_r:container_t:s0'), /process\.selinuxLabel is not supported/],
    ['hooks', (c) => (c.hooks = { prestart: [{ path: '/bin/true' }] }), /config\.json: hooks is not supported/],
    ['a block I/O weight', (c) => (c.linux.resources.blockIO = { weight: 100 }), /linux\.resources\.blockIO is not supported/],
    ['a memory reservation', (c) => (c.linux.resources.memory = { reservation: 1048576 }), /linux\.resources\.memory\.reservation is not supported/],
    ['an idmapped bind mount', (c) => (c.mounts[0].uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]), /mounts\[0\]\.uidMappings is not supported/],
    ['a seccomp agent', (c) => (c.linux.seccomp.listenerPath = '/run/agent.sock'), /linux\.seccomp\.listenerPath is not supported/],
    ['a seccomp notify action', (c) => c.linux.seccomp.syscalls.push({ names: ['mount'], action: 'SCMP_ACT_NOTIFY' }), /SCMP_ACT_NOTIFY needs a seccomp agent/],
    ['an unknown seccomp action', (c) => (c.linux.seccomp.defaultAction = 'SCMP_ACT_MAYBE'), /linux\.seccomp\.defaultAction 'SCMP_ACT_MAYBE' is not a seccomp action/],
    ['an unknown architecture', (c) => c.linux.seccomp.architectures.push('SCMP_ARCH_Z80'), /architectures\[3\] 'SCMP_ARCH_Z80' is not an architecture libseccomp knows/],
    ['a sysctl of the host', (c) => (c.linux.sysctl = { 'kernel.panic': '1' }), /linux\.sysctl 'kernel\.panic' is not a sysctl of a container's namespaces/],
    ['a network sysctl without a network namespace', (c) => {
      c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'network');
      c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    }, /linux\.sysctl 'net\.ipv4\.ip_forward' needs a network namespace/],
    ['a user namespace by path', (c) => c.linux.namespaces.push({ type: 'user', path: '/proc/1/ns/user' }), /joining a user namespace by path is not supported/],
  ];
  for (const [what, edit, message] of cases) {
    it(`refuses ${what}`, async () => {
      await assert.rejects(run(edit), message);
    });
  }

  it('takes an empty value of such a field as unset (as runtime spec writers leave them)', async () => {
    const out = await run((c) => {
      c.process.apparmorProfile = '';
      c.hooks = {};
      c.linux.resources.blockIO = null;
    });
    assert.equal(out, 'ran\n');
  });
});
