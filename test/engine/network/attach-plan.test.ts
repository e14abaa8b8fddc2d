// planAttachment: what attaching a container means, decided on plain objects before any CNI call.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attachTarget, planAttachment, sameAttachment, type AttachContext } from '../../../engine/network/attach-plan.ts';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../../specs/errdefs.ts';
import type { PortMapping } from '../../../specs/api/common.ts';

const ID = 'a'.repeat(64);
const exists: AttachContext = { networkExists: true, others: [] };
const tcp = (containerPort: number, hostPort?: number, hostIP?: string): PortMapping => ({
  containerPort,
  protocol: 'TCP',
  ...(hostPort !== undefined ? { hostPort } : {}),
  ...(hostIP !== undefined ? { hostIP } : {}),
});
const rejects = (fn: () => unknown, cls: new (...a: never[]) => Error, re: RegExp) =>
  assert.throws(fn, (e: Error) => e instanceof cls && re.test(e.message));

describe('planAttachment', () => {
  it('maps the network name to a mode and the canonical network', () => {
    assert.deepEqual(planAttachment(ID, { network: 'bridge', name: 'web' }, exists), {
      mode: 'network', network: 'berth', ports: [], published: [], aliases: [], createNetwork: false,
    });
    assert.equal(planAttachment(ID, { network: 'backend', name: 'web' }, exists).network, 'backend');
    const none = planAttachment(ID, { network: 'none', name: 'web' }, { networkExists: false, others: [] });
    assert.equal(none.mode, 'none');
    assert.equal(none.network, undefined);
    assert.equal(none.createNetwork, false);
  });

  it('keeps ports as given, publishes only those with a host port, and drops the name from its aliases', () => {
    const plan = planAttachment(ID, { network: 'bridge', name: 'web', aliases: ['web', 'www'], ports: [tcp(80, 8080, '127.0.0.1'), tcp(443)] }, exists);
    assert.deepEqual(plan.ports, [tcp(80, 8080, '127.0.0.1'), tcp(443)]);
    assert.deepEqual(plan.published, [tcp(80, 8080, '127.0.0.1')]);
    assert.deepEqual(plan.aliases, ['www']);
  });

  it('publishes nothing with the host network: its ports are the host\'s own', () => {
    const plan = planAttachment(ID, { network: 'host', name: 'web', ports: [tcp(80, 8080)] }, { networkExists: false, others: [] });
    assert.deepEqual([plan.mode, plan.ports, plan.published], ['host', [], []]);
  });

  it('refuses a port published on IPv6, and host ports with network none', () => {
    rejects(() => planAttachment(ID, { network: 'bridge', name: 'web', ports: [tcp(80, 8080, '::1')] }, exists), InvalidArgumentError, /IPv4 only/);
    rejects(() => planAttachment(ID, { network: 'none', name: 'web', ports: [tcp(80, 8080)] }, exists), InvalidArgumentError, /network "none" cannot publish ports/);
    // A port without a host port is only documentation: allowed with none.
    assert.deepEqual(planAttachment(ID, { network: 'none', name: 'web', ports: [tcp(80)] }, exists).published, []);
  });

  it('creates the default network on first use, and refuses any other that does not exist', () => {
    assert.equal(planAttachment(ID, { network: 'bridge', name: 'web' }, { networkExists: false, others: [] }).createNetwork, true);
    rejects(() => planAttachment(ID, { network: 'backend', name: 'web' }, { networkExists: false, others: [] }), NotFoundError, /network "backend" not found; create it with `berth network create backend`/);
  });

  it('refuses a host port another container publishes, not its own', () => {
    const others = [{ id: 'b'.repeat(64), name: 'db', ports: [tcp(5432, 8080)] }];
    rejects(() => planAttachment(ID, { network: 'bridge', name: 'web', ports: [tcp(80, 8080)] }, { networkExists: true, others }), ConflictError, /host port 0\.0\.0\.0:8080\/tcp is already published by container "db"/);
    // Another address of the host, or another protocol: no collision.
    assert.equal(planAttachment(ID, { network: 'bridge', name: 'web', ports: [{ ...tcp(80, 8080), protocol: 'UDP' }] }, { networkExists: true, others }).published.length, 1);
    const mine = [{ id: ID, name: 'web', ports: [tcp(80, 8080)] }];
    assert.equal(planAttachment(ID, { network: 'bridge', name: 'web', ports: [tcp(80, 8080)] }, { networkExists: true, others: mine }).published.length, 1);
  });

  it('checks the id and the names before anything else', () => {
    rejects(() => planAttachment('../x', { network: 'bridge', name: 'web' }, exists), InvalidArgumentError, /container id "\.\.\/x" must match/);
    rejects(() => planAttachment(ID, { network: 'bridge', name: 'web\n1.2.3.4 evil' }, exists), InvalidArgumentError, /cannot be a host name/);
    rejects(() => planAttachment(ID, { network: 'bridge', name: 'web', aliases: ['bad name'] }, exists), InvalidArgumentError, /"bad name" cannot be a host name/);
  });
});

describe('sameAttachment', () => {
  it('is the same mode, network and ports', () => {
    const rec = { mode: 'network' as const, network: 'berth', ports: [tcp(80, 8080)] };
    assert.equal(sameAttachment(rec, attachTarget({ network: 'bridge', name: 'web', ports: [tcp(80, 8080)] })), true);
    assert.equal(sameAttachment(rec, attachTarget({ network: 'bridge', name: 'web', ports: [tcp(80, 8081)] })), false);
    assert.equal(sameAttachment(rec, attachTarget({ network: 'backend', name: 'web', ports: [tcp(80, 8080)] })), false);
    assert.equal(sameAttachment({ mode: 'host', ports: [] }, attachTarget({ network: 'host', name: 'web', ports: [tcp(80, 8080)] })), true);
  });
});
