// The Volume kind and the Kubernetes claim stored as one: defaults, Docker's rules for the local
// driver's options, located errors for what one host cannot give, and names that never become paths.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveKind } from '../../specs/kinds.ts';
import { formatManifestError, loadManifests } from '../../specs/load.ts';
import { checkTmpfsOptions, mergeTmpfsOptions } from '../../specs/tmpfs.ts';
import { InvalidArgumentError } from '../../specs/errdefs.ts';

const load = (text: string) => loadManifests([{ file: '/m/v.yaml', text }]);
const lines = (text: string) => load(text).errors.map(formatManifestError);

describe('the Volume kind', () => {
  it('defaults to the local driver; a claim becomes a Volume with its storage request', () => {
    const { objects, errors } = load(`apiVersion: berth.dev/v1
kind: Volume
metadata: {name: pg_data, labels: {tier: db}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: claim.1}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: local
  volumeMode: Filesystem
  resources: {requests: {storage: 1Gi}}
`);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      objects.map((o) => o.manifest),
      [
        { apiVersion: 'berth.dev/v1', kind: 'Volume', metadata: { name: 'pg_data', labels: { tier: 'db' } }, spec: { driver: 'local' } },
        { apiVersion: 'berth.dev/v1', kind: 'Volume', metadata: { name: 'claim.1' }, spec: { driver: 'local', requests: { storage: '1Gi' } } },
      ],
    );
    assert.deepEqual(['pvc', 'PersistentVolumeClaim', 'volumes', 'vol'].map(resolveKind), ['Volume', 'Volume', 'Volume', 'Volume']);
  });

  it('driver options follow Docker\'s local driver: type and device together, o needs both, a bind needs an absolute device', () => {
    const text = `apiVersion: berth.dev/v1
kind: Volume
metadata: {name: a1}
spec:
  driver: nfs
  driverOpts: {o: bind, size: 1G}
---
apiVersion: berth.dev/v1
kind: Volume
metadata: {name: a2}
spec:
  driverOpts: {type: none, device: rel/dir, o: ro}
---
apiVersion: berth.dev/v1
kind: Volume
metadata: {name: a3}
spec:
  driverOpts: {type: tmpfs, device: tmpfs, o: "size=64m,colour=red"}
`;
    assert.deepEqual(lines(text), [
      '/m/v.yaml:5:11: Volume "a1": spec.driver: string "nfs" is not allowed; use one of "local"',
      '/m/v.yaml:6:19: Volume "a1": spec.driverOpts.o: "o" needs "type" and "device" too (e.g. type: none, device: /srv/data, o: bind)',
      '/m/v.yaml:6:25: Volume "a1": spec.driverOpts.size: unknown field "size" (known fields: type, device, o)',
      '/m/v.yaml:12:36: Volume "a2": spec.driverOpts.device: "rel/dir" must be an absolute host path for a bind',
      '/m/v.yaml:12:48: Volume "a2": spec.driverOpts.o: type "none" mounts a host directory: o must include "bind" (e.g. o: bind)',
      '/m/v.yaml:18:47: Volume "a3": spec.driverOpts.o: "colour" is not a tmpfs mount option (values: size, mode, uid, gid, nr_inodes, nr_blocks, mpol, huge)',
    ]);
    assert.match(lines(`apiVersion: berth.dev/v1\nkind: Volume\nmetadata: {name: b1}\nspec:\n  driverOpts: {o: bind}\n`).join('\n'), /"o" needs "type" and "device" too/);
    assert.match(lines(`apiVersion: berth.dev/v1\nkind: Volume\nmetadata: {name: b2}\nspec:\n  driverOpts: {device: /x}\n`).join('\n'), /missing required option "type"/);
  });

  it('what one host cannot give a claim is a located error', () => {
    assert.deepEqual(
      lines(`apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: c1}
spec:
  accessModes: [ReadWriteSometimes]
  storageClassName: fast-ssd
  volumeMode: Block
  resources: {limits: {storage: 1Gi}}
`),
      [
        '/m/v.yaml:5:17: PersistentVolumeClaim "c1": spec.accessModes[0]: string "ReadWriteSometimes" is not allowed; use one of "ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"',
        '/m/v.yaml:6:21: PersistentVolumeClaim "c1": spec.storageClassName: storage class "fast-ssd" does not exist here: berth has one, "local" (or leave storageClassName out)',
        '/m/v.yaml:7:15: PersistentVolumeClaim "c1": spec.volumeMode: string "Block" is not allowed; use one of "Filesystem"',
        '/m/v.yaml:8:33: PersistentVolumeClaim "c1": spec.resources.limits.storage: a storage limit cannot be enforced on a local directory; remove it (requests.storage is checked against the free space)',
      ],
    );
    assert.deepEqual(lines('apiVersion: berth.dev/v1\nkind: PersistentVolumeClaim\nmetadata: {name: c2}\n'), [
      '/m/v.yaml:1:13: PersistentVolumeClaim "c2": apiVersion: apiVersion "berth.dev/v1" is not supported for PersistentVolumeClaim; use "v1"',
    ]);
  });

  it('a claim and a Volume of the same name are one object: a duplicate', () => {
    assert.deepEqual(lines('apiVersion: berth.dev/v1\nkind: Volume\nmetadata: {name: dup}\n---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: dup}\n'), [
      '/m/v.yaml:7:18: PersistentVolumeClaim "dup": metadata.name: duplicate: Volume "dup" already defined at /m/v.yaml:1:1',
    ]);
  });

  it('names are Docker\'s volume names: nothing that could become another path', () => {
    for (const bad of ['..', '.x', 'a/b', 'x', '-a', 'a b']) {
      assert.equal(load(`apiVersion: berth.dev/v1\nkind: Volume\nmetadata: {name: "${bad}"}\n`).errors.length, 1, bad);
    }
    const ctr = (claim: string) => `apiVersion: berth.dev/v1\nkind: Container\nmetadata: {name: c}\nspec:\n  image: a/b\n  volumes: [{name: v, persistentVolumeClaim: {claimName: "${claim}"}}]\n  volumeMounts: [{name: v, mountPath: /v, subPath: ../up}]\n`;
    assert.deepEqual(lines(ctr('../etc')), [
      '/m/v.yaml:6:58: Container "c": spec.volumes[0].persistentVolumeClaim.claimName: string "../etc": must be at least 2 characters: letters, digits, "_", "." or "-", starting with a letter or digit',
      '/m/v.yaml:7:52: Container "c": spec.volumeMounts[0].subPath: must be a relative path inside the volume, without ".."',
    ]);
  });
});

describe('tmpfs options', () => {
  it('later flags of a pair and later key=values win; unknown options are named', () => {
    assert.deepEqual(mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'mode=1777'], ['exec', 'size=64m', 'mode=700', 'ro']), ['nosuid', 'nodev', 'exec', 'size=64m', 'mode=700', 'ro']);
    assert.throws(() => checkTmpfsOptions(['size=lots'], '--tmpfs /x'), (e) => e instanceof InvalidArgumentError && /"size=lots" is not a valid value \(e\.g\. size=64m\)/.test(e.message));
    assert.throws(() => checkTmpfsOptions(['bind'], '--tmpfs /x'), /"bind" is not a tmpfs mount option/);
    assert.doesNotThrow(() => checkTmpfsOptions(['size=50%', 'uid=1000', 'mode=0755', 'noatime'], 'x'));
  });
});
