// Every CLI verb, as a user runs it (bin/berth → dist/), against a real daemon.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { berth, BERTH, CONTAINER, IMAGE, REPO, startTestDaemon, tempDir, until, type TestDaemon } from '../fixtures/helpers.ts';

describe('berth CLI', () => {
  let d: TestDaemon;
  let dir: string;
  const run = (args: string[], input?: string) => berth(args, { socket: d.socket, cwd: dir, input });
  before(async () => {
    d = await startTestDaemon();
    dir = join(d.root, '..', 'work');
    await mkdir(join(dir, 'm', 'sub'), { recursive: true });
    await writeFile(join(dir, 'm', 'app.yaml'), `${IMAGE('app')}---\n${CONTAINER('web', 'app')}`);
    await writeFile(join(dir, 'm', 'sub', 'db.yaml'), CONTAINER('db', 'docker.io/library/postgres:16').replace('metadata:\n', 'metadata:\n  labels: {tier: data}\n'));
  });
  after(async () => d?.stop());

  it('--version and help', async () => {
    const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string };
    const v = await berth(['--version']);
    assert.equal(v.code, 0);
    assert.equal(v.stdout, `${pkg.version}\n`);
    const h = await berth(['--help']);
    for (const verb of ['apply', 'get', 'describe', 'delete', 'diff', 'events', 'validate', 'schema', 'daemon']) assert.match(h.stdout, new RegExp(`\\n  ${verb}\\b`));
  });

  it('says clearly when the daemon is not running', async () => {
    const r = await berth(['get'], { socket: join(dir, 'nobody.sock') });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^error: cannot reach the berth daemon at ${join(dir, 'nobody.sock')}: is \`berth daemon\` running\\?`));
    const flag = await berth(['--socket', join(dir, 'other.sock'), 'get']);
    assert.match(flag.stderr, /other\.sock/);
  });

  it('apply --dry-run, apply a directory, apply again', async () => {
    const dry = await run(['apply', '-f', 'm', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.stdout, 'image/app created (dry run)\ncontainer/web created (dry run)\ncontainer/db created (dry run)\n');
    assert.equal((await run(['get'])).stderr, 'No objects found.\n');
    const r = await run(['apply', '-f', 'm']);
    assert.equal(r.stdout, 'image/app created\ncontainer/web created\ncontainer/db created\n');
    assert.equal((await run(['apply', '-f', 'm/app.yaml'])).stdout, 'image/app unchanged\ncontainer/web unchanged\n');
    const json = JSON.parse((await run(['apply', '-f', 'm/app.yaml', '-o', 'json'])).stdout);
    assert.deepEqual(json.results[1], { kind: 'Container', name: 'web', action: 'unchanged', generation: 1, source: `file:${join(dir, 'm', 'app.yaml')}` });
  });

  it('apply -f - reads stdin; relative build contexts resolve against the working directory', async () => {
    const r = await run(['apply', '-f', '-'], `${CONTAINER('from-stdin')}---\napiVersion: berth.dev/v1\nkind: Image\nmetadata: {name: built}\nspec: {ref: localhost/built:1, build: {context: ctx}}\n`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'container/from-stdin created\nimage/built created\n');
    const img = JSON.parse((await run(['get', 'image', 'built', '-o', 'json'])).stdout);
    assert.equal(img.spec.build.context, join(dir, 'ctx'));
    assert.equal(img.metadata.source, 'stdin');
  });

  it('apply of an invalid manifest prints every located problem and applies nothing', async () => {
    await writeFile(join(dir, 'bad.yaml'), `${CONTAINER('good-one')}---\n${CONTAINER('bad-one', 'nosuchimage', '  restartPolicy: Nevr\n')}`);
    const r = await run(['apply', '-f', 'bad.yaml']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const f = join(dir, 'bad.yaml');
    assert.equal(
      r.stderr,
      `${f}:13:10: Container "bad-one": spec.image: no Image object named "nosuchimage"; define one (kind: Image) or use a registry reference such as "nosuchimage:latest"\n` +
        `${f}:14:18: Container "bad-one": spec.restartPolicy: string "Nevr" is not allowed; use one of "Always", "OnFailure", "Never"; did you mean "Never"?\n` +
        'error: 2 problems in 1 file; nothing was applied\n',
    );
    assert.equal((await run(['get', 'container', 'good-one'])).code, 1);
  });

  it('get: tables, wide, json, yaml, name, selectors, errors', async () => {
    const all = await run(['get']);
    assert.equal(all.code, 0);
    const lines = all.stdout.split('\n');
    assert.match(lines[0]!, /^NAME {3,}IMAGE {3,}RESTART {3}PHASE {3}GENERATION {3}OBSERVED {3}AGE$/);
    assert.ok(lines.some((l) => /^container\/web\s+app\s+Always\s+-\s+1\s+-\s+\d+s$/.test(l)), all.stdout);
    assert.ok(lines.some((l) => /^image\/app\s+localhost:5000\/app:1\s+pull \(IfNotPresent\)/.test(l)), all.stdout);
    // Columns line up: every row of a table has its IMAGE column at the header's offset.
    const ctrTable = all.stdout.split('\n\n')[0]!.trim().split('\n');
    const at = ctrTable[0]!.indexOf('IMAGE');
    assert.ok(ctrTable.every((l) => l[at - 1] === ' ' && l[at] !== ' '));

    const wide = await run(['get', 'containers', '-o', 'wide']);
    assert.match(wide.stdout, new RegExp(`^db .*file:${join(dir, 'm', 'sub', 'db.yaml')}$`, 'm'));
    const names = await run(['get', 'ctr', '-o', 'name']);
    assert.equal(names.stdout, 'container/db\ncontainer/from-stdin\ncontainer/web\n');
    assert.equal((await run(['get', 'container', '-l', 'tier=data', '-o', 'name'])).stdout, 'container/db\n');
    const list = JSON.parse((await run(['get', 'container', '-o', 'json'])).stdout);
    assert.equal(list.kind, 'List');
    assert.deepEqual(list.items.map((i: { metadata: { name: string } }) => i.metadata.name), ['db', 'from-stdin', 'web']);
    const y = parseYaml((await run(['get', 'container', 'web', '-o', 'yaml'])).stdout);
    assert.equal(y.spec.image, 'app');
    assert.equal(y.metadata.generation, 1);
    const missing = await run(['get', 'container', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: Container "nope" not found/);
    const badKind = await run(['get', 'contaner']);
    assert.equal(badKind.code, 1);
    assert.match(badKind.stderr, /unknown kind "contaner"; did you mean "container"\?/);
    assert.match((await run(['get', '-o', 'xml'])).stderr, /unknown output format "xml"/);
  });

  it('describe shows spec, status, conditions and events', async () => {
    d.daemon.ctx.store.setStatus({ kind: 'Container', name: 'web' }, {
      observedGeneration: 1,
      phase: 'Pending',
      conditions: [{ type: 'Ready', status: 'False', reason: 'ImageNotReady', message: 'waiting for image app', lastTransitionTime: new Date().toISOString() }],
    });
    const r = await run(['describe', 'container', 'web']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Name: {9}web\nKind: {9}Container\n/);
    assert.match(r.stdout, /\nGeneration: {3}1\nObserved: {5}1\nPhase: {8}Pending\n/);
    assert.match(r.stdout, /\nSpec:\n {2}image: app\n/);
    assert.match(r.stdout, /\nConditions:\n {2}TYPE {4}STATUS {3}REASON {10}LAST TRANSITION {3}MESSAGE\n {2}Ready {3}False {4}ImageNotReady {3}\d+s {2,}waiting for image app\n/);
    assert.match(r.stdout, /\nEvents:\n {2}TYPE {5}REASON {4}AGE {3}FROM {4}MESSAGE\n {2}Normal {3}Created/);
    assert.equal((await run(['describe', 'container', 'nope'])).code, 1);
  });

  it('diff exits 0 without differences, 1 with, 2 on error', async () => {
    const same = await run(['diff', '-f', 'm']);
    assert.equal(same.code, 0, same.stderr);
    assert.equal(same.stdout, '');
    await writeFile(join(dir, 'changed.yaml'), CONTAINER('web', 'app', '  command: [httpd, -f]\n'));
    const changed = await run(['diff', '-f', 'changed.yaml']);
    assert.equal(changed.code, 1, changed.stderr);
    assert.equal(changed.stdout.split('\n').slice(0, 2).join('\n'), '--- live/container/web\n+++ desired/container/web');
    assert.match(changed.stdout, /\n\+ {2}command:\n\+ {4}- httpd\n\+ {4}- -f\n/);
    const created = await run(['diff', '-f', '-'], CONTAINER('brand-new'));
    assert.equal(created.code, 1);
    assert.match(created.stdout, /^--- \/dev\/null\n\+\+\+ desired\/container\/brand-new\n/);
    const bad = await run(['diff', '-f', 'bad.yaml']);
    assert.equal(bad.code, 2);
    assert.equal((await run(['diff', '-f', 'does-not-exist.yaml'])).code, 2);
  });

  it('apply --prune removes only what these files no longer define', async () => {
    await writeFile(join(dir, 'm', 'sub', 'db.yaml'), CONTAINER('db2'));
    const r = await run(['apply', '-f', 'm', '--prune']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'image/app unchanged\ncontainer/web unchanged\ncontainer/db2 created\ncontainer/db pruned\n');
    // from-stdin came from another source: still there.
    assert.equal((await run(['get', 'container', 'from-stdin', '-o', 'name'])).stdout, 'container/from-stdin\n');
  });

  it('delete KIND NAME and delete -f', async () => {
    const one = await run(['delete', 'container', 'from-stdin']);
    assert.equal(one.stdout, 'container/from-stdin deleted\n');
    const missing = await run(['delete', 'ctr', 'from-stdin', 'db2']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, 'container/db2 deleted\n');
    assert.equal(missing.stderr, 'error: Container "from-stdin" not found\n');
    assert.equal((await run(['delete', 'ctr', 'from-stdin', '--ignore-not-found'])).code, 0);
    const byFile = await run(['delete', '-f', 'm/app.yaml']);
    assert.equal(byFile.stdout, 'image/app deleted\ncontainer/web deleted\n');
    assert.match((await run(['delete', 'container'])).stderr, /delete needs KIND NAME/);
  });

  it('events lists, and --follow streams new ones', async () => {
    const r = await run(['events']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^LAST SEEN {3}TYPE {5}REASON {3,}OBJECT {3,}MESSAGE\n/);
    assert.match(r.stdout, /\n\d+s {3,}Normal {3}Deleted {3,}image\/app {3,}deleted through the API\n/);
    const json = JSON.parse((await run(['events', 'container', 'web', '-o', 'json'])).stdout);
    assert.deepEqual(json.items.map((e: { reason: string }) => e.reason), ['Created', 'Deleted']);

    const child = spawn(process.execPath, [BERTH, 'events', '--follow', '-o', 'json', 'container', 'followed'], { env: { ...process.env, BERTH_SOCKET: d.socket } });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    try {
      // Apply until the follower has printed the event (it may not be subscribed yet the first time).
      await until('the follower prints the Created event', async () => {
        await run(['apply', '-f', '-'], CONTAINER('followed'));
        await run(['delete', 'container', 'followed']);
        return out.includes('"reason":"Created"') && out.includes('"reason":"Deleted"');
      });
      const first = JSON.parse(out.split('\n')[0]!);
      assert.equal(first.involvedObject.name, 'followed');
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('validate works without a daemon', async () => {
    const ok = await berth(['validate', '-f', join(REPO, 'manifests')], { socket: join(dir, 'nobody.sock') });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^container\/crashloop valid \(.*manifests\/crashloop\.yaml:\d+\)\n/);
    const bad = await berth(['validate', '-f', join(dir, 'bad.yaml')]);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.split('\n').length, 4);
    assert.match(bad.stderr, /bad\.yaml:13:10: Container "bad-one": spec\.image: no Image object named "nosuchimage"/);
    const json = JSON.parse((await berth(['validate', '-o', 'json', '-f', '-'], { input: 'kind: Image\nmetadata: {name: x}\n' })).stdout);
    assert.equal(json.valid, false);
    assert.deepEqual(json.errors[0], { file: '<stdin>', line: 1, col: 1, message: 'Image "x": missing required field "apiVersion" (use "berth.dev/v1")' });
  });

  it('schema prints the JSON Schema; docs/berth.schema.json is up to date', async () => {
    const r = await berth(['schema']);
    assert.equal(r.code, 0);
    const schema = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(schema.definitions), ['Image', 'Container', 'Volume', 'Pod', 'Deployment', 'ConfigMap', 'Secret', 'Service', 'PersistentVolumeClaim']);
    assert.equal(schema.definitions.Container.properties.spec.additionalProperties, false);
    assert.deepEqual(schema.definitions.Container.properties.spec.required, ['image']);
    assert.equal(r.stdout, await readFile(join(REPO, 'docs', 'berth.schema.json'), 'utf8'), 'run `bin/berth schema > docs/berth.schema.json`');
    const one = JSON.parse((await berth(['schema', 'ctr'])).stdout);
    assert.equal(one.properties.kind.const, 'Container');
    assert.match((await berth(['schema', '-o', 'yaml'])).stdout, /^\$schema: http:\/\/json-schema.org\/draft-07\/schema#\n/);
  });

  it('version shows client and daemon', async () => {
    const r = await run(['version']);
    assert.match(r.stdout, /^Client: \d+\.\d+\.\d+\nDaemon: \d+\.\d+\.\d+ \(berth\.dev\/v1\)\n$/);
  });
});

describe('berth daemon (process)', () => {
  it('serves, logs to stderr, stops cleanly on SIGTERM and on SIGINT', async () => {
    const tmp = await tempDir();
    try {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        const socket = join(tmp.path, signal, 'b.sock');
        const child = spawn(process.execPath, [BERTH, 'daemon', '--root', join(tmp.path, 'root'), '--socket', socket, '--metrics-addr', '127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (c) => (stderr += c));
        const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
        await until('the daemon answers', async () => (await berth(['get'], { socket })).code === 0);
        assert.equal((await berth(['apply', '-f', '-'], { socket, input: CONTAINER(`c-${signal.toLowerCase()}`) })).code, 0);
        child.kill(signal);
        assert.equal(await exited, 0, stderr);
        assert.match(stderr, /INFO {2}berth daemon serving version=\S+ root=\S+ socket=\S+/);
        assert.match(stderr, new RegExp(`INFO {2}stopping signal=${signal}\\n.*INFO {2}berth daemon stopped\\n$`, 's'));
        await assert.rejects(stat(socket), { code: 'ENOENT' });
      }
      // The state survived both restarts.
      const child = spawn(process.execPath, [BERTH, 'daemon', '--root', join(tmp.path, 'root'), '--socket', join(tmp.path, 'c.sock')], { stdio: 'ignore' });
      const exited = new Promise((r) => child.on('close', r));
      try {
        const r = await until('the daemon answers', async () => {
          const g = await berth(['get', 'ctr', '-o', 'name'], { socket: join(tmp.path, 'c.sock') });
          return g.code === 0 && g;
        });
        assert.equal(r.stdout, 'container/c-sigint\ncontainer/c-sigterm\n');
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
    } finally {
      await tmp.remove();
    }
  });

  it('stops cleanly on a SIGTERM that comes as soon as it serves, before its background work has started', async () => {
    const tmp = await tempDir();
    try {
      const socket = join(tmp.path, 'b.sock');
      const child = spawn(process.execPath, [BERTH, 'daemon', '--root', join(tmp.path, 'root'), '--socket', socket], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('close', (code, signal) => r([code, signal])));
      // The API answers from the "serving" line on; the signal goes at once, not after a request.
      await new Promise<void>((resolve) => child.stderr.on('data', (c) => {
        stderr += c;
        if (stderr.includes('berth daemon serving')) resolve();
      }));
      child.kill('SIGTERM');
      assert.deepEqual(await exited, [0, null], stderr);
      assert.match(stderr, /INFO {2}stopping signal=SIGTERM\n.*INFO {2}berth daemon stopped\n$/s);
      await assert.rejects(stat(socket), { code: 'ENOENT' });
    } finally {
      await tmp.remove();
    }
  });

  it('refuses to start with a missing watch directory', async () => {
    const tmp = await tempDir();
    try {
      const r = await berth(['daemon', '--root', join(tmp.path, 'root'), '--watch', join(tmp.path, 'nope')], { socket: join(tmp.path, 'b.sock') });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /error: --watch .*nope: not a directory; create it or fix the path\n$/);
      await assert.rejects(stat(join(tmp.path, 'b.sock')), { code: 'ENOENT' });
    } finally {
      await tmp.remove();
    }
  });
});
