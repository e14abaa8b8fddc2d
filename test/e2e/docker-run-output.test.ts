// `docker run --rm` of a container that writes much, fast, and ends at once: the docker CLI gets
// every byte of it before the container is removed (the auto-removal must not cut the attached
// output short), on stdout and stderr apart, and its exit code.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { insidePrivateNetns } from '../engine/network/harness.ts';
import { world, type World } from './helpers.ts';
import { DOCKER, dockerCli, dockerEnv } from './docker-clients.ts';

if (insidePrivateNetns(import.meta.url)) {
  describe('docker run --rm keeps all of a fast, large output', { timeout: 300_000 }, () => {
    let w: World;
    let docker: ReturnType<typeof dockerCli>;
    before(async () => {
      w = await world();
      await w.start({ dockerSocket: join(w.dir, 'docker.sock') });
      docker = dockerCli(w);
      assert.equal((await docker(['pull', w.image])).code, 0);
    });
    after(async () => {
      await w?.teardown();
    });

    const expected = (n: number) => Array.from({ length: n }, (_, i) => `${i + 1}\n`).join('');

    // A reader that takes its time: the container has ended (and would be removed) long before the
    // client has read its output.
    for (const slow of [false, true]) {
      it(`${slow ? 'a slow reader' : 'a fast reader'}: 200000 lines on stdout, 1000 on stderr, exit code 7, nothing left behind`, async () => {
        const run = `${DOCKER} run --rm --network none ${w.image} sh -c 'seq 1 1000 >&2; seq 1 200000; exit 7'`;
        const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
          execFile('bash', ['--norc', '--noprofile', '-c', slow ? `set -o pipefail; ${run} | (sleep 3; cat)` : run], { cwd: w.dir, env: dockerEnv(w), maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
            resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
          ),
        );
        assert.equal(r.code, 7, r.stderr.slice(-300));
        const lines = (s: string) => `${s.length} bytes, ${s.split('\n').length - 1} lines, from ${JSON.stringify(s.slice(0, 80))} to ${JSON.stringify(s.slice(-40))}`;
        assert.ok(r.stdout === expected(200000), `stdout: ${lines(r.stdout)}`);
        assert.ok(r.stderr === expected(1000), `stderr: ${lines(r.stderr)}`);
        const ps = await docker(['ps', '-aq']);
        assert.equal(ps.stdout, '');
      });
    }
  });
}
