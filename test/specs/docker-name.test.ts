// Docker container names against berth's: valid ones kept, others given a berth name of their own.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { name as berthName } from '../../specs/meta.ts';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import { berthNameFor, dockerLabels, dockerName, dockerNameOf, DOCKER_NAME_LABEL } from '../../specs/docker/docker-name.ts';
import { containerFilter } from '../../specs/docker/ps.ts';
import type { ContainerSummary } from '../../specs/api/containers.ts';

describe('Docker container names', () => {
  it('keeps a berth name, maps others to distinct valid berth names', () => {
    assert.equal(berthNameFor('web'), 'web');
    assert.match(berthNameFor('demo_web_1'), /^demo-web-1-[0-9a-f]{8}$/);
    assert.notEqual(berthNameFor('demo_web_1'), berthNameFor('demo-web-1'));
    assert.notEqual(berthNameFor('Demo_web_1'), berthNameFor('demo_web_1'));
    for (const n of ['demo_web_1', 'Web.Front', `a${'_b'.repeat(60)}`, '__x', 'A']) assert.equal(berthName.safeParse(berthNameFor(n)).success, true, n);
  });

  it('takes Docker\'s leading "/" and refuses what dockerd refuses', () => {
    assert.equal(dockerName('/demo_web_1'), 'demo_web_1');
    assert.throws(() => dockerName('bad name'), (e: unknown) => e instanceof InvalidArgumentError && /Invalid container name \(bad name\), only \[a-zA-Z0-9\]\[a-zA-Z0-9_\.-\] are allowed/.test(e.message));
  });

  it('shows the kept Docker name and hides its label; name and label filters as dockerd', () => {
    const labels = { [DOCKER_NAME_LABEL]: 'demo_web_1', 'com.docker.compose.project': 'demo', 'com.docker.compose.service': 'web' };
    assert.equal(dockerNameOf('demo-web-1-0a1b2c3d', labels), 'demo_web_1');
    assert.equal(dockerNameOf('web', undefined), 'web');
    assert.deepEqual(dockerLabels(labels), { 'com.docker.compose.project': 'demo', 'com.docker.compose.service': 'web' });
    const s = { name: 'demo-web-1-0a1b2c3d', labels } as unknown as ContainerSummary;
    assert.equal(containerFilter(new Map([['name', ['demo_web']]]))(s), true);
    assert.equal(containerFilter(new Map([['name', ['demo-web-1']]]))(s), true);
    assert.equal(containerFilter(new Map([['label', ['com.docker.compose.project=demo', 'com.docker.compose.service=web']]]))(s), true);
    assert.equal(containerFilter(new Map([['label', ['com.docker.compose.project=demo', 'com.docker.compose.service=db']]]))(s), false);
  });
});
