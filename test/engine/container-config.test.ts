import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { containerRunConfig, DEFAULT_PATH, expandVars, resolveUser, type ImageRunConfig } from '../../engine/container-config.ts';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import { ContainerSpec } from '../../specs/schema.ts';

const image: ImageRunConfig = { Env: ['PATH=/bin', 'GREETING=hi'], Entrypoint: ['/entry'], Cmd: ['--serve'], WorkingDir: '/app', User: '1000', StopSignal: 'SIGQUIT' };
const cfg = (spec: Record<string, unknown>, img = image) =>
  containerRunConfig({ name: 'web', spec: ContainerSpec.parse({ image: 'x/y', ...spec }), image: img });

describe('command and args as Kubernetes maps them', () => {
  it('neither: Entrypoint + Cmd', () => assert.deepEqual(cfg({}).args, ['/entry', '--serve']));
  it('command only: Cmd dropped', () => assert.deepEqual(cfg({ command: ['/bin/sh'] }).args, ['/bin/sh']));
  it('args only: Entrypoint + args', () => assert.deepEqual(cfg({ args: ['--debug'] }).args, ['/entry', '--debug']));
  it('both: command + args', () => assert.deepEqual(cfg({ command: ['sleep'], args: ['5'] }).args, ['sleep', '5']));
  it('$(VAR) expands from env; $$ escapes; unknown stays', () => {
    assert.deepEqual(cfg({ command: ['echo', '$(GREETING)', '$$(GREETING)', '$(NOPE)'], env: [{ name: 'X', value: '$(GREETING)!' }] }).args, ['echo', 'hi', '$(GREETING)', '$(NOPE)']);
    assert.equal(expandVars('a$(B)c', new Map([['B', 'b']])), 'abc');
  });
  it('nothing to run is an invalid spec', () => {
    assert.throws(() => cfg({}, { Env: [], Entrypoint: null, Cmd: null, WorkingDir: '', User: '', StopSignal: '' }), InvalidArgumentError);
  });
});

describe('env, workingDir, user, hostname, stop signal', () => {
  it('image env, then the spec overriding by name; HOSTNAME; PATH default when the image has none', () => {
    const c = cfg({ env: [{ name: 'GREETING', value: 'hello' }, { name: 'N', value: '1' }] });
    assert.deepEqual(c.env, ['PATH=/bin', 'GREETING=hello', 'HOSTNAME=web', 'N=1']);
    assert.ok(cfg({}, { ...image, Env: [] }).env.includes(`PATH=${DEFAULT_PATH}`));
  });
  it('the spec wins over the image, the image over the defaults', () => {
    const c = cfg({ workingDir: '/srv', user: '0:0', hostname: 'h', stopSignal: 'SIGINT' });
    assert.deepEqual([c.cwd, c.user, c.hostname, c.stopSignal], ['/srv', '0:0', 'h', 'SIGINT']);
    const d = cfg({});
    assert.deepEqual([d.cwd, d.user, d.hostname, d.stopSignal], ['/app', '1000', 'web', 'SIGQUIT']);
    const e = cfg({}, { Entrypoint: ['x'] });
    assert.deepEqual([e.cwd, e.user, e.stopSignal], ['/', '', 'SIGTERM']);
  });
});

describe('volumes and resources', () => {
  it('hostPath bind, emptyDir directory, emptyDir Memory tmpfs with its size and options, persistentVolumeClaim', () => {
    const c = cfg({
      volumes: [
        { name: 'host', hostPath: { path: '/etc/hosts-dir' } },
        { name: 'made', hostPath: { path: '/srv/made', type: 'DirectoryOrCreate' } },
        { name: 'scratch', emptyDir: {} },
        { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
        { name: 'run', emptyDir: { medium: 'Memory', mountOptions: ['noexec', 'mode=755', 'exec'] } },
        { name: 'data', persistentVolumeClaim: { claimName: 'pg_data', readOnly: true } },
      ],
      volumeMounts: [
        { name: 'host', mountPath: '/h', readOnly: true },
        { name: 'made', mountPath: '/made/' },
        { name: 'scratch', mountPath: '/tmp/s' },
        { name: 'mem', mountPath: '/m' },
        { name: 'run', mountPath: '/run', readOnly: true },
        { name: 'data', mountPath: '/var/lib/pg', subPath: 'v1/./x', noCopy: true },
      ],
      readOnlyRootFilesystem: true,
      resources: { limits: { memory: '128Mi', cpu: '500m', pids: 64 } },
    });
    assert.deepEqual(c.mountRequests, [
      { destination: '/h', readOnly: true, kind: 'bind', hostPath: '/etc/hosts-dir' },
      { destination: '/made', readOnly: false, kind: 'bind', hostPath: '/srv/made', hostType: 'DirectoryOrCreate' },
      { destination: '/tmp/s', readOnly: false, kind: 'emptyDir', volume: 'scratch' },
      { destination: '/m', readOnly: false, kind: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', `size=${64 * 2 ** 20}`] },
      // Docker's merge: a later flag of a pair and a later key=value win.
      { destination: '/run', readOnly: true, kind: 'tmpfs', options: ['nosuid', 'nodev', 'mode=755', 'exec', 'ro'] },
      { destination: '/var/lib/pg', readOnly: true, kind: 'volume', volume: 'pg_data', noCopy: true, subPath: 'v1/x' },
    ]);
    assert.deepEqual(c.resources, { memoryBytes: 128 * 2 ** 20, cpuPeriod: 100_000, cpuQuota: 50_000, pidsLimit: 64 });
    assert.equal(c.readonlyRootfs, true);
  });
  it('a mount of an unknown volume, a duplicate mountPath, or a subPath escaping the volume are invalid', () => {
    // (The manifest schema reports this too; the engine does not rely on it.)
    const spec = { ...ContainerSpec.parse({ image: 'x/y' }), volumeMounts: [{ name: 'nope', mountPath: '/x', readOnly: false }] };
    assert.throws(() => containerRunConfig({ name: 'web', spec, image }), /names no volume/);
    const vols = [{ name: 'a', emptyDir: {} }];
    assert.throws(() => cfg({ volumes: vols, volumeMounts: [{ name: 'a', mountPath: '/x' }, { name: 'a', mountPath: '/x/' }] }), /two volumeMounts/);
    assert.throws(() => cfg({ volumes: vols, volumeMounts: [{ name: 'a', mountPath: '/x', subPath: '../../etc' }] }), /inside the volume/);
  });
});

describe('resolveUser', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/sh\nwww:x:33:33::/var/www:/bin/false\n';
  const group = 'root:x:0:\nwww:x:33:\nlog:x:4:www\n';
  it('names and numbers, with supplementary groups', () => {
    assert.deepEqual(resolveUser('', passwd, group), { uid: 0, gid: 0, additionalGids: [] });
    assert.deepEqual(resolveUser('www', passwd, group), { uid: 33, gid: 33, additionalGids: [4] });
    assert.deepEqual(resolveUser('33:log', passwd, group), { uid: 33, gid: 4, additionalGids: [] });
    assert.deepEqual(resolveUser('1234', passwd, group), { uid: 1234, gid: 0, additionalGids: [] });
    assert.deepEqual(resolveUser('1234:99', passwd, group), { uid: 1234, gid: 99, additionalGids: [] });
  });
  it('an unknown name is an invalid spec', () => {
    assert.throws(() => resolveUser('nobody', passwd, group), InvalidArgumentError);
    assert.throws(() => resolveUser('www:nogroup', passwd, group), /not in the image's \/etc\/group/);
  });
});
