// `update`'s flags read as Docker reads them, and an update applied to a spec with Docker's rules.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyContainerUpdate, bytesQuantity, dockerUpdateRequest } from '../../specs/docker/update.ts';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import { ContainerSpec } from '../../specs/schema.ts';

const spec = (extra: Record<string, unknown> = {}) => ContainerSpec.parse({ image: 'busybox', ...extra });

describe('dockerUpdateRequest', () => {
  it('reads sizes, CPUs, shares, pids and the restart policy as Docker', () => {
    assert.deepEqual(dockerUpdateRequest({ memory: '64m', memorySwap: '-1', cpus: '1.5', cpuShares: '512', pidsLimit: '-1', restart: 'on-failure:3' }), {
      memory: 64 * 2 ** 20,
      memorySwap: -1,
      nanoCpus: 1_500_000_000,
      cpuShares: 512,
      pidsLimit: -1,
      restartPolicy: { name: 'on-failure', maximumRetryCount: 3 },
    });
    assert.deepEqual(dockerUpdateRequest({ memorySwap: '1g' }), { memorySwap: 2 ** 30 });
  });

  it('says what is wrong and what to give', () => {
    assert.throws(() => dockerUpdateRequest({ cpus: 'abc' }), (e: Error) => e instanceof InvalidArgumentError && /--cpus "abc" is not a number of CPUs; give one like 0\.5 or 2/.test(e.message));
    assert.throws(() => dockerUpdateRequest({ memory: 'lots' }), /--memory "lots" is not a size \(e\.g\. 64m/);
    assert.throws(() => dockerUpdateRequest({ cpuShares: '1.5' }), /--cpu-shares "1\.5" is not a whole number/);
    assert.throws(() => dockerUpdateRequest({ restart: 'sometimes' }), /use one of: no, always, on-failure\[:max-retries\], unless-stopped/);
    assert.throws(() => dockerUpdateRequest({}), /provide one or more flags/);
  });
});

describe('applyContainerUpdate', () => {
  it('changes only what is given, in a manifest\'s words', () => {
    const before = spec({ resources: { limits: { memory: '64Mi', cpu: '500m', pids: 100 } }, restartPolicy: 'Never' });
    const after = applyContainerUpdate(before, { memory: 128 * 2 ** 20, memorySwap: 256 * 2 ** 20, nanoCpus: 1_500_000_000, cpuShares: 512, restartPolicy: { name: 'always' } }, 2);
    assert.deepEqual(after.resources, { limits: { memory: '128Mi', cpu: '1500m', pids: 100 } });
    assert.equal(after.memorySwap, '256Mi');
    assert.equal(after.cpuShares, 512);
    assert.equal(after.restartPolicy, 'Always');
    assert.deepEqual(after.dockerRestartPolicy, { name: 'always', maximumRetryCount: 0 });
    assert.equal(after.image, 'busybox');
    // 0 lifts a CPU limit and the shares; -1 the pids limit.
    const lifted = applyContainerUpdate(after, { nanoCpus: 0, cpuShares: 0, pidsLimit: -1 }, 2);
    assert.deepEqual(lifted.resources, { limits: { memory: '128Mi', pids: -1 } });
    assert.equal(lifted.cpuShares, undefined);
    assert.equal(bytesQuantity(1000), '1000');
  });

  it('keeps Docker\'s rules', () => {
    const limited = spec({ resources: { limits: { memory: '64Mi' } }, memorySwap: '128Mi' });
    assert.throws(() => applyContainerUpdate(limited, { memory: 256 * 2 ** 20 }, 2), /Memory limit should be smaller than already set memoryswap limit \(128Mi\), update the memoryswap at the same time/);
    assert.equal(applyContainerUpdate(limited, { memory: 256 * 2 ** 20, memorySwap: -1 }, 2).memorySwap, -1);
    assert.throws(() => applyContainerUpdate(limited, { memory: 2 ** 20 }, 2), /Minimum memory limit allowed is 6MB/);
    assert.throws(() => applyContainerUpdate(spec(), { memorySwap: 2 ** 30 }, 2), /You should always set the Memory limit when using Memoryswap limit/);
    assert.throws(() => applyContainerUpdate(limited, { memorySwap: 32 * 2 ** 20 }, 2), /Minimum memoryswap limit should be larger than memory limit/);
    assert.throws(() => applyContainerUpdate(spec(), { nanoCpus: 3e9 }, 2), /Range of CPUs is from 0\.01 to 2\.00, as there are only 2 CPUs available/);
    assert.throws(() => applyContainerUpdate(spec({ autoRemove: true, restartPolicy: 'Never' }), { restartPolicy: { name: 'always' } }, 2), /Restart policy cannot be updated because AutoRemove is enabled/);
  });
});
