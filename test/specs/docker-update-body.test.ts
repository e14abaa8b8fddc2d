// Docker's UpdateConfig body → berth's ContainerUpdate (specs/docker/update-body.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dockerUpdateRequest } from '../../specs/docker/update-body.ts';
import { InvalidArgumentError } from '../../specs/errdefs.ts';

describe("Docker's update body", () => {
  it('takes the resources and restart policy berth applies; zero and empty fields are Docker\'s "unchanged"', () => {
    // What docker 20.10 sends for `update -m 64m --cpus 0.5 --restart on-failure:2`.
    const body = { Memory: 67108864, MemorySwap: 0, NanoCpus: 500000000, CpuShares: 0, PidsLimit: null, KernelMemory: 0, CpusetCpus: '', Devices: [], RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } };
    assert.deepEqual(dockerUpdateRequest(body), { memory: 67108864, nanoCpus: 500000000, restartPolicy: { name: 'on-failure', maximumRetryCount: 2 } });
    assert.deepEqual(dockerUpdateRequest({ PidsLimit: 50, CpuShares: 512, RestartPolicy: { Name: '' } }), { pidsLimit: 50, cpuShares: 512 });
  });

  it('refuses, by name, a field it would otherwise drop, and a value of the wrong type', () => {
    assert.throws(() => dockerUpdateRequest({ KernelMemory: 8388608 }), (e: Error) => e instanceof InvalidArgumentError && /KernelMemory is not supported by berth/.test(e.message));
    assert.throws(() => dockerUpdateRequest({ CpusetCpus: '0-1' }), /CpusetCpus is not supported/);
    assert.throws(() => dockerUpdateRequest({ Memory: '64m' }), /Memory must be an integer/);
    assert.throws(() => dockerUpdateRequest([]), /must be a JSON object/);
  });
});
