// Image objects end to end: pulled by policy from a real registry, used by a Container through the
// object's name, and built then pushed — the registry (checked with skopeo) has what berth built.
// Not about networking: the container shares the host's network (`network: host`), touching nothing of it.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { skopeoDigest } from '../fixtures/images.ts';
import { apply, phase, until, world, type World } from './helpers.ts';

describe('Image objects with a real registry', () => {
  let w: World;
  before(async () => {
    w = await world();
    await w.start();
  });
  after(async () => w?.teardown());

  const imageStatus = async (name: string) => (await w.client.json<{ status?: Record<string, unknown> }>('GET', `/v1/objects/image/${name}`)).status ?? {};

  it('pulls an Image (IfNotPresent) and runs a Container that names it', async () => {
    await apply(
      w,
      `apiVersion: berth.dev/v1\nkind: Image\nmetadata: {name: base}\nspec:\n  ref: ${w.image}\n  pull: {policy: IfNotPresent}\n`,
      `apiVersion: berth.dev/v1\nkind: Container\nmetadata: {name: user}\nspec:\n  image: base\n  command: [sleep, "600"]\n  network: host\n  terminationGracePeriodSeconds: 0\n`,
    );
    const st = await until('Image Ready', async () => {
      const s = await imageStatus('base');
      return s.phase === 'Ready' && s;
    });
    assert.equal(st.digest, skopeoDigest(w.image));
    await until('Container Running', async () => phase(await w.get('user')) === 'Running');
  });

  it('builds an Image and pushes it: the registry serves the same manifest', async () => {
    const ctx = join(w.dir, 'ctx');
    mkdirSync(ctx);
    copyFileSync('/bin/busybox', join(ctx, 'busybox'));
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nCMD ["/bin/busybox", "echo", "built"]\n');
    const ref = `${w.registry.host}/pushed/app:1`;
    await apply(w, `apiVersion: berth.dev/v1\nkind: Image\nmetadata: {name: app}\nspec:\n  ref: ${ref}\n  build: {context: ${ctx}}\n  push: true\n`);
    const st = await until<Record<string, unknown>>('built and pushed', async () => {
      const s = await imageStatus('app');
      return s.phase === 'Ready' && s.pushedDigest !== undefined ? s : undefined;
    }, 120_000);
    assert.equal(st.pushedDigest, st.digest);
    assert.equal(skopeoDigest(ref), st.digest);
  });
});
