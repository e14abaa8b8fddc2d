// Image.spec.build in a manifest: the daemon's image controller builds it with the same builder
// (context relative to the manifest, build args, target), and a Container runs the result.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiClient } from '../../../cli/client.ts';
import { startDaemon, type Daemon } from '../../../server/daemon.ts';
import { createLogger } from '../../../server/log.ts';
import { removeCgroupParent } from './harness.ts';
import { berth, tempDir, until } from '../../fixtures/helpers.ts';

describe('Image.spec.build through the daemon', () => {
  let tmp: { path: string; remove(): Promise<void> };
  let daemon: Daemon;
  let socket: string;

  before(async () => {
    tmp = await tempDir('berth-build-manifest-');
    socket = join(tmp.path, 'berth.sock');
    daemon = await startDaemon(
      { root: join(tmp.path, 'root'), socket, watch: [], runtime: 'runc', cgroupParent: `berth-build-manifest-${process.pid}` },
      createLogger({ write: () => {} }),
    );
  });
  after(async () => {
    // Containers outlive the daemon by design: remove ours (the route waits until it is gone).
    if (daemon) await new ApiClient(socket).json('DELETE', '/v1/containers/built-app', { query: { force: true } }).catch(() => undefined);
    await daemon?.stop();
    await tmp?.remove();
    removeCgroupParent(`berth-build-manifest-${process.pid}`);
  });

  it('builds the image the manifest describes and runs a container from it', async () => {
    const dir = join(tmp.path, 'app');
    mkdirSync(join(dir, 'ctx'), { recursive: true });
    copyFileSync('/bin/busybox', join(dir, 'ctx', 'busybox'));
    chmodSync(join(dir, 'ctx', 'busybox'), 0o755);
    writeFileSync(
      join(dir, 'ctx', 'Dockerfile.app'),
      'FROM scratch AS base\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nFROM base AS app\nARG FLAVOUR\nRUN echo "flavour $FLAVOUR" > /flavour\nCMD ["cat", "/flavour"]\nFROM base AS unused\nRUN exit 1\n',
    );
    writeFileSync(
      join(dir, 'app.yaml'),
      `apiVersion: berth.dev/v1
kind: Image
metadata:
  name: app
spec:
  ref: localhost/manifest-built:1
  build:
    context: ./ctx
    dockerfile: Dockerfile.app
    target: app
    args: {FLAVOUR: vanilla}
---
apiVersion: berth.dev/v1
kind: Container
metadata:
  name: built-app
spec:
  image: localhost/manifest-built:1
  restartPolicy: Never
  network: host
`,
    );
    const applied = await berth(['apply', '-f', join(dir, 'app.yaml')], { socket });
    assert.equal(applied.code, 0, applied.stderr);
    const client = new ApiClient(socket);
    const image = await until('the Image is built', async () => {
      const o = await client.json<{ status: { phase?: string; digest?: string; message?: string } }>('GET', '/v1/objects/Image/app');
      if (o.status.phase === 'Failed') throw new Error(o.status.message);
      return o.status.phase === 'Ready' && o.status;
    }, 120_000);
    assert.match(image.digest!, /^sha256:/);
    await until('the container ran', async () => {
      const r = await berth(['logs', 'built-app'], { socket });
      return r.stdout === 'flavour vanilla\n';
    }, 120_000);
  });
});
