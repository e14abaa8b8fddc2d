// The container verbs end to end through the compiled CLI and a real daemon (in this process),
// with the in-memory engine standing in for the runtime and images (those parts are exercised by
// their own suites; here the subject is the verbs, the routes and the controllers between them).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { realClock } from '../../controllers/clock.ts';
import { startDaemon, type Daemon } from '../../server/daemon.ts';
import { createLogger } from '../../server/log.ts';
import { berth, tempDir } from '../fixtures/helpers.ts';
import { FakeEngine } from '../controllers/fake-engine.ts';

describe('container verbs (CLI → API → controllers)', () => {
  let tmp: { path: string; remove(): Promise<void> };
  let daemon: Daemon;
  let socket: string;
  const engine = new FakeEngine(realClock);
  const run = (args: string[]) => berth(args, { socket });

  before(async () => {
    tmp = await tempDir('berth-cli-');
    socket = join(tmp.path, 'berth.sock');
    engine.images.set('registry.test/busybox:1', { ref: 'registry.test/busybox:1', digest: `sha256:${'c'.repeat(64)}` });
    // `sh -c 'echo …; exit N'` stands for a process that prints and exits by itself.
    engine.onStart = (c) => {
      const script = c.args[0] === 'sh' ? c.args[2] ?? '' : '';
      const m = /^echo (.*); exit (\d+)$/.exec(script);
      if (m) {
        engine.logLines.set(c.id, [{ stream: 'stdout', time: new Date().toISOString(), log: `${m[1]}\n` }]);
        setTimeout(() => engine.containers.get(c.id)?.status === 'running' && engine.exit(c.id, Number(m[2])), 20);
      }
    };
    engine.execResult = (_id, o) => ({ exitCode: o.args[0] === 'false' ? 1 : 0, stdout: Buffer.from(`${o.args.join(' ')}\n`), stderr: Buffer.alloc(0) });
    daemon = await startDaemon({ root: join(tmp.path, 'root'), socket, watch: [] }, createLogger({ write: () => {} }), { engine });
  });
  after(async () => {
    await daemon?.stop();
    await tmp?.remove();
  });

  it('run without -d streams the output and exits with the container\'s code; --rm removes it', async () => {
    const r = await run(['run', '--rm', '--name', 'once', 'registry.test/busybox:1', 'sh', '-c', 'echo hello; exit 3']);
    assert.equal(r.stdout, 'hello\n');
    assert.equal(r.code, 3, r.stderr);
    const ps = await run(['ps', '-a', '-q']);
    assert.doesNotMatch(ps.stdout, /once/);
  });

  it('run -d prints the id; ps shows it Up; exec, logs, top, inspect', async () => {
    const r = await run(['run', '-d', '--name', 'web', '-e', 'A=1', '-m', '64m', 'registry.test/busybox:1', 'sleep', '1000']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ps = await run(['ps']);
    assert.match(ps.stdout, /^CONTAINER ID   IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\n/);
    assert.match(ps.stdout, new RegExp(`\\n${id.slice(0, 12)}   registry.test/busybox:1   "sleep 1000"\\s+.+ ago\\s+Up .+\\s+web\\n`));
    assert.equal((await run(['ps', '-q'])).stdout, `${id.slice(0, 12)}\n`);
    assert.equal((await run(['ps', '-q', '--no-trunc'])).stdout, `${id}\n`);
    assert.equal((await run(['ps', '--format', '{{.Names}} {{.Command}} {{.State}} {{.Label "berth.dev/run"}}'])).stdout, 'web "sleep 1000" running true\n');
    assert.equal((await run(['ps', '-a', '-f', 'name=^we', '-f', 'status=running', '--format', 'table {{.Names}}\\t{{.Image}}'])).stdout, 'NAMES     IMAGE\nweb       registry.test/busybox:1\n');
    assert.equal((await run(['ps', '-a', '-f', 'label=berth.dev/run=true', '-f', 'ancestor=registry.test/busybox:1', '-q'])).stdout.trim().split('\n').length, 1);
    assert.match((await run(['ps', '-f', 'colour=red'])).stderr, /--filter "colour" is not a filter ps knows/);
    const ex = await run(['exec', 'web', 'echo', 'hi']);
    assert.deepEqual([ex.code, ex.stdout], [0, 'echo hi\n']);
    assert.equal((await run(['exec', 'web', 'false'])).code, 1);
    engine.logLines.set(id, [1, 2, 3].map((i) => ({ stream: 'stdout' as const, time: `2026-01-01T00:00:0${i}.000000000Z`, log: `line ${i}\n` })));
    assert.equal((await run(['logs', 'web', '--tail', '2'])).stdout, 'line 2\nline 3\n');
    assert.equal((await run(['logs', '-t', 'web', '--tail', '1'])).stdout, '2026-01-01T00:00:03.000000000Z line 3\n');
    assert.equal((await run(['logs', '--since', '2026-01-01T00:00:02Z', 'web'])).stdout, 'line 2\nline 3\n');
    assert.equal((await run(['logs', '--until', '2026-01-01T00:00:02Z', '--details', 'web'])).stdout, 'line 1\n');
    assert.match((await run(['logs', '--since', 'yesterday-ish', 'web'])).stderr, /--since "yesterday-ish" is not a time/);
    assert.match((await run(['top', 'web'])).stdout, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD\nroot\s+\d+\s+1\s+0\s+-\s+\?\s+00:00:00\s+sleep 1000\n$/);
    // Docker's shape, and Go templates on it; an id prefix names the container too.
    const [info] = JSON.parse((await run(['inspect', 'web'])).stdout);
    assert.deepEqual([info.Id, info.Name, info.State.Status, info.State.Running, info.HostConfig.Memory], [id, '/web', 'running', true, 64 * 1024 * 1024]);
    assert.ok(info.Config.Env.includes('A=1'));
    assert.deepEqual([info.Path, info.Args, info.Config.Cmd, info.HostConfig.RestartPolicy], ['sleep', ['1000'], ['sleep', '1000'], { Name: 'no', MaximumRetryCount: 0 }]);
    const f = await run(['inspect', '-f', '{{.Name}} {{.State.Pid}} {{json .Config.Cmd}} {{upper .State.Status}}', id.slice(0, 8)]);
    assert.deepEqual([f.code, f.stdout], [0, `/web ${info.State.Pid} ["sleep","1000"] RUNNING\n`]);
    const bad = await run(['inspect', '-f', '{{.State.Pidd}}', 'web']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /can't evaluate field Pidd in type struct \(did you mean \.Pid\?\)/);
    const missing = await run(['inspect', 'web', 'nothing-here']);
    assert.equal(missing.code, 1);
    assert.equal(JSON.parse(missing.stdout).length, 1);
    assert.match(missing.stderr, /No such object: nothing-here/);
  });

  it('stop keeps it stopped (even restartPolicy Always), start runs it again; pause/unpause; kill', async () => {
    assert.equal((await run(['run', '-d', '--restart', 'always', '--name', 'svc', 'registry.test/busybox:1', 'sleep', '1000'])).code, 0);
    assert.deepEqual((await run(['stop', '-t', '0', 'svc'])).stdout, 'svc\n');
    assert.ok(engine.calls.some((c) => /^stop \S+ SIGTERM 0$/.test(c)), engine.calls.join(', '));
    assert.match((await run(['ps', '-a'])).stdout, /Exited \(143\) .* ago .*svc\n/);
    assert.doesNotMatch((await run(['ps'])).stdout, /svc/);
    assert.equal((await run(['start', 'svc'])).code, 0);
    assert.match((await run(['ps'])).stdout, /Up .*svc\n/);
    assert.equal((await run(['pause', 'svc'])).code, 0);
    assert.match((await run(['ps'])).stdout, /Up .* \(Paused\) .*svc\n/);
    assert.equal((await run(['unpause', 'svc'])).code, 0);
    assert.equal((await run(['kill', 'svc'])).code, 0);
    // Always: the killed process comes back, counted.
    const restarts = async () => (await run(['inspect', '-f', '{{.RestartCount}} {{.State.Status}}', 'svc'])).stdout;
    for (let i = 0; i < 100 && (await restarts()) !== '1 running\n'; i++);
    assert.equal(await restarts(), '1 running\n');
  });

  it('wait prints exit codes', async () => {
    assert.equal((await run(['run', '-d', '--name', 'five', 'registry.test/busybox:1', 'sh', '-c', 'echo x; exit 5'])).code, 0);
    assert.deepEqual(await run(['wait', 'five']), { code: 0, stdout: '5\n', stderr: '' });
    assert.match((await run(['wait', 'nobody'])).stderr, /no container named "nobody"/);
    const ev = (await run(['events', '-o', 'json', '--since', '10m', '--filter', 'container=five', '--filter', 'event=Started', '--filter', 'event=Exited'])).stdout;
    const items = (JSON.parse(ev) as { items: Array<{ reason: string; involvedObject: { name: string } }> }).items;
    assert.ok(items.length >= 2 && items.every((e) => e.involvedObject.name === 'five' && ['Started', 'Exited'].includes(e.reason)), ev);
    assert.equal((await run(['events', '--until', '2000-01-01T00:00:00Z', '--filter', 'type=container'])).stderr, 'No events found.\n');
    assert.match((await run(['events', '--filter', 'colour=red'])).stderr, /--filter "colour=red": use type=container\|image/);
  });

  it('rm refuses a running container without -f, and says so', async () => {
    const r = await run(['rm', 'web']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /container "web" is running: stop it first, or force the removal with `berth rm -f web`/);
    assert.equal((await run(['rm', '-f', 'web'])).code, 0);
    assert.doesNotMatch((await run(['ps', '-a'])).stdout, /\bweb\b/);
    const missing = await run(['logs', 'nope']);
    assert.match(missing.stderr, /no container named "nope"/);
  });

  it('management groups and kubectl forms: container ls|inspect|prune, system df|info, get/describe/delete KIND/NAME, apply --dry-run', async () => {
    assert.equal((await run(['run', '-d', '--name', 'grp', 'registry.test/busybox:1', 'sleep', '1000'])).code, 0);
    assert.match((await run(['container', 'ls'])).stdout, /Up .*grp\n/);
    assert.equal((await run(['container', 'inspect', '-f', '{{.Name}}', 'grp'])).stdout, '/grp\n');
    assert.match((await run(['get', 'container/grp'])).stdout, /grp/);
    assert.match((await run(['describe', 'container/grp'])).stdout, /grp/);
    assert.match((await run(['get', 'container/grp', 'extra'])).stderr, /give either KIND\/NAME or KIND NAME/);
    assert.match((await run(['system', 'df'])).stdout, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE\nImages\s+/);
    assert.match((await run(['system', 'info'])).stdout, /Containers: \d+\n  Running: \d+/);
    const file = join(tmp.path, 'dry.yaml');
    await writeFile(file, 'apiVersion: berth.dev/v1\nkind: Container\nmetadata: {name: dry}\nspec: {image: "registry.test/busybox:1"}\n');
    assert.equal((await run(['apply', '--dry-run=client', '-f', file])).stdout, 'container/dry created (dry run)\n');
    assert.equal((await run(['apply', '--dry-run=server', '-f', file])).stdout, 'container/dry created (dry run)\n');
    assert.match((await run(['apply', '--dry-run=maybe', '-f', file])).stderr, /--dry-run "maybe" must be client or server/);
    assert.equal((await run(['get', 'container/dry'])).code, 1, 'nothing was applied');
    assert.equal((await run(['stop', 'grp'])).code, 0);
    const pr = await run(['container', 'prune', '-f']);
    assert.match(pr.stdout, /^Deleted Containers:\n[0-9a-f]{64}\n/);
    assert.doesNotMatch((await run(['ps', '-a'])).stdout, /grp/);
    assert.equal((await run(['container', 'prune'], )).stdout, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ', 'not confirmed: nothing done');
  });

  it('apply --wait: exit 0 once Ready; exit 1 when an object fails', async () => {
    const file = join(tmp.path, 'app.yaml');
    await writeFile(file, 'apiVersion: berth.dev/v1\nkind: Container\nmetadata: {name: app}\nspec: {image: "registry.test/busybox:1", command: [sleep, "100"]}\n');
    const ok = await run(['apply', '--wait', '-f', file]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /container\/app ready/);
    const bad = join(tmp.path, 'bad.yaml');
    await writeFile(bad, 'apiVersion: berth.dev/v1\nkind: Image\nmetadata: {name: absent}\nspec: {ref: "registry.test/absent:1", pull: {policy: Never}}\n');
    const r = await run(['apply', '--wait', '--timeout', '30', '-f', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /image\/absent ErrImageNeverPull/);
  });
});
