// Container logs rotated as Docker's json-file driver rotates them (log-opts max-size, max-file):
// the monitor keeps max-file files (log.json, log.json.1 … the oldest dropped), or starts the one
// file over when max-file is 1; `logs` reads them all, oldest first.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { NativeRuntime } from '../../../engine/runtime/native-runtime.ts';
import { harness } from './conformance.ts';

/** 60 lines, one at a time: the monitor writes each as its own entry, about 90 bytes. */
const COUNT = { args: ['sh', '-c', 'for i in $(seq 1 60); do echo line-$i; sleep 0.01; done'] };

for (const files of [3, 1]) {
  describe(`container logs with max-size 1k, max-file ${files}`, () => {
    let rt: NativeRuntime;
    const h = harness((stateDir) => (rt = new NativeRuntime({ stateDir, logMaxBytes: 1024, logMaxFiles: files })));
    before(() => h.setup());
    after(() => h.teardown());

    it(`keeps ${files} file${files === 1 ? '' : 's'}, and the logs read are the newest lines, in order`, async () => {
      const id = await h.start(COUNT);
      const lines = (await h.stdout(id)).split('\n').filter(Boolean);
      const log = rt.paths(id).log;
      const present = [log, ...[1, 2, 3].map((k) => `${log}.${k}`)].map((p) => existsSync(p));
      assert.deepEqual(present, [true, files > 1, files > 2, false]);
      // Whatever was dropped is the oldest: the lines left run without a gap to the last one.
      const first = Number(lines[0]!.slice('line-'.length));
      assert.ok(first > 1, `the oldest lines were dropped (first: ${lines[0]})`);
      assert.deepEqual(lines, Array.from({ length: 61 - first }, (_, i) => `line-${first + i}`));
    });
  });
}
