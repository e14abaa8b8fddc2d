// The Docker-style verbs through the compiled CLI against a daemon running real containers (runc).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { suiteWorld, until } from './helpers.ts';

describe('container verbs on real containers', () => {
  const s = suiteWorld();
  const cli = s.cli;

  it('run --rm streams the output and exits with the container\'s code', async () => {
    const r = await cli(['run', '--rm', s.w.image, 'sh', '-c', 'echo out; echo err >&2; exit 7']);
    assert.equal(r.code, 7, r.stderr);
    assert.equal(r.stdout, 'out\n');
    assert.match(r.stderr, /err/);
    const ps = await cli(['ps', '-a', '-q']);
    assert.equal(ps.stdout.trim(), '', '--rm removed it');
  });

  it('run -d, ps, logs, exec, stats, top, pause/unpause, stop/start, kill, rm', async () => {
    const d = await cli(['run', '-d', '--name', 'svc', '-e', 'WHO=berth', '-m', '32Mi', s.w.image, 'sh', '-c', "trap 'exit 0' TERM; echo hello $WHO; while true; do sleep 0.2; done"]);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout.trim(), /^[0-9a-f]{64}$/);
    const ps = await cli(['ps']);
    assert.match(ps.stdout, /svc .*Up/);
    await until('logs', async () => (await cli(['logs', 'svc'])).stdout.includes('hello berth'));
    const ex = await cli(['exec', 'svc', 'sh', '-c', 'echo $((6*7)); exit 3']);
    assert.equal(ex.code, 3);
    assert.equal(ex.stdout, '42\n');
    const st = await cli(['stats', '--no-stream']);
    assert.match(st.stdout, /svc .*\/ 32\.0MiB/);
    const top = await cli(['top', 'svc']);
    assert.match(top.stdout, /while true/);
    assert.equal((await cli(['pause', 'svc'])).code, 0);
    assert.match((await cli(['ps'])).stdout, /Paused/);
    assert.equal((await cli(['unpause', 'svc'])).code, 0);
    const stop = await cli(['stop', 'svc']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match((await cli(['ps', '-a'])).stdout, /svc .*Exited \(0\)/);
    assert.equal((await cli(['start', 'svc'])).code, 0);
    assert.match((await cli(['ps'])).stdout, /svc .*Up/);
    const insp = JSON.parse((await cli(['inspect', 'svc'])).stdout);
    assert.equal((Array.isArray(insp) ? insp[0] : insp).metadata.name, 'svc');
    assert.equal((await cli(['kill', 'svc'])).code, 0);
    const rm = await cli(['rm', '-f', 'svc']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.doesNotMatch((await cli(['ps', '-a'])).stdout, /svc/);
  });

  it('names what went wrong: an image that does not exist, a command that is not there', async () => {
    const missing = await cli(['run', '--rm', `${s.w.registry.host}/nope/nothing:1`, 'true']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /not found|nothing/);
    const nocmd = await cli(['run', '--rm', s.w.image, '/bin/does-not-exist']);
    assert.notEqual(nocmd.code, 0);
    assert.match(nocmd.stderr, /does-not-exist/);
  });
});
