// `ps -s` through the compiled CLI on a real container (runc): Docker's SIZE column — the bytes of
// the files in the container's writable layer, and that plus its image's size ("virtual").
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerSummary } from '../../specs/api/containers.ts';
import { insidePrivateNetns } from '../engine/network/harness.ts';
import { humanSize } from '../../cli/output.ts';
import { suiteWorld, until } from './helpers.ts';

if (insidePrivateNetns(import.meta.url)) {
  describe('ps -s', { timeout: 300_000 }, () => {
    const s = suiteWorld();
    const ok = s.ok;

    it('prints the writable layer\'s size and the virtual size, as Docker', async () => {
      await ok(['run', '-d', '--name', 'sz', s.w.image, 'sh', '-c', 'head -c 1234 /dev/zero > /blob; sleep 1000']);
      await until('the file is written', async () => (await s.cli(['exec', 'sz', 'test', '-s', '/blob'])).code === 0);
      const [c] = JSON.parse(await ok(['ps', '-s', '-o', 'json'])) as ContainerSummary[];
      assert.ok(c!.sizeRw! >= 1234, `sizeRw ${c!.sizeRw}`);
      const imageSize = c!.sizeRootFs! - c!.sizeRw!;
      assert.ok(imageSize > 0, `sizeRootFs ${c!.sizeRootFs}`);
      const want = `${humanSize(c!.sizeRw!)} (virtual ${humanSize(c!.sizeRootFs!)})`;
      assert.equal(await ok(['ps', '--format', '{{.Names}}: {{.Size}}']), `sz: ${want}\n`);
      const table = (await ok(['ps', '-s'])).split('\n');
      assert.match(table[0]!, /CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\s+SIZE$/);
      assert.ok(table[1]!.endsWith(`sz        ${want}`), table[1]);
      // Without -s (or .Size in the template) no sizes are asked for: Docker's columns only.
      assert.doesNotMatch((await ok(['ps'])).split('\n')[0]!, /SIZE/);
      await ok(['rm', '-f', 'sz']);
    });
  });
}
