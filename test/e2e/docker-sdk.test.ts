// The Docker SDK for Python (Debian's python3-docker, /usr/bin/python3) drives berth through the
// Docker Engine API: pull, create, start, exec, put/get archive, wait, logs, build, run --rm — real
// containers (runc) in a private network namespace.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { insidePrivateNetns } from '../engine/network/harness.ts';
import { world, type World } from './helpers.ts';

const SCRIPT = fileURLToPath(new URL('./fixtures/docker-sdk.py', import.meta.url));

if (insidePrivateNetns(import.meta.url)) {
  describe('the Docker SDK for Python drives berth', { timeout: 600_000 }, () => {
    let w: World;
    before(async () => {
      w = await world();
      await w.start({ dockerSocket: join(w.dir, 'docker.sock') });
    });
    after(async () => w?.teardown());

    it('pull, create, start, exec, put/get archive, wait, logs, build, run', async () => {
      const out = await new Promise<string>((resolve, reject) =>
        execFile('/usr/bin/python3', [SCRIPT], { env: { PATH: process.env.PATH ?? '', DOCKER_HOST: `unix://${join(w.dir, 'docker.sock')}`, IMG: w.image } }, (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
        ),
      );
      assert.equal(
        out,
        [
          "exec b'in-exec\\n'",
          'put True',
          "get a.txt b'archived\\n'",
          "wait {'StatusCode': 3, 'Error': None}",
          "logs b'py-out\\npy-err\\n'",
          'build True',
          "run b'sdk\\n'",
          '',
        ].join('\n'),
      );
    });
  });
}
