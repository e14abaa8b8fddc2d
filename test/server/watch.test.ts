// Directory watch (GitOps): create, edit, atomic save, delete, an invalid file among valid ones,
// two watched directories and the CLI as separate sources.
import assert from 'node:assert/strict';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Resource } from '../../specs/objects.ts';
import { CONTAINER, IMAGE, berth, startTestDaemon, tempDir, until, type TestDaemon } from '../fixtures/helpers.ts';

describe('directory watch', () => {
  let d: TestDaemon;
  let a: string;
  let b: string;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  const store = () => d.daemon.ctx.store;
  const names = (kind = 'Container') => store().list(kind).map((r) => r.metadata.name);
  const obj = (name: string, kind = 'Container'): Resource | undefined => store().get(kind, name);

  before(async () => {
    tmp = await tempDir('berth-watch-');
    a = join(tmp.path, 'a');
    b = join(tmp.path, 'b');
    await mkdir(join(a, 'nested'), { recursive: true });
    await mkdir(b);
    // Present before the daemon starts: applied at start.
    await writeFile(join(a, 'initial.yaml'), CONTAINER('initial'));
    await writeFile(join(a, 'nested', 'deep.yml'), CONTAINER('deep'));
    await writeFile(join(a, '.hidden.yaml'), CONTAINER('hidden'));
    await writeFile(join(a, 'readme.txt'), 'not a manifest');
    d = await startTestDaemon({ watch: [a, b], dir: join(tmp.path, 'daemon') });
  });
  after(async () => {
    await d?.stop();
    await tmp?.remove();
  });

  it('applies what is there at start, recursively, skipping dot-files', () => {
    assert.deepEqual(names(), ['deep', 'initial']);
    assert.equal(obj('initial')!.metadata.source, `watch:${join(a, 'initial.yaml')}`);
    assert.equal(obj('deep')!.metadata.source, `watch:${join(a, 'nested', 'deep.yml')}`);
  });

  it('applies a new file, and an edit bumps the generation', async () => {
    await writeFile(join(a, 'web.yaml'), CONTAINER('web'));
    await until('web is created', () => obj('web'));
    assert.equal(obj('web')!.metadata.generation, 1);
    await writeFile(join(a, 'web.yaml'), CONTAINER('web', 'docker.io/library/nginx:1'));
    const edited = await until('web is updated', () => obj('web')?.metadata.generation === 2 && obj('web'));
    assert.equal((edited.spec as { image: string }).image, 'docker.io/library/nginx:1');
  });

  it('handles an editor\'s atomic save (write a temp file, rename over)', async () => {
    await writeFile(join(a, '.web.yaml.swp'), 'garbage: [');
    await writeFile(join(a, 'web.yaml.tmp~'), CONTAINER('web', 'docker.io/library/nginx:2'));
    await rename(join(a, 'web.yaml.tmp~'), join(a, 'web.yaml'));
    await rm(join(a, '.web.yaml.swp'));
    const saved = await until('web is updated by the atomic save', () => obj('web')?.metadata.generation === 3 && obj('web'));
    assert.equal((saved.spec as { image: string }).image, 'docker.io/library/nginx:2');
    assert.equal(saved.metadata.source, `watch:${join(a, 'web.yaml')}`);
    // Renaming a file moves its objects to the new source without deleting them.
    const uid = saved.metadata.uid;
    await rename(join(a, 'web.yaml'), join(a, 'site.yaml'));
    const moved = await until('web follows the rename', () => obj('web')?.metadata.source === `watch:${join(a, 'site.yaml')}` && obj('web'));
    assert.equal(moved.metadata.uid, uid);
  });

  it('a deleted file prunes exactly its objects', async () => {
    await writeFile(join(a, 'two.yaml'), `${CONTAINER('two-a')}---\n${CONTAINER('two-b')}`);
    await until('two-a and two-b exist', () => obj('two-a') && obj('two-b'));
    await rm(join(a, 'two.yaml'));
    await until('two-a and two-b are pruned', () => !obj('two-a') && !obj('two-b'));
    assert.ok(obj('web') && obj('initial') && obj('deep'));
    const events = store().listEvents({ kind: 'Container', name: 'two-a' }).map((e) => `${e.reason}: ${e.message}`);
    assert.deepEqual(events, [`Created: created from watch:${join(a, 'two.yaml')}`, `Pruned: no longer defined by watch:${join(a, 'two.yaml')}`]);
  });

  it('an invalid file gets a Warning event and a located log line; other files still apply; its objects stay', async () => {
    const broken = join(a, 'initial.yaml');
    await writeFile(broken, CONTAINER('initial', 'docker.io/x:1', '  restartPolicy: Sometimes\n'));
    await writeFile(join(a, 'later.yaml'), CONTAINER('later'));
    await until('later is applied', () => obj('later'));
    const warning = await until('a Warning event for the file', () => store().listEvents({ kind: 'Manifest', name: broken }).find((e) => e.type === 'Warning'));
    assert.equal(warning.reason, 'InvalidManifest');
    assert.equal(warning.message, `${broken}:7:18: Container "initial": spec.restartPolicy: string "Sometimes" is not allowed; use one of "Always", "OnFailure", "Never"`);
    assert.ok(d.logs.some((l) => l.includes(`WARN  ${broken}:7:18: Container "initial": spec.restartPolicy`)), d.logs.join(''));
    // The last good version of its object is kept.
    assert.equal((obj('initial')!.spec as { image: string }).image, 'docker.io/library/busybox:1.36');
    // Fixed: applied, and a Normal event says so.
    await writeFile(broken, CONTAINER('initial', 'docker.io/x:1'));
    await until('initial is updated', () => (obj('initial')?.spec as { image: string } | undefined)?.image === 'docker.io/x:1');
    await until('a ManifestValid event', () => store().listEvents({ kind: 'Manifest', name: broken }).some((e) => e.reason === 'ManifestValid'));
  });

  it('a file naming a missing Image applies once the Image appears (from another file)', async () => {
    await writeFile(join(a, 'needs-img.yaml'), CONTAINER('needs-img', 'myimg'));
    await until('the Warning about myimg', () => store().listEvents({ kind: 'Manifest', name: join(a, 'needs-img.yaml') }).some((e) => /no Image object named "myimg"/.test(e.message)));
    assert.equal(obj('needs-img'), undefined);
    await writeFile(join(b, 'img.yaml'), IMAGE('myimg'));
    await until('needs-img is applied', () => obj('needs-img'));
  });

  it('two watched directories and the CLI are separate sources: a prune never crosses them', async () => {
    await writeFile(join(b, 'b1.yaml'), CONTAINER('b1'));
    await until('b1 exists', () => obj('b1'));
    // The same object in the other directory is a conflict, reported, not taken over.
    await writeFile(join(a, 'dup.yaml'), CONTAINER('b1', 'docker.io/other:1'));
    await until('a conflict warning', () => store().listEvents({ kind: 'Manifest', name: join(a, 'dup.yaml') }).some((e) => /already defined by .*b1\.yaml \(another watched directory\)/.test(e.message)));
    assert.equal(obj('b1')!.metadata.source, `watch:${join(b, 'b1.yaml')}`);
    await rm(join(a, 'dup.yaml'));
    // Objects applied by the CLI are not pruned by a directory sync.
    const cli = await berth(['apply', '-f', '-'], { socket: d.socket, input: CONTAINER('from-cli') });
    assert.equal(cli.code, 0, cli.stderr);
    await writeFile(join(a, 'trigger.yaml'), CONTAINER('trigger'));
    await until('trigger is applied', () => obj('trigger'));
    assert.equal(obj('from-cli')!.metadata.source, 'stdin');
    // Deleting all of b prunes b's objects only.
    await rm(join(b, 'b1.yaml'));
    await rm(join(b, 'img.yaml'));
    await until('b1 is pruned', () => !obj('b1'));
    assert.ok(obj('from-cli') && obj('initial') && obj('trigger'));
  });
});
