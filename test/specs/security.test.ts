// securityContext and hostUsers at apply: each bad value is a located error (file:line:col) that
// says what is wrong and what to do; a Localhost seccomp profile is read and checked then, its own
// problems located in it too.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatManifestError, loadManifests } from '../../specs/load.ts';
import { capabilityName, sysctlProblem } from '../../specs/security.ts';
import { parseSeccompProfile } from '../../specs/seccomp-profile.ts';
import { tempDir } from '../fixtures/helpers.ts';

const container = (spec: string) => `apiVersion: berth.dev/v1
kind: Container
metadata: {name: c}
spec:
  image: localhost:5000/app:1
${spec}`;

describe('securityContext at apply', () => {
  let dir: { path: string; remove(): Promise<void> };
  before(async () => {
    dir = await tempDir();
  });
  after(() => dir.remove());
  const load = (spec: string) => loadManifests([{ file: join(dir.path, 'app.yaml'), text: container(spec) }]);
  const errors = (spec: string) => load(spec).errors.map((e) => formatManifestError(e).replaceAll(dir.path, 'DIR'));

  it('accepts the Kubernetes shape, names with or without CAP_, any case', () => {
    const { objects, errors: errs } = load(`  securityContext:
    capabilities: {add: [NET_ADMIN, cap_sys_time], drop: [ALL]}
    runAsUser: 1000
    runAsGroup: 1000
    runAsNonRoot: true
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    seccompProfile: {type: RuntimeDefault}
    sysctls: [{name: net.ipv4.ip_unprivileged_port_start, value: "80"}, {name: kernel.shm_rmid_forced, value: "1"}]
  hostUsers: false
  network: none
`);
    assert.deepEqual(errs, []);
    const spec = objects[0]!.manifest.spec as { securityContext: { runAsUser: number }; hostUsers: boolean };
    assert.equal(spec.securityContext.runAsUser, 1000);
    assert.equal(spec.hostUsers, false);
    assert.equal(capabilityName('cap_sys_time'), 'CAP_SYS_TIME');
    assert.equal(capabilityName('all'), 'ALL');
    assert.equal(capabilityName('NET_ADMN'), undefined);
  });

  it('an unknown capability, at its place, with the nearest name', () => {
    assert.deepEqual(errors(`  securityContext:\n    capabilities: {add: [NET_ADMN]}\n`), [
      'DIR/app.yaml:7:26: Container "c": spec.securityContext.capabilities.add[0]: unknown capability "NET_ADMN" (did you mean "NET_ADMIN"?); use a name of capabilities(7) such as NET_ADMIN, or ALL',
    ]);
  });

  it('sysctls: only those of the container\'s namespaces, existing ones, never the host\'s network', () => {
    assert.deepEqual(errors(`  securityContext:\n    sysctls:\n    - {name: kernel.panic, value: "1"}\n    - {name: net.ipv4.no_such_thing, value: "1"}\n    - {name: kernel.hostname, value: x}\n`), [
      'DIR/app.yaml:8:14: Container "c": spec.securityContext.sysctls[0].name: "kernel.panic" is not a sysctl of the container\'s namespaces (allowed: kernel.msgmax, kernel.msgmnb, kernel.msgmni, kernel.sem, kernel.shmall, kernel.shmmax, kernel.shmmni, kernel.shm_rmid_forced, kernel.domainname, fs.mqueue.*, net.*)',
      'DIR/app.yaml:9:14: Container "c": spec.securityContext.sysctls[1].name: unknown sysctl "net.ipv4.no_such_thing": this kernel has no /proc/sys/net/ipv4/no_such_thing',
      'DIR/app.yaml:10:14: Container "c": spec.securityContext.sysctls[2].name: set the hostname with spec.hostname, not a sysctl',
    ]);
    assert.match(errors(`  network: host\n  securityContext:\n    sysctls: [{name: net.ipv4.ip_forward, value: "1"}]\n`)[0]!, /:8:\d+: .*network "host" shares the host's: it would change the host/);
    assert.equal(sysctlProblem('fs.mqueue.msg_max', undefined, () => false), undefined);
  });

  it('contradictions: privileged with a drop, no escalation, a seccomp profile or hostUsers: false', () => {
    const errs = errors(`  hostUsers: false\n  securityContext:\n    privileged: true\n    allowPrivilegeEscalation: false\n    capabilities: {drop: [NET_RAW]}\n    seccompProfile: {type: RuntimeDefault}\n`);
    assert.equal(errs.length, 4);
    assert.match(errs.join('\n'), /allowPrivilegeEscalation: cannot be false with privileged: true/);
    assert.match(errs.join('\n'), /capabilities\.drop: privileged: true gives every capability/);
    assert.match(errs.join('\n'), /seccompProfile\.type: a privileged container runs without seccomp/);
    assert.match(errs.join('\n'), /app\.yaml:6:14: .*hostUsers: a privileged container runs in the host's user namespace/);
    assert.match(errors(`  securityContext:\n    seccompProfile: {type: Localhost}\n`)[0]!, /seccompProfile\.localhostProfile: type Localhost needs localhostProfile/);
    assert.match(errors(`  securityContext:\n    seccompProfile: {type: Unconfined, localhostProfile: p.json}\n`)[0]!, /localhostProfile: localhostProfile is only for type Localhost/);
  });

  it('a Localhost profile is read at apply: relative to the manifest, and its problems located in it', async () => {
    await writeFile(join(dir.path, 'good.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] }));
    await writeFile(join(dir.path, 'broken.json'), '{\n  "defaultAction": "SCMP_ACT_ERRNO",\n  "syscalls": [\n    {"names": ["read"] "action": "SCMP_ACT_ALLOW"}\n  ]\n}\n');
    await writeFile(join(dir.path, 'typo.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALOW' }] }));
    const good = load(`  securityContext:\n    seccompProfile: {type: Localhost, localhostProfile: good.json}\n`);
    assert.deepEqual(good.errors, []);
    const sc = (good.objects[0]!.manifest.spec as { securityContext: { seccompProfile: { localhostProfile: string } } }).securityContext;
    assert.equal(sc.seccompProfile.localhostProfile, join(dir.path, 'good.json'));
    assert.deepEqual(errors(`  securityContext:\n    seccompProfile: {type: Localhost, localhostProfile: broken.json}\n`), [
      `DIR/app.yaml:7:57: Container "c": spec.securityContext.seccompProfile.localhostProfile: DIR/broken.json:4:24: not a seccomp profile: the JSON does not parse (${jsonError('{\n  "defaultAction": "SCMP_ACT_ERRNO",\n  "syscalls": [\n    {"names": ["read"] "action": "SCMP_ACT_ALLOW"}\n  ]\n}\n')})`,
    ]);
    assert.match(errors(`  securityContext:\n    seccompProfile: {type: Localhost, localhostProfile: typo.json}\n`)[0]!, /typo\.json: not a seccomp profile in Docker's format: syscalls\[0\]\.action: string "SCMP_ACT_ALOW" is not allowed; .*did you mean "SCMP_ACT_ALLOW"/);
    assert.match(errors(`  securityContext:\n    seccompProfile: {type: Localhost, localhostProfile: missing.json}\n`)[0]!, /cannot read the seccomp profile DIR\/missing\.json: ENOENT/);
  });

  it('a profile: unknown fields and values past 2^53 are refused, not ignored', () => {
    const r = parseSeccompProfile(JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscals: [] }), 'p.json');
    assert.ok('error' in r);
    assert.match(r.error, /p\.json: not a seccomp profile in Docker's format: syscals: unknown field "syscals"; did you mean "syscalls"\?/);
    const big = parseSeccompProfile('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ioctl"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":18446744073709551615,"op":"SCMP_CMP_EQ"}]}]}', 'p.json');
    assert.ok('error' in big);
    assert.match(big.error, /syscalls\[0\]\.args\[0\]\.value: must be at most 9007199254740991/);
  });
});

/** The message JSON.parse gives for text, as this Node version words it. */
function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}
