// commit's image configuration (engine/builder/commit-config.ts), on plain objects: the container's
// run config over the image's, the -c changes as Dockerfile instructions, history and diff ids.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { commitConfig } from '../../../engine/builder/commit-config.ts';
import type { ImageConfig } from '../../../engine/builder/image-config.ts';
import { InvalidArgumentError } from '../../../specs/errdefs.ts';

const base: ImageConfig = {
  architecture: 'amd64',
  os: 'linux',
  config: { Cmd: ['sh'], Env: ['PATH=/bin'], Labels: { from: 'image' } },
  rootfs: { type: 'layers', diff_ids: ['sha256:a'] },
  history: [{ created_by: 'ADD rootfs' }],
};
const now = '2026-12-02T08:00:00.000Z';

it('puts the container\'s run config over the image\'s and appends the layer and its history', () => {
  const c = commitConfig({ base, container: { Cmd: ['sleep', '1000'], Env: ['PATH=/bin', 'A=1'], Labels: { mine: 'x' } }, diffId: 'sha256:b', createdBy: 'sleep 1000', message: 'm', author: 'me', now });
  assert.deepEqual(c.config.Cmd, ['sleep', '1000']);
  assert.deepEqual(c.config.Env, ['PATH=/bin', 'A=1']);
  assert.deepEqual(c.config.Labels, { mine: 'x' });
  assert.deepEqual(c.rootfs.diff_ids, ['sha256:a', 'sha256:b']);
  assert.deepEqual(c.history?.at(-1), { created: now, created_by: 'sleep 1000', comment: 'm', author: 'me' });
  assert.equal(c.author, 'me');
  assert.equal(c.created, now);
  assert.deepEqual(base.rootfs.diff_ids, ['sha256:a'], 'the base is not changed');
});

it('applies -c changes as Dockerfile instructions (exec and shell forms, ENV, EXPOSE, WORKDIR)', () => {
  const c = commitConfig({ base, container: {}, diffId: 'sha256:b', createdBy: 'sh', changes: ['CMD ["echo","x"]', 'ENV B=2', 'EXPOSE 8080', 'WORKDIR /app', 'ENTRYPOINT exec top'], now });
  assert.deepEqual(c.config.Entrypoint, ['/bin/sh', '-c', 'exec top']);
  assert.deepEqual(c.config.Env, ['PATH=/bin', 'B=2']);
  assert.deepEqual(c.config.ExposedPorts, { '8080/tcp': {} });
  assert.equal(c.config.WorkingDir, '/app');
});

it('refuses an instruction commit does not take, naming it and the valid ones', () => {
  assert.throws(
    () => commitConfig({ base, container: {}, diffId: 'sha256:b', createdBy: 'sh', changes: ['RUN rm -rf /'], now }),
    (e: unknown) => e instanceof InvalidArgumentError && /--change "RUN rm -rf \/": RUN is not a valid change command; use one of CMD, ENTRYPOINT/.test(e.message),
  );
});
