// Loading and validation: every problem of every document at once, each at its exact line:col.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readManifestInputs } from '../../specs/files.ts';
import { formatManifestError, loadManifests, ManifestInvalidError, loadManifestsOrThrow } from '../../specs/load.ts';
import { quickDocuments } from '../../specs/quick-yaml.ts';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import { REPO, tempDir } from '../fixtures/helpers.ts';

const load = (text: string, opts = {}) => loadManifests([{ file: '/m/app.yaml', text }], opts);
const lines = (text: string, opts = {}) => load(text, opts).errors.map(formatManifestError);

describe('manifest loading', () => {
  it('loads, defaults and resolves a valid multi-document file', () => {
    const { objects, errors } = load(`# comment
apiVersion: berth.dev/v1
kind: Image
metadata: {name: app}
spec:
  ref: localhost:5000/app:1
  build: {context: ./ctx}
---
---
apiVersion: berth.dev/v1
kind: Container
metadata:
  name: web
  labels: {tier: front}
spec:
  image: app
  env: [{name: A}]
  ports: [{containerPort: 80, protocol: udp}]
  livenessProbe: {exec: {command: [/bin/true]}}
`);
    assert.deepEqual(errors, []);
    assert.equal(objects.length, 2);
    const [img, ctr] = objects.map((o) => o.manifest);
    assert.equal(objects[0]!.line, 2);
    assert.equal(objects[1]!.line, 10);
    assert.ok(img!.kind === 'Image');
    assert.deepEqual(img.spec.build, { context: '/m/ctx', dockerfile: 'Dockerfile' });
    assert.equal(img.spec.push, false);
    assert.ok(ctr!.kind === 'Container');
    assert.equal(ctr.spec.restartPolicy, 'Always');
    assert.equal(ctr.spec.terminationGracePeriodSeconds, 30);
    assert.deepEqual(ctr.spec.env, [{ name: 'A', value: '' }]);
    assert.equal(ctr.spec.ports![0]!.protocol, 'UDP');
    assert.deepEqual(
      { ...ctr.spec.livenessProbe, exec: undefined },
      { exec: undefined, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 },
    );
  });

  it('reports every problem of every document, each at its exact location', () => {
    const text = `apiVersion: berth.dev/v1
kind: Container
metadata:
  name: Web
  lables: {a: b}
spec:
  imagee: app
  ports:
    - containerPort: "80"
  restartPolicy: always
  resources:
    limits: {memory: 12Q, cpu: true, pids: 0}
---
apiVersion: v1
kind: Containr
metadata: {name: x}
---
apiVersion: berth.dev/v2
kind: Image
metadata: {name: img}
spec: {ref: a/b}
`;
    assert.deepEqual(lines(text), [
      '/m/app.yaml:4:9: Container "Web": metadata.name: string "Web": must be lowercase letters, digits and "-", starting and ending with a letter or digit',
      '/m/app.yaml:5:3: Container "Web": metadata.lables: unknown field "lables"; did you mean "labels"?',
      '/m/app.yaml:6:1: Container "Web": spec: missing required field "image" (a string)',
      '/m/app.yaml:7:3: Container "Web": spec.imagee: unknown field "imagee"; did you mean "image"?',
      '/m/app.yaml:9:22: Container "Web": spec.ports[0].containerPort: expected a number, got string "80"',
      '/m/app.yaml:10:18: Container "Web": spec.restartPolicy: string "always" is not allowed; use one of "Always", "OnFailure", "Never"; did you mean "Always"?',
      '/m/app.yaml:12:22: Container "Web": spec.resources.limits.memory: memory "12Q" is not a quantity (e.g. 64Mi, 1Gi, 500M)',
      '/m/app.yaml:12:32: Container "Web": spec.resources.limits.cpu: expected a string or a number, got boolean true',
      '/m/app.yaml:12:44: Container "Web": spec.resources.limits.pids: must be at least 1, or -1 for unlimited',
      '/m/app.yaml:15:7: kind: unknown kind "Containr"; did you mean "Container"?',
      '/m/app.yaml:18:13: Image "img": apiVersion: apiVersion "berth.dev/v2" is not supported; use "berth.dev/v1"',
      '/m/app.yaml:21:7: Image "img": spec: exactly one of "pull" or "build" must be set (pull: {policy: IfNotPresent} fetches ref; build: {context: DIR} builds it)',
    ]);
  });

  it('locates YAML syntax errors and non-mapping documents', () => {
    assert.deepEqual(lines('kind: [a\n'), ['/m/app.yaml:2:1: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]']);
    const dup = lines('kind: Container\nkind: Image\n');
    assert.equal(dup.length, 1);
    assert.match(dup[0]!, /^\/m\/app\.yaml:2:1: YAML: Map keys must be unique/);
    assert.deepEqual(lines('---\n- a\n- b\n'), ['/m/app.yaml:2:1: a manifest must be a mapping with apiVersion, kind, metadata and spec, not a list']);
    assert.deepEqual(lines('\n\njust words\n'), ['/m/app.yaml:3:1: a manifest must be a mapping with apiVersion, kind, metadata and spec, not string']);
    assert.deepEqual(lines('metadata: {name: a}\n'), ['/m/app.yaml:1:1: missing required field "kind" (one of Image, Container, Volume, Pod, Deployment, ConfigMap, Secret, Service, PersistentVolumeClaim)']);
  });

  it('checks references inside a spec: volume mounts and named probe ports', () => {
    const text = `apiVersion: berth.dev/v1
kind: Container
metadata: {name: c}
spec:
  image: a/b
  ports: [{name: http, containerPort: 80}]
  volumes:
    - {name: data, emptyDir: {}}
    - {name: data, hostPath: {path: /srv}}
  volumeMounts:
    - {name: dta, mountPath: /data}
  readinessProbe: {httpGet: {port: htp}}
`;
    assert.deepEqual(lines(text), [
      '/m/app.yaml:9:14: Container "c": spec.volumes[1].name: duplicate volume name "data"',
      '/m/app.yaml:11:14: Container "c": spec.volumeMounts[0].name: no volume named "dta" in spec.volumes (volumes: data)',
      '/m/app.yaml:12:36: Container "c": spec.readinessProbe.httpGet.port: no port named "htp" in spec.ports; use a number or a ports[].name',
    ]);
  });

  it('reports duplicate names and Containers naming missing Image objects across files', () => {
    const { errors, objects } = loadManifests([
      { file: '/m/a.yaml', text: 'apiVersion: berth.dev/v1\nkind: Image\nmetadata: {name: app}\nspec: {ref: x/app, pull: {}}\n' },
      {
        file: '/m/b.yaml',
        text:
          'apiVersion: berth.dev/v1\nkind: Image\nmetadata: {name: app}\nspec: {ref: x/app2, pull: {}}\n---\n' +
          'apiVersion: berth.dev/v1\nkind: Container\nmetadata: {name: c1}\nspec: {image: apq}\n---\n' +
          'apiVersion: berth.dev/v1\nkind: Container\nmetadata: {name: c2}\nspec: {image: app}\n',
      },
    ]);
    assert.deepEqual(errors.map(formatManifestError), [
      '/m/b.yaml:3:18: Image "app": metadata.name: duplicate: already defined at /m/a.yaml:1:1',
      '/m/b.yaml:9:15: Container "c1": spec.image: no Image object named "apq" (did you mean "app"?); define one (kind: Image) or use a registry reference such as "apq:latest"',
    ]);
    assert.deepEqual(objects.map((o) => o.manifest.metadata.name), ['app', 'c2']);
  });

  it('accepts a Container naming an Image the store already has, and registry references', () => {
    assert.deepEqual(lines('apiVersion: berth.dev/v1\nkind: Container\nmetadata: {name: c}\nspec: {image: app}\n', { knownImages: ['app'] }), []);
    for (const image of ['busybox:1.36', 'localhost:5000/x', 'r/x@sha256:' + 'a'.repeat(64)]) {
      assert.deepEqual(lines(`apiVersion: berth.dev/v1\nkind: Container\nmetadata: {name: c}\nspec: {image: "${image}"}\n`), []);
    }
  });

  it('throws one InvalidArgumentError listing all problems', () => {
    assert.throws(
      () => loadManifestsOrThrow([{ file: '/x.yaml', text: 'kind: Nope\n---\nkind: Image\n' }]),
      (e: unknown) => {
        assert.ok(e instanceof ManifestInvalidError);
        assert.ok(e instanceof InvalidArgumentError);
        assert.deepEqual(e.errors.map(formatManifestError), [
          '/x.yaml:1:7: kind: unknown kind "Nope" (berth knows Image, Container, Volume, Pod, Deployment, ConfigMap, Secret, Service, PersistentVolumeClaim)',
          '/x.yaml:3:1: Image: missing required field "apiVersion" (use "berth.dev/v1")',
          '/x.yaml:3:1: Image: missing required field "metadata" (a mapping)',
          '/x.yaml:3:1: Image: missing required field "spec" (a mapping)',
        ]);
        assert.match(e.message, /\n4 problems in 1 file; nothing was applied$/);
        return true;
      },
    );
  });

  it('reads valid manifests the quick way (no syntax tree) exactly as the located parse does', async () => {
    const examples = await readManifestInputs([join(REPO, 'manifests')]);
    // Leading comments and blank lines, content on the marker's line, an end marker, empty documents.
    const crafted = [
      {
        file: '/m/q.yaml',
        text:
          '\n# first\n\n  # indented comment\napiVersion: berth.dev/v1\nkind: Container\nmetadata: {name: a}\nspec: {image: "busybox:1"}\n' +
          '--- # a comment\n---\n--- {apiVersion: berth.dev/v1, kind: Container, metadata: {name: b}, spec: {image: "busybox:1", command: [sleep, "1"]}}\n' +
          '...\n---\n  \napiVersion: berth.dev/v1\nkind: Container\nmetadata:\n  name: c\n  labels: {x: "1", "y": z}\nspec:\n  image: busybox:1\n' +
          '  env: [{name: A, value: "0o17"}, {name: B, value: ".5"}]\n  args:\n  - |\n    multi\n    line\n  - >-\n    folded\n    text\n  workingDir: /x  # trailing\n',
      },
    ];
    for (const inputs of [examples, crafted]) {
      for (const i of inputs) assert.ok(quickDocuments(i.text), `${i.file} is read the quick way`);
      const quick = loadManifests(inputs);
      // A comment with an anchor sign sends the same texts to the located parse (quick-yaml.ts).
      const located = loadManifests(inputs.map((i) => ({ ...i, text: `${i.text}\n# & located\n` })));
      assert.equal(quickDocuments(`${inputs[0]!.text}\n# & located\n`), undefined);
      assert.deepEqual(quick.errors, []);
      assert.deepEqual(quick, located);
    }
  });

  it('a problem found on the quick way is reported from the located parse, at its field', () => {
    assert.deepEqual(lines('apiVersion: berth.dev/v1\nkind: Container\nmetadata: {name: a}\nspec:\n  image: busybox:1\n  restartPolicy: Sometimes\n'), [
      '/m/app.yaml:6:18: Container "a": spec.restartPolicy: string "Sometimes" is not allowed; use one of "Always", "OnFailure", "Never"',
    ]);
  });

  describe('reading paths', () => {
    const tmp = tempDir();
    after(async () => (await tmp).remove());

    it('reads a directory recursively, *.yaml and *.yml only, dot-entries skipped, sorted', async () => {
      const d = (await tmp).path;
      await mkdir(join(d, 'sub', 'deeper'), { recursive: true });
      await mkdir(join(d, '.git'));
      for (const f of ['b.yaml', 'a.yml', 'sub/c.YAML', 'sub/deeper/d.yaml', '.hidden.yaml', '.git/e.yaml', 'notes.txt', 'sub/.f.yml.swp']) {
        await writeFile(join(d, f), 'kind: Image\n');
      }
      const inputs = await readManifestInputs([d]);
      assert.deepEqual(inputs.map((i) => i.file.slice(d.length + 1)), ['a.yml', 'b.yaml', 'sub/c.YAML', 'sub/deeper/d.yaml']);
    });

    it('says what is wrong with a path', async () => {
      await assert.rejects(readManifestInputs(['/nonexistent/x.yaml']), /\/nonexistent\/x\.yaml: no such file or directory/);
      const empty = join((await tmp).path, 'empty');
      await mkdir(empty);
      await assert.rejects(readManifestInputs([empty]), /no \*\.yaml or \*\.yml files/);
    });

    it('the examples in manifests/ validate', async () => {
      const { errors, objects } = loadManifests(await readManifestInputs([join(REPO, 'manifests')]));
      assert.deepEqual(errors, []);
      assert.deepEqual(objects.map((o) => `${o.manifest.kind}/${o.manifest.metadata.name}`).sort(), [
        'Container/crashloop',
        'Container/liveness',
        'Container/web',
        'Image/busybox',
        'Image/web',
      ]);
    });
  });
});
