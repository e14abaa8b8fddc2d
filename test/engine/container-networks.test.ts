// What the engine's record says of a container's networks as they are connected and disconnected
// (engine/container-networks.ts), on a fake of the network port: the calls it makes, the record it
// writes, Docker's refusals; the interfaces themselves are tested in test/engine/network/connect.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectRecord, disconnectRecord, networksOfRecord, reattach } from '../../engine/container-networks.ts';
import type { ContainerRecord } from '../../engine/container-store.ts';
import type { NetworkPort } from '../../engine/deps.ts';
import { FailedPreconditionError, InvalidArgumentError } from '../../specs/errdefs.ts';

function fakePort(calls: string[]): NetworkPort {
  let n = 3;
  return {
    attach: async (_id, o) => (calls.push(`attach ${o.network} ${o.ports.length}`), { netnsPath: '/run/netns/x', ipAddress: '10.1.0.2' }),
    detach: async () => undefined,
    connect: async (_id, o) => (calls.push(`connect ${o.network}${o.ensure ? ' ensure' : ''}${o.aliases ? ` ${o.aliases.join(',')}` : ''}`), { ifName: 'eth1', ipAddress: `10.2.0.${n++}` }),
    disconnect: async (_id, network, o) => void calls.push(`disconnect ${network}${o?.force ? ' force' : ''}`),
  };
}

const rec = (network: ContainerRecord['network']): ContainerRecord => ({
  id: 'c'.repeat(64),
  owner: { name: 'web', uid: 'u', generation: 1, specHash: 'h' },
  image: { ref: 'img', digest: 'sha256:x' },
  createdAt: '2026-01-01T00:00:00Z',
  stopSignal: 'SIGTERM',
  network,
});

describe('a container record on several networks', () => {
  const ports = [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' as const }];

  it('connects one more network after the first, and a container left with none gets it as its first', async () => {
    const calls: string[] = [];
    const port = fakePort(calls);
    const one = await connectRecord(port, rec({ mode: 'front', ipAddress: '10.1.0.2', ports }), { network: 'back', aliases: ['api'], ports });
    assert.deepEqual(one.network, { mode: 'front', ipAddress: '10.1.0.2', ports, more: [{ network: 'back', aliases: ['api'], ipAddress: '10.2.0.3' }] });
    assert.deepEqual(networksOfRecord(one), [{ name: 'front', ipAddress: '10.1.0.2' }, { name: 'back', ipAddress: '10.2.0.3', aliases: ['api'] }]);
    const none = await connectRecord(port, rec({ mode: 'none', ports: [] }), { network: 'back', ports });
    assert.deepEqual(none.network, { mode: 'back', ipAddress: '10.2.0.4', ports });
    assert.deepEqual(calls, ['connect back api', 'connect back']);
  });

  it('refuses the host network and a Pod member, in Docker words, before touching anything', async () => {
    const calls: string[] = [];
    await assert.rejects(connectRecord(fakePort(calls), rec({ mode: 'host' }), { network: 'back', ports: [] }), (e: Error) => e instanceof InvalidArgumentError && /host cannot be connected to any other network/.test(e.message));
    await assert.rejects(connectRecord(fakePort(calls), rec({ mode: 'bridge', sandbox: 'pod-uid' }), { network: 'back', ports: [] }), InvalidArgumentError);
    await assert.rejects(disconnectRecord(fakePort(calls), rec({ mode: 'front' }), { network: 'back' }), (e: Error) => e instanceof FailedPreconditionError && e.message === `container ${'c'.repeat(64)} is not connected to network back`);
    assert.deepEqual(calls, []);
  });

  it('disconnects: a further network goes; the first one makes the next the first; the last leaves none, with nothing published', async () => {
    const calls: string[] = [];
    const port = fakePort(calls);
    const start = rec({ mode: 'bridge', ipAddress: '10.1.0.2', aliases: ['w'], ports, more: [{ network: 'back', ipAddress: '10.2.0.9', aliases: ['api'] }, { network: 'side' }] });
    assert.deepEqual((await disconnectRecord(port, start, { network: 'side' })).network.more, [{ network: 'back', ipAddress: '10.2.0.9', aliases: ['api'] }]);
    const first = await disconnectRecord(port, start, { network: 'berth', force: true });
    assert.deepEqual(first.network, { mode: 'back', ipAddress: '10.2.0.9', aliases: ['api'], ports, more: [{ network: 'side' }] });
    const last = await disconnectRecord(port, rec({ mode: 'front', ipAddress: '10.1.0.2', ports }), { network: 'front' });
    assert.deepEqual(last.network, { mode: 'none', ports: [] });
    assert.deepEqual(networksOfRecord(last), []);
    assert.deepEqual(calls, ['disconnect side', 'disconnect berth force', 'disconnect front']);
  });

  it('at a start attaches the first network again, then ensures the others, keeping new addresses', async () => {
    const calls: string[] = [];
    const r = rec({ mode: 'front', ipAddress: '10.1.0.2', ports, more: [{ network: 'back', ipAddress: '10.2.0.3' }] });
    const same = await reattach(fakePort(calls), r);
    assert.equal(same.rec, r, 'nothing changed: the same record');
    assert.equal(same.netnsPath, '/run/netns/x');
    const moved = await reattach(fakePort(calls), rec({ ...r.network, more: [{ network: 'back', ipAddress: '10.2.0.77', aliases: ['api'] }] }));
    assert.deepEqual(moved.rec.network.more, [{ network: 'back', aliases: ['api'], ipAddress: '10.2.0.3' }]);
    assert.deepEqual(calls, ['attach front 1', 'connect back ensure', 'attach front 1', 'connect back ensure api']);
  });
});
