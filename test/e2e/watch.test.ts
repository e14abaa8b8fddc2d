// GitOps end to end: a watched directory drives real containers — a new file starts one, an edit
// (an editor's atomic save) recreates it, removing the file removes it. Inside a private network
// namespace (the containers are on the default bridge network).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { containerManifest, phase, until, world, type World } from './helpers.ts';
import { insidePrivateNetns } from '../engine/network/harness.ts';

if (insidePrivateNetns(import.meta.url)) {
  describe('a watched directory reconciles real containers', () => {
    let w: World;
    let dir: string;
    before(async () => {
      w = await world();
      dir = join(w.dir, 'manifests');
      mkdirSync(dir);
      await w.start({ watch: [dir] });
    });
    after(async () => w?.teardown());

    const spec = (msg: string) => `  command: [sh, -c, "trap 'exit 0' TERM; echo ${msg}; while true; do sleep 0.2; done"]\n  terminationGracePeriodSeconds: 2\n`;

    it('starts, recreates on edit, removes on delete', async () => {
      writeFileSync(join(dir, 'app.yaml'), containerManifest('watched', w.image, spec('one')));
      const first = await until('Running', async () => {
        const o = await w.get('watched');
        return phase(o) === 'Running' && o.status!;
      });
      // An editor's save: write aside, rename over.
      writeFileSync(join(dir, '.app.yaml.swp'), containerManifest('watched', w.image, spec('two')));
      renameSync(join(dir, '.app.yaml.swp'), join(dir, 'app.yaml'));
      const second = await until('recreated', async () => {
        const o = await w.get('watched');
        return phase(o) === 'Running' && o.status!.containerID !== first.containerID && o.status!;
      });
      assert.equal(second.observedGeneration, 2);
      rmSync(join(dir, 'app.yaml'));
      await until('object pruned and container removed', async () => {
        const gone = await w.get('watched').then(
          () => false,
          () => true,
        );
        return gone && !existsSync(join(w.root, 'containers', String(second.containerID)));
      });
    });
  });
}
