// Docker's mount flags of `run` as a Container spec: each flag's rules, Docker's defaults, and bad
// input named with the flag it came from.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import { mountSpec, splitMountFields } from '../../specs/mounts.ts';
import { ContainerSpec } from '../../specs/schema.ts';

describe('run mount flags', () => {
  it('-v: a host path (made when missing), a named volume with ro/nocopy, a bare path as an anonymous volume', () => {
    const m = mountSpec({ volume: ['/srv/www:/var/www:ro', 'pg_data:/var/lib/pg:nocopy', '/cache'] });
    assert.deepEqual(m.volumes, [
      { name: 'm0', hostPath: { path: '/srv/www', type: 'DirectoryOrCreate' } },
      { name: 'm1', persistentVolumeClaim: { claimName: 'pg_data' } },
    ]);
    assert.deepEqual(m.volumeMounts, [
      { name: 'm0', mountPath: '/var/www', readOnly: true },
      { name: 'm1', mountPath: '/var/lib/pg', readOnly: false, noCopy: true },
    ]);
    assert.deepEqual(m.anonymousVolumes, ['/cache']);
    // What the flags make is a valid spec.
    assert.ok(ContainerSpec.safeParse({ image: 'a/b', volumes: m.volumes, volumeMounts: m.volumeMounts, anonymousVolumes: m.anonymousVolumes }).success);
  });

  it('--mount: a bind must exist (no type), a volume with subpath and options to make it, an anonymous volume, a tmpfs with Docker\'s defaults', () => {
    const m = mountSpec(
      {
        mount: [
          'type=bind,src=rel/dir,dst=/app,readonly',
          'type=volume,source=data,target=/data,volume-subpath=sub,volume-nocopy',
          '"type=volume","src=cache","dst=/cache","volume-opt=type=tmpfs","volume-opt=device=tmpfs","volume-opt=o=size=64m,uid=1000"',
          'target=/anon',
          'type=tmpfs,destination=/run,tmpfs-size=64m,tmpfs-mode=1770,ro=true',
        ],
      },
      '/home/me',
    );
    assert.deepEqual(m.volumes, [
      { name: 'm0', hostPath: { path: '/home/me/rel/dir' } },
      { name: 'm1', persistentVolumeClaim: { claimName: 'data' } },
      { name: 'm2', persistentVolumeClaim: { claimName: 'cache' } },
      { name: 'm3', emptyDir: { medium: 'Memory', mountOptions: ['noexec', 'nosuid', 'nodev', 'size=64m', 'mode=1770'] } },
    ]);
    assert.deepEqual(m.volumeMounts, [
      { name: 'm0', mountPath: '/app', readOnly: true },
      { name: 'm1', mountPath: '/data', readOnly: false, noCopy: true, subPath: 'sub' },
      { name: 'm2', mountPath: '/cache', readOnly: false },
      { name: 'm3', mountPath: '/run', readOnly: true },
    ]);
    assert.deepEqual(m.anonymousVolumes, ['/anon']);
    assert.deepEqual(m.create, [{ name: 'cache', driverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=64m,uid=1000' } }]);
    assert.ok(ContainerSpec.safeParse({ image: 'a/b', volumes: m.volumes, volumeMounts: m.volumeMounts }).success);
  });

  it('--tmpfs: Docker\'s noexec,nosuid,nodev then the options given; --volumes-from with its mode', () => {
    const m = mountSpec({ tmpfs: ['/run:size=1m,exec', '/tmp'], volumesFrom: ['data', 'logs:ro', 'cfg:rw'] });
    assert.deepEqual(m.volumes, [
      { name: 'm0', emptyDir: { medium: 'Memory', mountOptions: ['noexec', 'nosuid', 'nodev', 'size=1m', 'exec'] } },
      { name: 'm1', emptyDir: { medium: 'Memory', mountOptions: ['noexec', 'nosuid', 'nodev'] } },
    ]);
    assert.deepEqual(m.volumesFrom, [{ name: 'data' }, { name: 'logs', readOnly: true }, { name: 'cfg', readOnly: false }]);
  });

  it('bad input is named with its flag', () => {
    const bad: Array<[Parameters<typeof mountSpec>[0], RegExp]> = [
      [{ mount: ['type=volume,src=v,dst=rel'] }, /--mount "type=volume,src=v,dst=rel": invalid mount target "rel": it must be an absolute path/],
      [{ mount: ['type=volume,src=v,dst=/x,colour=red'] }, /unexpected key "colour"/],
      [{ mount: ['type=bind,dst=/x'] }, /type=bind needs a source/],
      [{ mount: ['type=bind,src=/x,dst=/x,tmpfs-size=1m'] }, /tmpfs-size is only for type=volume or tmpfs/],
      [{ mount: ['type=tmpfs,src=x,dst=/x'] }, /a tmpfs has no source/],
      [{ mount: ['type=nfs,dst=/x'] }, /type "nfs" is not bind, volume or tmpfs/],
      [{ mount: ['type=volume,dst=/x,readonly'] }, /an anonymous volume \(no source\) cannot be read-only/],
      [{ mount: ['type=bind,src=/x,dst=/y,bind-propagation=shared'] }, /bind-propagation=shared is not supported/],
      [{ mount: ['type=volume,src=v,dst=/x,readonly=maybe'] }, /readonly="maybe" must be true or false/],
      [{ mount: ['"type=volume,dst=/x'] }, /a quote is not closed/],
      [{ volume: ['bad name:/x'] }, /"bad name" includes invalid characters for a local volume name/],
      [{ volume: ['data:/x:rw,shared'] }, /propagation "shared" is not supported/],
      [{ volume: ['data:/x:Z'] }, /relabels for SELinux/],
      [{ volume: ['/host:/x:nocopy'] }, /nocopy is for volumes, not host paths/],
      [{ volume: ['data:rel'] }, /invalid mount target "rel"/],
      [{ tmpfs: ['/run:size=lots'] }, /--tmpfs "\/run:size=lots": "size=lots" is not a valid value/],
      [{ volumesFrom: ['a:rx'] }, /--volumes-from "a:rx" is not CONTAINER\[:ro\|rw\]/],
    ];
    for (const [flags, message] of bad) assert.throws(() => mountSpec(flags), (e) => e instanceof InvalidArgumentError && message.test(e.message), JSON.stringify(flags));
  });

  it('splits --mount fields as Docker\'s CSV reader does', () => {
    assert.deepEqual(splitMountFields('a=1,"b=2,3",c=""""'), ['a=1', 'b=2,3', 'c="']);
  });
});
