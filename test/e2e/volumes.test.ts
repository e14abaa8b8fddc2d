// Volumes with real containers (runc), through the compiled CLI and manifests: data that outlives
// containers, an image's VOLUME as an anonymous volume, copy-up with owners, tmpfs, --volumes-from,
// volumes in use never removed, prune, and bad input refused with nothing made. In a private
// network namespace (its file run there whole): every container joins the default bridge network.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiClient } from '../../cli/client.ts';
import { startDaemon, type Daemon } from '../../server/daemon.ts';
import { createLogger } from '../../server/log.ts';
import type { VolumeSummary } from '../../specs/api/volumes.ts';
import { berth } from '../fixtures/helpers.ts';
import { cleanupRoot, until } from './helpers.ts';
import { insidePrivateNetns } from '../engine/network/harness.ts';

const IMAGE = 'localhost/volumes-test:1';
/** A process that stays up and ends at once on SIGTERM (pid 1 ignores what it does not trap). */
const STAY = ['sh', '-c', 'trap "exit 0" TERM; sleep 600 & wait'];

// Not indented under the if: the suite's YAML texts keep their columns.
if (insidePrivateNetns(import.meta.url, { timeout: 1_200_000 })) {
describe('volumes with real containers', { timeout: 1_200_000 }, () => {
  let dir: string;
  let root: string;
  let socket: string;
  let daemon: Daemon;
  let client: ApiClient;
  const cgroupParent = `berth-vol-${process.pid}`;
  const cli = (...args: string[]) => berth(args, { socket });
  const ok = async (...args: string[]) => {
    const r = await cli(...args);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const names = async (...filters: string[]) => (await ok('volume', 'ls', '-q', ...filters.flatMap((f) => ['-f', f]))).split('\n').filter(Boolean);
  const apply = (text: string) => client.json('POST', '/v1/apply', { body: { documents: [{ file: join(dir, `m-${Math.random()}.yaml`), text }] } });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-vol-e2e-'));
    root = join(dir, 'root');
    socket = join(dir, 'berth.sock');
    daemon = await startDaemon({ root, socket, watch: [], runtime: 'runc', cgroupParent }, createLogger({ write: () => {} }));
    client = new ApiClient(socket);
    const ctx = join(dir, 'ctx');
    mkdirSync(ctx);
    copyFileSync('/bin/busybox', join(ctx, 'busybox'));
    chmodSync(join(ctx, 'busybox'), 0o755);
    writeFileSync(
      join(ctx, 'Dockerfile'),
      [
        'FROM scratch',
        'COPY busybox /bin/busybox',
        'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
        'RUN mkdir -p /srv /etc /data && echo hi > /srv/f && chown 1000:1000 /srv/f && chmod 640 /srv/f && chown 123:45 /srv && chmod 750 /srv && echo welcome > /etc/motd && echo seed > /data/seed',
        'VOLUME /data',
        'CMD ["sh"]',
        '',
      ].join('\n'),
    );
    const b = await cli('build', '-t', IMAGE, ctx);
    assert.equal(b.code, 0, b.stderr);
  });
  after(async () => {
    await daemon?.stop();
    await cleanupRoot(root, cgroupParent);
    await rm(dir, { recursive: true, force: true });
  });

  it('a named volume keeps its data after the container goes; the next container sees it', async () => {
    assert.equal(await ok('volume', 'create', '--label', 'team=db', 'data'), 'data\n');
    assert.equal(await ok('run', '--rm', '-v', 'data:/store', IMAGE, 'sh', '-c', 'echo kept > /store/f'), '');
    assert.equal(await ok('run', '--rm', '-v', 'data:/store:ro', IMAGE, 'cat', '/store/f'), 'kept\n');
    const [insp] = JSON.parse(await ok('volume', 'inspect', 'data'));
    assert.deepEqual(insp, { CreatedAt: insp.CreatedAt, Driver: 'local', Labels: { team: 'db' }, Mountpoint: join(root, 'volumes', 'data'), Name: 'data', Options: null, Scope: 'local' });
    assert.match(await ok('volume', 'ls'), /^DRIVER\s+VOLUME NAME\nlocal\s+data\n/);
    assert.deepEqual(await names('label=team=db'), ['data']);
    assert.deepEqual(await names('label=team=web'), []);
    // As a first-class object too (its status follows the containers within a resync).
    await until('get volume shows it unused', async () => /^NAME\s+DRIVER\s+PHASE\s+USED BY.*\ndata\s+local\s+Bound\s+-/.test(await ok('get', 'volume')));
  });

  it('a volume in use is not removed, and the error names the container; unused ones are pruned', async () => {
    await ok('run', '-d', '--name', 'holder', '-v', 'data:/store', IMAGE, ...STAY);
    const busy = await cli('volume', 'rm', 'data');
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /volume "data" is in use by container holder/);
    const del = await cli('delete', 'volume', 'data');
    assert.equal(del.code, 1);
    assert.match(del.stderr, /in use by container holder/);
    // holder also has an anonymous volume for the image's VOLUME /data.
    assert.deepEqual(await names('dangling=false', 'name=data'), ['data']);
    assert.equal((await names('dangling=false')).length, 2);
    await ok('volume', 'create', 'spare');
    assert.match(await ok('volume', 'prune', '-a', '-f'), /^Deleted Volumes:\nspare\n\nTotal reclaimed space: /);
    assert.equal((await names()).length, 2);
    await ok('rm', '-f', '-v', 'holder');
    assert.equal(await ok('volume', 'rm', 'data'), 'data\n');
    assert.deepEqual(await names(), []);
    assert.equal(existsSync(join(root, 'volumes', 'data')), false);
  });

  it('an image VOLUME is an anonymous volume, filled from the image, listed, kept by rm, removed by rm -v and prune', async () => {
    await ok('run', '-d', '--name', 'anon1', IMAGE, ...STAY);
    const [anon] = await names('label=com.docker.volume.anonymous');
    assert.match(anon!, /^[0-9a-f]{64}$/);
    assert.equal(await ok('exec', 'anon1', 'cat', '/data/seed'), 'seed\n');
    await ok('exec', 'anon1', 'sh', '-c', 'echo mine > /data/mine');
    assert.equal(await readFile(join(root, 'volumes', anon!, 'mine'), 'utf8'), 'mine\n');
    await ok('rm', '-f', 'anon1');
    assert.deepEqual(await names('dangling=true'), [anon]);
    // Not -a: anonymous volumes only.
    await ok('volume', 'create', 'named-one');
    const pruned = await ok('volume', 'prune', '-f');
    assert.match(pruned, new RegExp(`^Deleted Volumes:\\n${anon}\\n`));
    assert.deepEqual(await names(), ['named-one']);
    await ok('volume', 'rm', 'named-one');

    await ok('run', '-d', '--name', 'anon2', IMAGE, ...STAY);
    assert.equal((await names()).length, 1);
    await ok('rm', '-f', '-v', 'anon2');
    assert.deepEqual(await names(), []);
    // run --rm takes them too.
    await ok('run', '--rm', IMAGE, 'true');
    assert.deepEqual(await names(), []);
  });

  it('a new volume over a path the image fills starts with its files and owners (unless nocopy)', async () => {
    assert.equal(await ok('run', '--rm', '-v', 'srv:/srv', IMAGE, 'stat', '-c', '%u:%g %a %n', '/srv', '/srv/f'), '123:45 750 /srv\n1000:1000 640 /srv/f\n');
    assert.equal(await ok('run', '--rm', '-v', 'etc:/etc', IMAGE, 'cat', '/etc/motd'), 'welcome\n');
    assert.equal(await ok('run', '--rm', '-v', 'bare:/srv:nocopy', IMAGE, 'ls', '-A', '/srv'), '');
    for (const v of ['srv', 'etc', 'bare']) await ok('volume', 'rm', v);
  });

  it('--tmpfs and --mount type=tmpfs are tmpfs of the given size, noexec unless told', async () => {
    const out = await ok('run', '--rm', '--tmpfs', '/run:size=1m', '--mount', 'type=tmpfs,dst=/scratch,tmpfs-size=2m,tmpfs-mode=1770', IMAGE, 'sh', '-c', 'df -k /run /scratch; grep -E " /(run|scratch) " /proc/mounts');
    assert.match(out, /^tmpfs\s+1024\s+0\s+1024\s+0% \/run$/m);
    assert.match(out, /^tmpfs\s+2048\s+0\s+2048\s+0% \/scratch$/m);
    assert.match(out, /^tmpfs \/run tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k/m);
    assert.match(out, /^tmpfs \/scratch tmpfs rw,nosuid,nodev,noexec,relatime,size=2048k,mode=1770/m);
    assert.match(await ok('run', '--rm', '--tmpfs', '/x:exec', IMAGE, 'grep', ' /x ', '/proc/mounts'), /^tmpfs \/x tmpfs rw,nosuid,nodev,relatime/);
  });

  it('--volumes-from shares another container\'s volumes and binds, read-only when asked', async () => {
    const host = join(dir, 'made-by-v');
    await ok('run', '-d', '--name', 'src', '-v', 'shared:/shared', '-v', `${host}:/host`, IMAGE, ...STAY);
    assert.ok(existsSync(host), '-v makes a missing host directory');
    await ok('exec', 'src', 'sh', '-c', 'echo x > /shared/x; echo h > /host/h');
    const r = await cli('run', '--rm', '--volumes-from', 'src:ro', IMAGE, 'sh', '-c', 'cat /shared/x /host/h; touch /shared/y');
    assert.equal(r.stdout, 'x\nh\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Read-only file system/);
    await ok('rm', '-f', '-v', 'src');
    await ok('volume', 'rm', 'shared');
    assert.deepEqual(await names(), []);
  });

  it('manifests: a Volume object with tmpfs options, a PersistentVolumeClaim, a Container mounting them', async () => {
    await apply(`apiVersion: berth.dev/v1
kind: Volume
metadata: {name: cache, labels: {tier: fast}}
spec:
  driverOpts: {type: tmpfs, device: tmpfs, o: size=4m}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: claim}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Mi}}
---
apiVersion: berth.dev/v1
kind: Container
metadata: {name: user}
spec:
  image: ${IMAGE}
  command: [sh, -c, "df -k /cache; echo ok > /claim/f; sleep 600"]
  restartPolicy: Never
  terminationGracePeriodSeconds: 0
  volumes:
    - {name: c, persistentVolumeClaim: {claimName: cache}}
    - {name: d, persistentVolumeClaim: {claimName: claim}}
  volumeMounts:
    - {name: c, mountPath: /cache}
    - {name: d, mountPath: /claim}
`);
    const st = await until('claim bound and used', async () => {
      const r = await client.json<{ status: { phase?: string; usedBy?: string[]; mountpoint?: string } }>('GET', '/v1/objects/volume/claim');
      return r.status.phase === 'Bound' && r.status.usedBy?.includes('user') ? r.status : undefined;
    });
    assert.equal(st.mountpoint, join(root, 'volumes', 'claim'));
    await until('container wrote', async () => existsSync(join(root, 'volumes', 'claim', 'f')));
    const cache = await client.json<VolumeSummary>('GET', '/v1/volumes/cache');
    assert.deepEqual([cache.options, cache.labels, cache.users.map((u) => u.name)], [{ type: 'tmpfs', device: 'tmpfs', o: 'size=4m' }, { tier: 'fast' }, ['user']]);
    assert.match((await ok('logs', 'user')), /^tmpfs\s+4096\s/m);
    const del = await cli('delete', 'pvc', 'claim');
    assert.equal(del.code, 1);
    assert.match(del.stderr, /volume "claim" is in use by container user/);
    await ok('delete', 'container', 'user');
    await until('container gone', async () => (await client.json<VolumeSummary>('GET', '/v1/volumes/claim')).users.length === 0);
    await ok('delete', 'volume', 'cache', 'claim');
    await until('volumes removed by their controller', async () => !(await names()).some((n) => n === 'cache' || n === 'claim'));
    assert.equal(existsSync(join(root, 'volumes', 'cache')), false);
    // The container's anonymous volume (the image's VOLUME) stays until pruned.
    assert.equal((await names('dangling=true')).length, 1);
    await ok('volume', 'prune', '-f');
  });

  it('bad input: located or named errors, and nothing made', async () => {
    const missing = join(dir, 'missing');
    const bind = await cli('run', '--rm', '--mount', `type=bind,src=${missing},dst=/x`, IMAGE, 'true');
    // Docker's exit code for an error of `run` itself (not the container's).
    assert.equal(bind.code, 125);
    assert.match(bind.stderr, new RegExp(`bind source path does not exist: ${missing}`));
    assert.equal(existsSync(missing), false);
    assert.equal((await ok('ps', '-a', '-q')).trim(), '');
    for (const [args, message] of [
      [['run', '--rm', '--mount', 'type=volume,src=v,dst=rel', IMAGE], /invalid mount target "rel": it must be an absolute path/],
      [['run', '--rm', '--mount', 'type=volume,src=v,dst=/x,colour=red', IMAGE], /unexpected key "colour"/],
      [['run', '--rm', '-v', 'bad name:/x', IMAGE], /invalid characters for a local volume name/],
      [['volume', 'create', '../escape'], /volume create: metadata\.name: string "\.\.\/escape": must be at least 2 characters/],
      [['volume', 'create', '--opt', 'colour=red', 'vv'], /spec\.driverOpts\.colour: unknown field "colour" \(known fields: type, device, o\)/],
      [['volume', 'create', '--opt', 'type=none', '--opt', `device=${missing}`, '--opt', 'o=bind', 'vv'], /device .*missing does not exist/],
      [['volume', 'ls', '-f', 'colour=red'], /invalid filter 'colour'/],
    ] as const) {
      const r = await cli(...args);
      assert.equal(r.code, args[0] === 'run' ? 125 : 1, args.join(' '));
      assert.match(r.stderr, message, args.join(' '));
    }
    assert.deepEqual(await names(), []);
    const bad = await client
      .json('POST', '/v1/apply', { body: { documents: [{ file: '/m/v.yaml', text: 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: cl}\nspec:\n  storageClassName: fast\n  resources: {requests: {storage: lots}}\n' }] } })
      .then(() => '', (e: Error) => e.message);
    assert.match(bad, /^\/m\/v\.yaml:5:21: PersistentVolumeClaim "cl": spec\.storageClassName: storage class "fast" does not exist here/m);
    assert.match(bad, /^\/m\/v\.yaml:6:35: PersistentVolumeClaim "cl": spec\.resources\.requests\.storage: storage "lots" is not a quantity/m);
    assert.match(bad, /2 problems in 1 file; nothing was applied$/);
  });
});
}
