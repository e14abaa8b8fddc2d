// What the fleet benches (apply, scale) share: a loopback registry with a busybox image, a berth
// daemon (bin/berth, native runtime, its own root, socket and metrics port) and a private dockerd,
// both holding the image; N `sleep` containers as berth manifests and as docker-compose services.
// Each container is on its engine's default bridge network (a namespace, a veth, an address):
// berth's `berth`, a bridge network `bench` made once for compose's services (compose would make and
// remove one each round, and its removal races the containers' endpoints), `docker run`'s `bridge`;
// so the benches run inside a network namespace made for them (lib.ts insidePrivateNetns).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ApiClient } from '../cli/client.ts';
import { buildLayoutImage, pushToRegistry } from '../test/fixtures/images.ts';
import { startRegistry } from '../test/fixtures/registry.ts';
import { cleanupRoot } from '../test/e2e/helpers.ts';
import { startDockerd, type Dockerd } from './dockerd.ts';

export const run = promisify(execFile);
export const BERTH = join(fileURLToPath(new URL('..', import.meta.url)), 'bin', 'berth');

/**
 * Polls `check` every 100 ms: each poll lists every container (hundreds, in `bench scale`), and
 * polling every 20 ms was a tenth of the daemon's CPU during an apply of 100 (its profile) — load
 * the peer, whose `up -d` nobody polls, does not get. 100 ms is within the noise of an apply's time.
 * (An apply's wait for Running watches instead: Fleet.whenRunning.)
 */
export async function until(what: string, check: () => Promise<boolean>, limitMs = 900_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** N Container manifests `<prefix><i>` running `sleep 3600`. */
export function sleepManifests(n: number, image: string, prefix = 's'): string {
  return Array.from({ length: n }, (_, i) => `apiVersion: berth.dev/v1\nkind: Container\nmetadata: {name: ${prefix}${i}}\nspec:\n  image: ${image}\n  command: [sleep, "3600"]\n  terminationGracePeriodSeconds: 0\n`).join('---\n');
}

/** The same N containers as a docker-compose file, on the bridge network `bench`. */
export function sleepCompose(n: number, image: string, prefix = 's'): string {
  const services = Array.from({ length: n }, (_, i) => `  ${prefix}${i}:\n    image: ${image}\n    command: [sleep, "3600"]\n    stop_grace_period: 0s\n`);
  return `version: "2.4"\nnetworks:\n  default:\n    external: {name: bench}\nservices:\n${services.join('')}`;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

export interface BerthDaemon {
  pid: number;
  socket: string;
  /** The environment for bin/berth against this daemon. */
  env: NodeJS.ProcessEnv;
  client: ApiClient;
  root: string;
  /** Stops it (SIGTERM), then removes its containers' mounts, cgroups and root. */
  stop(): Promise<void>;
}

/**
 * A berth daemon as a user starts it: bin/berth itself, a process of its own, so that its #! line's
 * Node flags and malloc settings apply (an in-process daemon under the bench's tsx had neither: its
 * pulls were twice as fast as a user's before the unpack workers' malloc was mended).
 */
export async function spawnBerthDaemon(dir: string, extra: string[] = []): Promise<BerthDaemon> {
  const root = join(dir, 'root');
  const socket = join(dir, 'berth.sock');
  const cgroupParent = `berth-bench-${process.pid}`;
  const env = { ...process.env, BERTH_SOCKET: socket };
  const daemon: ChildProcess = spawn(BERTH, ['daemon', '--root', root, '--socket', socket, '--runtime', 'native', '--cgroup-parent', cgroupParent, ...extra], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...env, BERTH_LOG_LEVEL: 'warn' },
  });
  const client = new ApiClient(socket);
  const stop = async () => {
    daemon.kill('SIGTERM');
    if (daemon.exitCode === null) await new Promise((r) => daemon.once('exit', r));
    await cleanupRoot(root, cgroupParent);
  };
  try {
    await until('berth daemon', async () => (await client.json<{ ok: boolean }>('GET', '/v1/ping').catch(() => ({ ok: false }))).ok, 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { pid: daemon.pid!, socket, env, client, root, stop };
}

export interface Fleet {
  tmp: string;
  image: string;
  dockerd: Dockerd;
  /** Environment for docker-compose against the private dockerd. */
  composeEnv: NodeJS.ProcessEnv;
  berth: BerthDaemon & { metricsUrl: string };
  /** Running berth containers (phase Running). */
  running(): Promise<number>;
  /**
   * Resolves once `n` Containers are Running (their status in the store), from one watch of the
   * Container objects: the objects as they are, then each change. Call it before the apply. Waiting
   * so instead of polling the list every 100 ms: at 500 containers those listings (each of every
   * container, parsed and serialized) were 8% of the daemon's CPU during the apply, and more of its GC.
   */
  whenRunning(n: number): Promise<void>;
  /** Every berth container, whatever its phase. */
  all(): Promise<number>;
  stop(): Promise<void>;
}

export async function startFleet(prefix: string): Promise<Fleet> {
  const tmp = mkdtempSync(join(tmpdir(), `berth-bench-${prefix}-`));
  const registry = await startRegistry();
  const image = `${registry.host}/bench/busybox:1`;
  pushToRegistry(buildLayoutImage(join(tmp, 'src')).layout, image);
  const dockerd = await startDockerd({ insecureRegistries: [registry.host], bridge: true });
  const metricsAddr = `127.0.0.1:${await freePort()}`;
  let berth: BerthDaemon;
  try {
    berth = await spawnBerthDaemon(tmp, ['--metrics-addr', metricsAddr]);
  } catch (err) {
    await dockerd.stop();
    await registry.stop();
    throw err;
  }
  const { client, env } = berth;
  const count = async (all: boolean) => {
    const items = (await client.json<{ items: Array<{ phase: string }> }>('GET', '/v1/containers', { query: { all } })).items;
    return all ? items.length : items.filter((i) => i.phase === 'Running').length;
  };
  const stop = async () => {
    await berth.stop();
    await dockerd.stop();
    await registry.stop();
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    await run(process.execPath, [BERTH, 'pull', image], { env });
    await dockerd.docker(['pull', '-q', image]);
    await dockerd.docker(['network', 'create', 'bench']);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    tmp,
    image,
    dockerd,
    // compose's 60 s HTTP timeout is too short for hundreds of containers on a loaded host. And
    // Debian's docker-compose 1.29.2 hangs for good when a project has more services than its
    // COMPOSE_PARALLEL_LIMIT (default 64; 8 hangs too): `up -d` of 200 created 40-44 containers and
    // then nothing, compose's threads all waiting and dockerd idle (its goroutine dump), for 20
    // minutes. With the limit above N it finishes (200 in 63 s).
    composeEnv: { ...process.env, DOCKER_HOST: `unix://${dockerd.socket}`, COMPOSE_HTTP_TIMEOUT: '900', COMPOSE_PARALLEL_LIMIT: '1024' },
    berth: { ...berth, metricsUrl: `http://${metricsAddr}/metrics` },
    running: () => count(false),
    whenRunning: async (n) => {
      const running = new Set<string>();
      type Change = { type: string; object: { metadata: { name: string }; status?: { phase?: string } } };
      for await (const c of client.stream<Change>('GET', '/v1/objects', { query: { kind: 'Container', watch: true } })) {
        if (c.type !== 'deleted' && c.object.status?.phase === 'Running') running.add(c.object.metadata.name);
        else running.delete(c.object.metadata.name);
        if (running.size >= n) return;
      }
      throw new Error(`the watch of Containers ended with ${running.size} of ${n} Running`);
    },
    all: () => count(true),
    stop,
  };
}
