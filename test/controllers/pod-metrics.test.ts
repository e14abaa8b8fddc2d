// A Pod's member carries the Pod's name on every /metrics series as `pod`, as cAdvisor labels the
// containers of a Kubernetes pod; a Container of no Pod has none.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { containerLabels } from '../../controllers/container-metrics.ts';

describe('pod label on /metrics', () => {
  it('is the Pod of a member, and absent otherwise', () => {
    const member = containerLabels({ name: 'web-httpd', image: 'r/b:1', id: 'abc', phase: 'Running', restartCount: 0, labels: { 'berth.dev/pod': 'web', app: 'web' } });
    assert.equal(member.pod, 'web');
    assert.equal(member.container_label_berth_dev_pod, 'web');
    assert.equal(containerLabels({ name: 'solo', image: 'r/b:1', id: 'def', phase: 'Running', restartCount: 0 }).pod, undefined);
  });
});
