// `run`'s security flags as Docker spells them, turned into the Kubernetes securityContext the
// daemon validates (pure: what the flags become; test/e2e/security.test.ts runs them).
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { dockerRunRequest, type DockerRunOptions } from '../../specs/docker/run.ts';
import { InvalidArgumentError } from '../../specs/errdefs.ts';

const spec = (o: DockerRunOptions) => dockerRunRequest('img', [], o).spec;
const plain = spec({});

describe('run: security flags', () => {
  it('each flag to its field', () => {
    assert.deepEqual(
      spec({ capAdd: ['NET_ADMIN'], capDrop: ['ALL'], privileged: true, readOnly: true, sysctl: ['net.ipv4.ip_forward=1'], securityOpt: ['no-new-privileges'], userns: 'auto', pidsLimit: '100' }),
      {
        ...plain,
        resources: { limits: { pids: 100 } },
        securityContext: {
          capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
          privileged: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          sysctls: [{ name: 'net.ipv4.ip_forward', value: '1' }],
        },
        hostUsers: false,
      },
    );
  });
  it('seccomp: unconfined, the default, or a profile file (made absolute); no-new-privileges=false; Docker\'s old colon form', () => {
    assert.deepEqual(spec({ securityOpt: ['seccomp=unconfined'] }).securityContext, { seccompProfile: { type: 'Unconfined' } });
    assert.deepEqual(spec({ securityOpt: ['seccomp:unconfined'] }).securityContext, { seccompProfile: { type: 'Unconfined' } });
    assert.deepEqual(spec({ securityOpt: ['seccomp=default'] }).securityContext, { seccompProfile: { type: 'RuntimeDefault' } });
    assert.deepEqual(spec({ securityOpt: ['seccomp=p.json'] }).securityContext, { seccompProfile: { type: 'Localhost', localhostProfile: resolve('p.json') } });
    assert.deepEqual(spec({ securityOpt: ['no-new-privileges=false'] }).securityContext, { allowPrivilegeEscalation: true });
  });
  it('--pids-limit 0 or -1 is unlimited, as Docker; no flags, no securityContext', () => {
    assert.deepEqual(spec({ pidsLimit: '0' }).resources, { limits: { pids: -1 } });
    assert.deepEqual(spec({ pidsLimit: '-1' }).resources, { limits: { pids: -1 } });
    assert.deepEqual([plain.securityContext, plain.hostUsers, plain.resources], [undefined, undefined, undefined]);
  });
  it('what berth does not take is refused, saying what it takes', () => {
    assert.throws(() => spec({ securityOpt: ['label=disable'] }), (e: unknown) => e instanceof InvalidArgumentError && /berth takes seccomp=unconfined/.test(e.message));
    assert.throws(() => spec({ sysctl: ['net.ipv4.ip_forward'] }), /give NAME=VALUE/);
    assert.throws(() => spec({ userns: 'keep-id' }), /auto or host/);
    assert.throws(() => spec({ pidsLimit: 'many' }), /not a number/);
  });
});
