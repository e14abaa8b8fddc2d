// End-to-end fixtures: a real registry holding a busybox-static image, and a real daemon with the
// runc runtime on a temporary root and its own cgroup parent; cleanup removes every container,
// mount and cgroup the test made, whatever state the daemon was left in.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ApiClient } from '../../cli/client.ts';
import { NativeRuntime } from '../../engine/runtime/native-runtime.ts';
import { RuncRuntime } from '../../engine/runtime/runc-runtime.ts';
import { startDaemon, type Daemon } from '../../server/daemon.ts';
import type { DaemonOptions } from '../../server/context.ts';
import { createLogger } from '../../server/log.ts';
import type { Resource } from '../../specs/objects.ts';
import { buildLayoutImage, pushToRegistry } from '../fixtures/images.ts';
import { startRegistry, type TestRegistry } from '../fixtures/registry.ts';
import { removeCgroupParent } from '../engine/runtime/conformance.ts';
import { berth, until, type CliResult } from '../fixtures/helpers.ts';
import { after, before } from 'node:test';

export { until };

export interface World {
  dir: string;
  root: string;
  socket: string;
  registry: TestRegistry;
  /** The busybox test image in the registry. */
  image: string;
  cgroupParent: string;
  /** Starts the daemon (in this process). */
  start(extra?: Partial<DaemonOptions>): Promise<Daemon>;
  daemon?: Daemon;
  client: ApiClient;
  /** Container object as stored, with status. */
  get(name: string): Promise<Resource & { status?: Record<string, unknown> }>;
  teardown(): Promise<void>;
}

export async function world(): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-e2e-'));
  const registry = await startRegistry();
  const img = buildLayoutImage(join(dir, 'src'));
  const image = `${registry.host}/test/busybox:v1`;
  pushToRegistry(img.layout, image);
  const root = join(dir, 'root');
  const socket = join(dir, 'berth.sock');
  const cgroupParent = `berth-e2e-${randomBytes(3).toString('hex')}`;
  const w: World = {
    dir,
    root,
    socket,
    registry,
    image,
    cgroupParent,
    client: new ApiClient(socket),
    async start(extra = {}) {
      w.daemon = await startDaemon({ root, socket, watch: [], runtime: 'runc', cgroupParent, ...extra }, createLogger({ level: 'error' }));
      return w.daemon;
    },
    async get(name) {
      return w.client.json('GET', `/v1/objects/container/${name}`);
    },
    async teardown() {
      await w.daemon?.stop().catch(() => undefined);
      await cleanupRoot(root, cgroupParent);
      await registry.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return w;
}

/**
 * A world for the enclosing suite: made and its daemon started before the suite's tests (after
 * `setup`, given the world), torn down after them; `cli` runs the compiled CLI against it (`ok`: and asserts it succeeded).
 */
export function suiteWorld(o: { setup?: (w: World) => void; daemon?: Partial<DaemonOptions> } = {}): { readonly w: World; cli(args: string[]): Promise<CliResult>; ok(args: string[]): Promise<string> } {
  let current: World | undefined;
  before(async () => {
    current = await world();
    o.setup?.(current);
    await current.start(o.daemon);
  });
  after(async () => current?.teardown());
  return {
    get w() {
      return current!;
    },
    cli: (args) => berth(args, { socket: current!.socket }),
    /** The CLI's stdout, asserting that it exited 0. */
    async ok(args) {
      const r = await berth(args, { socket: current!.socket });
      assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    },
  };
}

/** Force-removes every container under a data root and unmounts what is mounted there. */
export async function cleanupRoot(root: string, cgroupParent: string): Promise<void> {
  // Whichever runtime made them: the native one kills and removes any monitored container; runc's
  // own leftovers (its state under runtime/runc) go with the directory.
  for (const rt of [new NativeRuntime({ stateDir: join(root, 'runtime') }), new RuncRuntime({ stateDir: join(root, 'runtime') })]) {
    for (const s of await rt.list().catch(() => [])) await rt.delete(s.id, { force: true }).catch(() => undefined);
  }
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m && m.startsWith(root + '/'))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    try {
      execFileSync('umount', ['-l', m]);
    } catch {
      // Already gone.
    }
  }
  removeCgroupParent(cgroupParent);
}

export function containerManifest(name: string, image: string, spec: string): string {
  return `apiVersion: berth.dev/v1\nkind: Container\nmetadata:\n  name: ${name}\nspec:\n  image: ${image}\n${spec}`;
}

export async function apply(w: World, ...docs: string[]): Promise<void> {
  await w.client.json('POST', '/v1/apply', { body: { documents: docs.map((text, i) => ({ file: join(w.dir, `test-${i}.yaml`), text })) } });
}

export function phase(o: { status?: Record<string, unknown> }): string | undefined {
  return o.status?.phase as string | undefined;
}
