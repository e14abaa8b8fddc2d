// Isolation and hardening through the daemon, with real containers: `run`'s security flags as
// Docker's, the defaults of a container started with no options (seccomp, capabilities,
// no_new_privs, the pids limit), bad input refused before anything is made, runAsNonRoot, and
// hostUsers: false on both runtimes — its root an unmapped ID range on the host, checked from the
// host (the owner of its processes and of what it writes).
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_PIDS_LIMIT } from '../../engine/security/security-plan.ts';
import { USERNS_SIZE, subidRanges } from '../../engine/security/userns.ts';
import { apply, containerManifest, phase, suiteWorld, until, type World } from './helpers.ts';

const STATUS = "grep -E '^(Seccomp|NoNewPrivs|CapBnd):' /proc/self/status";
const fields = (out: string) => Object.fromEntries(out.trim().split('\n').map((l) => l.split(/:\s+/) as [string, string]));
const hostCaps = /^CapPrm:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;

/** The pids.max of a container's cgroup (v1 or v2). */
function pidsMax(w: World, id: string): string {
  const v1 = `/sys/fs/cgroup/pids/${w.cgroupParent}/${id}/pids.max`;
  try {
    return readFileSync(v1, 'utf8').trim();
  } catch {
    return readFileSync(`/sys/fs/cgroup/${w.cgroupParent}/${id}/pids.max`, 'utf8').trim();
  }
}

describe('run: Docker\'s security flags, berth\'s defaults, bad input', () => {
  const s = suiteWorld();
  const cli = s.cli;

  it('no options: the default seccomp profile, Docker\'s capabilities, no_new_privs off (as Docker), a pids limit; --security-opt no-new-privileges sets it', async () => {

    const w = s.w;
    const r = await cli(['run', '--rm', '--network', 'none', w.image, 'sh', '-c', STATUS]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fields(r.stdout), { CapBnd: '00000000a80425fb', NoNewPrivs: '0', Seccomp: '2' });
    const nnp = await cli(['run', '--rm', '--network', 'none', '--security-opt', 'no-new-privileges', w.image, 'sh', '-c', STATUS]);
    assert.deepEqual(fields(nnp.stdout), { CapBnd: '00000000a80425fb', NoNewPrivs: '1', Seccomp: '2' }, nnp.stderr);
    const ns = ['pid', 'ipc', 'mnt', 'uts', 'net'];
    const inside = await cli(['run', '--rm', '--network', 'none', w.image, 'readlink', ...ns.map((n) => `/proc/self/ns/${n}`)]);
    const host = ns.map((n) => readlinkSync(`/proc/self/ns/${n}`));
    inside.stdout.trim().split('\n').forEach((link, i) => assert.notEqual(link, host[i], `${ns[i]} namespace of its own`));
    const d = await cli(['run', '-d', '--name', 'limits', '--network', 'none', w.image, 'sleep', '60']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(pidsMax(w, d.stdout.trim()), String(DEFAULT_PIDS_LIMIT));
    const p = await cli(['run', '-d', '--name', 'fewer', '--pids-limit', '100', '--network', 'none', w.image, 'sleep', '60']);
    assert.equal(pidsMax(w, p.stdout.trim()), '100');
    for (const n of ['limits', 'fewer']) assert.equal((await cli(['rm', '-f', n])).code, 0);
  });

  it('--security-opt seccomp=unconfined, --cap-drop/--cap-add, no-new-privileges=false, --privileged, --read-only, --sysctl', async () => {

    const w = s.w;
    const loose = await cli(['run', '--rm', '--network', 'none', '--security-opt', 'seccomp=unconfined', '--cap-drop', 'ALL', '--cap-add', 'net_bind_service', '--security-opt', 'no-new-privileges=false', w.image, 'sh', '-c', STATUS]);
    assert.deepEqual(fields(loose.stdout), { CapBnd: '0000000000000400', NoNewPrivs: '0', Seccomp: '0' }, loose.stderr);
    const priv = await cli(['run', '--rm', '--network', 'none', '--privileged', w.image, 'sh', '-c', STATUS]);
    assert.deepEqual(fields(priv.stdout), { CapBnd: hostCaps, NoNewPrivs: '0', Seccomp: '0' }, priv.stderr);
    const ro = await cli(['run', '--rm', '--network', 'none', '--read-only', w.image, 'sh', '-c', 'touch /x 2>/dev/null && echo rw || echo ro']);
    assert.equal(ro.stdout, 'ro\n');
    const sysctl = await cli(['run', '--rm', '--network', 'none', '--sysctl', 'net.ipv4.ip_unprivileged_port_start=80', w.image, 'cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start']);
    assert.equal(sysctl.stdout, '80\n', sysctl.stderr);
  });

  it('--security-opt seccomp=PROFILE: a profile of one\'s own, and one that does not parse refused with where', async () => {

    const w = s.w;
    const mine = join(w.dir, 'no-mkdir.json');
    writeFileSync(mine, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] }));
    const r = await cli(['run', '--rm', '--network', 'none', '--security-opt', `seccomp=${mine}`, w.image, 'sh', '-c', 'mkdir /tmp/d 2>&1; grep Seccomp: /proc/self/status']);
    assert.match(r.stdout, /Permission denied/);
    assert.match(r.stdout, /Seccomp:\s+2/);
    const broken = join(w.dir, 'broken.json');
    writeFileSync(broken, '{"defaultAction": "SCMP_ACT_ERRNO",\n "syscalls": [}\n');
    const bad = await cli(['run', '--rm', '--security-opt', `seccomp=${broken}`, w.image, 'true']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, new RegExp(`${broken}:2:15: not a seccomp profile: the JSON does not parse`));
  });

  it('bad input: an unknown capability, a host sysctl, an unknown option — refused, nothing made', async () => {

    const w = s.w;
    const before = (await cli(['ps', '-a', '-q'])).stdout;
    const cap = await cli(['run', '--rm', '--cap-add', 'NET_ADMN', w.image, 'true']);
    assert.notEqual(cap.code, 0);
    assert.match(cap.stderr, /unknown capability "NET_ADMN" \(did you mean "NET_ADMIN"\?\)/);
    const sys = await cli(['run', '--rm', '--sysctl', 'kernel.panic=1', w.image, 'true']);
    assert.match(sys.stderr, /"kernel\.panic" is not a sysctl of the container's namespaces/);
    const opt = await cli(['run', '--rm', '--security-opt', 'apparmor=unconfined', w.image, 'true']);
    assert.match(opt.stderr, /--security-opt "apparmor=unconfined": berth takes seccomp=unconfined, seccomp=PROFILE\.json and no-new-privileges/);
    assert.equal((await cli(['ps', '-a', '-q'])).stdout, before, 'no container was created');
  });

  it('apply: a bad capability is located; runAsNonRoot refuses a root image, runs with runAsUser', async () => {

    const w = s.w;
    await assert.rejects(apply(w, containerManifest('badcap', w.image, '  securityContext:\n    capabilities: {drop: [NET_RAWW]}\n')), /test-0\.yaml:8:27: Container "badcap": spec\.securityContext\.capabilities\.drop\[0\]: unknown capability "NET_RAWW"/);
    await apply(w, containerManifest('rootimg', w.image, '  command: [sleep, "60"]\n  network: none\n  securityContext: {runAsNonRoot: true}\n'));
    const failed = await until('rootimg Failed', async () => {
      const o = await w.get('rootimg');
      return phase(o) === 'Failed' && o.status!;
    });
    assert.equal(failed.reason, 'CreateContainerConfigError');
    assert.match(String(failed.message), /runAsNonRoot is true, but it would run as root .*set securityContext\.runAsUser to a non-zero uid/);
    await apply(w, containerManifest('nonroot', w.image, '  command: [sh, -c, "id -u; sleep 60"]\n  network: none\n  securityContext: {runAsNonRoot: true, runAsUser: 1000}\n'));
    await until('nonroot Running', async () => phase(await w.get('nonroot')) === 'Running');
    const ex = await w.client.json<{ stdout: string }>('POST', '/v1/containers/nonroot/exec', { body: { args: ['id', '-u'] } });
    assert.equal(Buffer.from(ex.stdout, 'base64').toString(), '1000\n');
  });
});

for (const runtime of ['runc', 'native'] as const) {
  describe(`hostUsers: false on ${runtime}: the container's root is nobody on the host`, () => {
    // The container's root reaches its rootfs as an unprivileged uid: the data root's parent must
    // be searchable (as /var/lib is); the daemon makes its own directories so.
    const s = suiteWorld({ setup: (w) => chmodSync(w.dir, 0o711), daemon: { runtime } });

    it('runs in an unmapped range: its processes, its rootfs writes and its files on a hostPath belong to that range', async () => {

      const w = s.w;
      const data = join(w.dir, 'data');
      mkdirSync(data);
      chmodSync(data, 0o777);
      await apply(w, containerManifest('userns', w.image, `  command: [sh, -c, "id -u > /data/id; touch /data/made; echo x > /etc/written; echo ready; sleep 300"]
  hostUsers: false
  terminationGracePeriodSeconds: 1
  network: none
  volumes: [{name: data, hostPath: {path: ${data}}}]
  volumeMounts: [{name: data, mountPath: /data}]
`));
      const st = await until('userns Running', async () => {
        const o = await w.get('userns');
        return phase(o) === 'Running' && o.status!;
      });
      await until('ready', () => statSync(join(data, 'made'), { throwIfNoEntry: false }));
      const [range] = subidRanges(readFileSync('/etc/subuid', 'utf8'), 'berth');
      assert.ok(range, '/etc/subuid has berth\'s range (added by the daemon)');
      const uid = statSync(`/proc/${st.pid}`).uid;
      assert.ok(uid >= range.start && uid + USERNS_SIZE <= range.start + range.count && (uid - range.start) % USERNS_SIZE === 0, `process uid ${uid} in berth's range`);
      assert.deepEqual(readFileSync(`/proc/${st.pid}/uid_map`, 'utf8').trim().split(/\s+/), ['0', String(uid), String(USERNS_SIZE)]);
      assert.equal(readFileSync(join(data, 'id'), 'utf8'), '0\n', 'root inside');
      assert.equal(statSync(join(data, 'made')).uid, uid, 'a file made on the hostPath is owned by the unmapped uid');
      const written = join(w.root, 'snapshots', 'containers', String(st.containerID), 'upper', 'etc', 'written');
      assert.equal(statSync(written).uid, uid, 'the rootfs is writable by its root; the upper layer holds the range\'s ids');
      const ex = await w.client.json<{ exitCode: number; stdout: string }>('POST', '/v1/containers/userns/exec', { body: { args: ['sh', '-c', 'id -u; cat /proc/self/uid_map; ls /sys/class/net'] } });
      const [inside, map, ...nets] = Buffer.from(ex.stdout, 'base64').toString().trim().split('\n');
      assert.equal(inside, '0');
      assert.deepEqual(map!.trim().split(/\s+/), ['0', String(uid), String(USERNS_SIZE)]);
      assert.deepEqual(nets, ['lo'], 'its /sys is its own network namespace\'s: only loopback');
      const mounts = () => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(String(st.containerID))).length;
      assert.ok(mounts() >= 2, 'the idmapped rootfs and the sysfs are mounted');
      await w.client.json('DELETE', '/v1/objects/container/userns');
      await until('userns removed, its mounts gone', () => mounts() === 0);
    });
  });
}
