// BerthEngine's own decisions, on fakes of its narrow ports (engine/deps.ts) and of the Runtime:
// the bookkeeping of create/start/stop/remove/list, the undo of a failed create, the lock that keeps
// start, stop and remove of one container from interleaving. Pure unit test: the real runtimes,
// snapshots and networks are tested in test/engine/{runtime,images,network} and end to end.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { BerthEngine, type BerthEngineOptions } from '../../engine/berth-engine.ts';
import type { OciConfig } from '../../engine/bundle.ts';
import type { EngineImage, NetworkAttachment, NetworkPort, SnapshotsPort } from '../../engine/deps.ts';
import type { CreateRequest } from '../../engine/engine.ts';
import type { ContainerState, ExecResult, Runtime } from '../../engine/runtime/runtime.ts';
import { ContainerSpec } from '../../specs/schema.ts';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, UnavailableError } from '../../specs/errdefs.ts';
import type { ExitInfo, LogEntry, Stats } from '../../specs/api/containers.ts';

const IMAGE: EngineImage = { ref: 'registry.test/app:1', digest: `sha256:${'1'.repeat(64)}`, size: 10, config: { Cmd: ['serve'], StopSignal: 'SIGQUIT' } };
const idOf = (n: number) => n.toString(16).padStart(64, '0');

/** A gate the test opens: a fake's step waits on it. */
function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

class FakeRuntime implements Runtime {
  readonly name = 'fake';
  readonly states = new Map<string, ContainerState>();
  readonly calls: string[];
  runGate?: Promise<void>;
  #pid = 100;
  constructor(calls: string[]) {
    this.calls = calls;
  }
  #get(id: string): ContainerState {
    const s = this.states.get(id);
    if (!s) throw new NotFoundError(`container ${id} not found in the runtime`);
    return s;
  }
  async run(o: { id: string; bundle: string }): Promise<ContainerState> {
    this.calls.push(`runtime.run ${o.id.slice(-1)}`);
    if (this.runGate) await this.runGate;
    if (this.states.has(o.id)) throw new FailedPreconditionError(`container ${o.id} already exists in the runtime; delete it first`);
    const s: ContainerState = { id: o.id, bundle: o.bundle, status: 'running', pid: this.#pid++, createdAt: 't0', startedAt: 't1' };
    this.states.set(o.id, s);
    this.calls.push(`runtime.running ${o.id.slice(-1)}`);
    return { ...s };
  }
  async state(id: string): Promise<ContainerState> {
    return { ...this.#get(id) };
  }
  async list(): Promise<ContainerState[]> {
    return [...this.states.values()].map((s) => ({ ...s }));
  }
  async kill(id: string, signal: string): Promise<void> {
    this.#get(id);
    this.calls.push(`runtime.kill ${id.slice(-1)} ${signal}`);
  }
  async stop(id: string, o: { signal?: string; timeoutSeconds?: number } = {}): Promise<ExitInfo> {
    const s = this.#get(id);
    this.calls.push(`runtime.stop ${id.slice(-1)} ${o.signal} ${o.timeoutSeconds}`);
    s.status = 'stopped';
    s.pid = 0;
    s.exit = { exitCode: 0, oomKilled: false, finishedAt: 't2' };
    return s.exit;
  }
  async pause(id: string): Promise<void> {
    this.#get(id).status = 'paused';
  }
  async resume(id: string): Promise<void> {
    this.#get(id).status = 'running';
  }
  async update(id: string): Promise<void> {
    this.#get(id);
    this.calls.push(`runtime.update ${id.slice(-1)}`);
  }
  async exec(id: string): Promise<ExecResult> {
    this.#get(id);
    return { exitCode: 0, stdout: Buffer.from('out'), stderr: Buffer.alloc(0) };
  }
  // Streams are the monitored runtimes' (test/engine/runtime/); this engine test has no process.
  async attach(id: string): Promise<never> {
    this.#get(id);
    throw new FailedPreconditionError(`the fake runtime has no streams for ${id}`);
  }
  async execSession(id: string): Promise<never> {
    this.#get(id);
    throw new FailedPreconditionError(`the fake runtime has no streams for ${id}`);
  }
  async stats(id: string): Promise<Stats> {
    this.#get(id);
    return { cpuUsageSeconds: 1, memoryUsageBytes: 2, memoryWorkingSetBytes: 2, memoryLimitBytes: 0, pids: 1, readAt: 't3' };
  }
  async wait(id: string): Promise<ExitInfo> {
    const s = this.#get(id);
    if (!s.exit) throw new Error('the fake waits only for ended containers');
    return s.exit;
  }
  async *logs(id: string): AsyncIterable<LogEntry> {
    this.#get(id);
    yield { stream: 'stdout', log: 'hello\n', time: 't1' };
  }
  async delete(id: string): Promise<void> {
    this.calls.push(`runtime.delete ${id.slice(-1)}`);
    this.states.delete(id);
  }
}

interface World {
  root: string;
  calls: string[];
  runtime: FakeRuntime;
  attached: Map<string, { network: string; name: string }>;
  /** The next network attach fails with this. */
  attachError?: Error;
  /** The next snapshot prepare waits for this. */
  prepareGate?: Promise<void>;
  nextIp: string;
  engine: BerthEngine;
}

function world(o: { network?: boolean; push?: boolean } = {}): World {
  const root = mkdtempSync(join(tmpdir(), 'berth-engine-'));
  const calls: string[] = [];
  const w = { root, calls, runtime: new FakeRuntime(calls), attached: new Map(), nextIp: '10.88.0.2' } as unknown as World;
  const snapshots: SnapshotsPort = {
    async prepare(key) {
      calls.push(`snapshots.prepare ${key.slice(-1)}`);
      if (w.prepareGate) await w.prepareGate;
      const rootfs = join(root, 'snapshots', key);
      mkdirSync(join(rootfs, 'etc'), { recursive: true });
      writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nweb:x:1000:1000::/home/web:/bin/sh\n');
      return { rootfs };
    },
    async remove(key) {
      calls.push(`snapshots.remove ${key.slice(-1)}`);
      rmSync(join(root, 'snapshots', key), { recursive: true, force: true });
    },
  };
  const network: NetworkPort = {
    async attach(id, a): Promise<NetworkAttachment> {
      calls.push(`network.attach ${id.slice(-1)} ${a.network}`);
      if (w.attachError) {
        const e = w.attachError;
        delete w.attachError;
        throw e;
      }
      w.attached.set(id, { network: a.network, name: a.name });
      const dir = join(root, 'net', id);
      mkdirSync(dir, { recursive: true });
      return { netnsPath: `/run/netns/${id}`, ipAddress: w.nextIp, hostsFile: join(dir, 'hosts'), resolvConfFile: join(dir, 'resolv.conf') };
    },
    async detach(id) {
      calls.push(`network.detach ${id.slice(-1)}`);
      w.attached.delete(id);
    },
    async stats() {
      return { rxBytes: 5, txBytes: 6 };
    },
  };
  const options: BerthEngineOptions = {
    root,
    runtime: w.runtime,
    images: {
      ensure: async (ref) => ({ ...IMAGE, ref }),
      resolve: async (ref) => (ref === IMAGE.ref || ref === IMAGE.digest ? IMAGE : undefined),
      ...(o.push ? { push: async (ref: string) => void calls.push(`images.push ${ref}`) } : {}),
    },
    snapshots,
    ...(o.network === false ? {} : { network }),
  };
  w.engine = new BerthEngine(options);
  return w;
}

function request(n: number, spec: Record<string, unknown> = {}, name = 'web'): CreateRequest {
  return {
    id: idOf(n),
    owner: { name, uid: `uid-${name}`, generation: 1, specHash: 'h1' },
    spec: ContainerSpec.parse({ image: IMAGE.ref, ...spec }),
    image: { ref: IMAGE.ref, digest: IMAGE.digest },
  };
}

/** Lets the event loop turn until `cond` holds (a bounded number of turns, then fails). */
async function turnsUntil(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`never happened: ${what}`);
}

const is = (cls: new (...a: never[]) => Error, re: RegExp) => (e: Error) => e instanceof cls && re.test(e.message);

describe('BerthEngine on fakes of its ports', () => {
  let w: World;
  beforeEach(() => {
    w = world();
  });
  afterEach(() => rmSync(w.root, { recursive: true, force: true }));

  const dir = (n: number) => join(w.root, 'containers', idOf(n));
  const record = (n: number) => JSON.parse(readFileSync(join(dir(n), 'container.json'), 'utf8')) as Record<string, unknown>;
  const config = (n: number) => JSON.parse(readFileSync(join(dir(n), 'config.json'), 'utf8')) as OciConfig;

  describe('create', () => {
    it('writes the bundle and the record; a spec without network joins the default network', async () => {
      const c = await w.engine.create(request(1));
      assert.deepEqual(c, { id: idOf(1), owner: request(1).owner, image: IMAGE.ref, imageDigest: IMAGE.digest, status: 'created', pid: 0, createdAt: c.createdAt, ipAddress: '10.88.0.2', networks: [{ name: 'bridge', ipAddress: '10.88.0.2' }], stopTimeoutSeconds: 30 });
      assert.deepEqual(w.calls, ['snapshots.prepare 1', 'network.attach 1 bridge']);
      const rec = record(1);
      assert.deepEqual([rec.stopSignal, rec.network], ['SIGQUIT', { mode: 'bridge', ipAddress: '10.88.0.2' }]);
      const cfg = config(1);
      assert.deepEqual(cfg.process.args, ['serve']);
      assert.equal(cfg.root.path, join(w.root, 'snapshots', idOf(1)));
      assert.equal(cfg.linux.cgroupsPath, `/berth/${idOf(1)}`);
      assert.deepEqual(cfg.linux.namespaces.find((n) => n.type === 'network'), { type: 'network', path: `/run/netns/${idOf(1)}` });
      assert.equal(cfg.annotations['dev.berth.container.name'], 'web');
      // The network's name service files; the hostname file in the container's directory.
      const etc = Object.fromEntries(cfg.mounts.filter((m) => m.destination.startsWith('/etc/')).map((m) => [m.destination, m.source]));
      assert.deepEqual(etc, { '/etc/resolv.conf': join(w.root, 'net', idOf(1), 'resolv.conf'), '/etc/hostname': join(dir(1), 'hostname'), '/etc/hosts': join(w.root, 'net', idOf(1), 'hosts') });
      assert.equal(readFileSync(join(dir(1), 'hostname'), 'utf8'), 'web\n');
    });

    it('shares the host network only when asked for (network: host): no namespace, copies of the host files', async () => {
      await w.engine.create(request(9, { network: 'host' }));
      assert.deepEqual(w.calls, ['snapshots.prepare 9']);
      assert.deepEqual(record(9).network, { mode: 'host' });
      const cfg = config(9);
      assert.equal(cfg.linux.namespaces.some((n) => n.type === 'network'), false);
      // The host's network: copies of the host's name service files in the container's directory.
      const etc = Object.fromEntries(cfg.mounts.filter((m) => m.destination.startsWith('/etc/')).map((m) => [m.destination, m.source]));
      assert.deepEqual(etc, { '/etc/resolv.conf': join(dir(9), 'resolv.conf'), '/etc/hostname': join(dir(9), 'hostname'), '/etc/hosts': join(dir(9), 'hosts') });
    });

    it('attaches to the default network when the spec publishes ports, and joins its namespace', async () => {
      const c = await w.engine.create(request(2, { ports: [{ containerPort: 80, hostPort: 8080 }] }));
      assert.equal(c.ipAddress, '10.88.0.2');
      assert.deepEqual(w.calls, ['snapshots.prepare 2', 'network.attach 2 bridge']);
      assert.deepEqual(record(2).network, { mode: 'bridge', ipAddress: '10.88.0.2', ports: [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }] });
      const cfg = config(2);
      assert.deepEqual(cfg.linux.namespaces.find((n) => n.type === 'network'), { type: 'network', path: `/run/netns/${idOf(2)}` });
      assert.equal(cfg.mounts.find((m) => m.destination === '/etc/hosts')?.source, join(w.root, 'net', idOf(2), 'hosts'));
    });

    it('refuses an id that is not 64 hex characters, and an id that exists, touching nothing', async () => {
      await assert.rejects(w.engine.create({ ...request(1), id: 'web' }), is(InvalidArgumentError, /must be 64 lowercase hex/));
      await w.engine.create(request(1));
      w.calls.length = 0;
      await assert.rejects(w.engine.create(request(1)), is(InvalidArgumentError, /already exists/));
      assert.deepEqual(w.calls, []);
      assert.ok(existsSync(join(dir(1), 'container.json')), 'the existing container is left alone');
    });

    it('undoes a failed create, last step first: network, snapshot, directory', async () => {
      w.attachError = new UnavailableError('CNI ADD failed');
      await assert.rejects(w.engine.create(request(3, { network: 'backend' })), is(UnavailableError, /CNI ADD failed/));
      assert.deepEqual(w.calls, ['snapshots.prepare 3', 'network.attach 3 backend', 'network.detach 3', 'snapshots.remove 3']);
      assert.equal(existsSync(dir(3)), false);
      await assert.rejects(w.engine.inspect(idOf(3)), NotFoundError);
      assert.deepEqual(await w.engine.list(), []);
    });

    it('undoes a create whose spec cannot run, and one whose image is gone', async () => {
      await assert.rejects(w.engine.create(request(4, { command: [] })), is(InvalidArgumentError, /no command to run/));
      await assert.rejects(w.engine.create({ ...request(5), image: { ref: 'registry.test/gone:1', digest: `sha256:${'2'.repeat(64)}` } }), is(NotFoundError, /not in the content store; pull it first/));
      assert.deepEqual(w.calls, []);
      assert.equal(existsSync(dir(4)) || existsSync(dir(5)), false);
    });

    it('refuses a network when the daemon has no network manager, and undoes the snapshot', async () => {
      const bare = world({ network: false });
      try {
        await assert.rejects(bare.engine.create(request(6, { network: 'bridge' })), is(FailedPreconditionError, /needs the network manager/));
        assert.deepEqual(bare.calls, ['snapshots.prepare 6', 'snapshots.remove 6']);
        assert.equal(existsSync(join(bare.root, 'containers', idOf(6))), false);
      } finally {
        rmSync(bare.root, { recursive: true, force: true });
      }
    });
  });

  describe('start, stop, remove', () => {
    it('starts the bundle in the container directory once, leaving the record as create wrote it', async () => {
      await w.engine.create(request(1));
      const written = readFileSync(join(dir(1), 'container.json'), 'utf8');
      w.calls.length = 0;
      const c = await w.engine.start(idOf(1));
      assert.equal(c.status, 'running');
      assert.ok(c.pid > 0);
      assert.equal(w.runtime.states.get(idOf(1))?.bundle, dir(1));
      assert.equal(readFileSync(join(dir(1), 'container.json'), 'utf8'), written);
      assert.deepEqual(w.calls, ['snapshots.prepare 1', 'network.attach 1 bridge', 'runtime.run 1', 'runtime.running 1']);
      await assert.rejects(w.engine.start(idOf(1)), is(FailedPreconditionError, /already running/));
    });

    it('stops with the image stop signal unless told another, and starts again after deleting the ended process', async () => {
      await w.engine.create(request(1));
      await assert.rejects(w.engine.stop(idOf(1), { timeoutSeconds: 3 }), is(FailedPreconditionError, /never started/));
      await w.engine.start(idOf(1));
      assert.equal((await w.engine.stop(idOf(1), { timeoutSeconds: 3 })).exitCode, 0);
      assert.equal((await w.engine.inspect(idOf(1))).status, 'stopped');
      w.calls.length = 0;
      const again = await w.engine.start(idOf(1));
      assert.equal(again.status, 'running');
      await w.engine.stop(idOf(1), { signal: 'SIGUSR1', timeoutSeconds: 1 });
      assert.deepEqual(w.calls, ['runtime.delete 1', 'snapshots.prepare 1', 'network.attach 1 bridge', 'runtime.run 1', 'runtime.running 1', 'runtime.stop 1 SIGUSR1 1']);
    });

    it('re-attaches the network at start and keeps a new address in the record', async () => {
      await w.engine.create(request(2, { ports: [{ containerPort: 80 }] }));
      w.nextIp = '10.88.0.9';
      const c = await w.engine.start(idOf(2));
      assert.equal(c.ipAddress, '10.88.0.9');
      assert.equal((record(2).network as { ipAddress: string }).ipAddress, '10.88.0.9');
      assert.equal((await w.engine.inspect(idOf(2))).ipAddress, '10.88.0.9');
    });

    it('lets a stop wait for the start in progress (one operation at a time per container)', async () => {
      await w.engine.create(request(1));
      const g = gate();
      w.runtime.runGate = g.wait;
      w.calls.length = 0;
      const starting = w.engine.start(idOf(1));
      // Unlocked, the stop would look now, find no process and fail with "never started".
      const stopping = w.engine.stop(idOf(1), { timeoutSeconds: 2 });
      const { calls } = w;
      try {
        await turnsUntil(() => calls.includes('runtime.run 1'), 'the start reaches the runtime');
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
        assert.deepEqual(calls, ['snapshots.prepare 1', 'network.attach 1 bridge', 'runtime.run 1'], 'stop has not begun');
      } finally {
        g.open();
      }
      await starting;
      assert.equal((await stopping).exitCode, 0);
      assert.deepEqual(w.calls, ['snapshots.prepare 1', 'network.attach 1 bridge', 'runtime.run 1', 'runtime.running 1', 'runtime.stop 1 SIGQUIT 2']);
    });

    it('removes a stopped container entirely; a running one only with force', async () => {
      await w.engine.create(request(2, { ports: [{ containerPort: 80 }] }));
      await w.engine.start(idOf(2));
      await assert.rejects(w.engine.remove(idOf(2)), is(FailedPreconditionError, /is running; stop it first or remove it with force/));
      w.calls.length = 0;
      await w.engine.remove(idOf(2), { force: true });
      assert.deepEqual(w.calls, ['runtime.delete 2', 'network.detach 2', 'snapshots.remove 2']);
      assert.equal(existsSync(dir(2)), false);
      await assert.rejects(w.engine.inspect(idOf(2)), NotFoundError);
      // Never started: nothing in the runtime to delete.
      await w.engine.create(request(3, { network: 'host' }));
      w.calls.length = 0;
      await w.engine.remove(idOf(3));
      assert.deepEqual(w.calls, ['network.detach 3', 'snapshots.remove 3']);
      await assert.rejects(w.engine.remove('nope'), is(InvalidArgumentError, /must be 64 lowercase hex/));
    });

    it('answers the per-container verbs from the runtime, NotFound for unknown ids', async () => {
      await w.engine.create(request(2, { ports: [{ containerPort: 80 }] }));
      assert.deepEqual(await w.engine.top(idOf(2)), [], 'no process before start');
      const logs: LogEntry[] = [];
      for await (const e of w.engine.logs(idOf(2))) logs.push(e);
      assert.deepEqual(logs, [], 'no log before start');
      await w.engine.start(idOf(2));
      assert.equal((await w.engine.stats(idOf(2))).network?.rxBytes, 5);
      assert.equal((await w.engine.exec(idOf(2), { args: ['true'] })).stdout.toString(), 'out');
      await w.engine.kill(idOf(2), 'SIGHUP');
      assert.ok(w.calls.includes('runtime.kill 2 SIGHUP'));
      for (const verb of [() => w.engine.inspect(idOf(9)), () => w.engine.kill(idOf(9), 'SIGTERM'), () => w.engine.stats('x'), () => w.engine.wait(idOf(9))]) {
        await assert.rejects(verb(), NotFoundError);
      }
    });
  });

  describe('list', () => {
    it('joins the records with the runtime, filters by owner, and reports what berth did not make', async () => {
      await w.engine.create(request(1, {}, 'web'));
      await w.engine.create(request(2, {}, 'db'));
      await w.engine.start(idOf(2));
      w.runtime.states.set('someone-else', { id: 'someone-else', bundle: '/elsewhere', status: 'running', pid: 7, createdAt: 't0' });
      const all = (await w.engine.list()).sort((a, b) => a.id.localeCompare(b.id));
      assert.deepEqual(all.map((c) => [c.id.slice(-1), c.owner?.name, c.status]), [['1', 'web', 'created'], ['2', 'db', 'running'], ['e', undefined, 'running']]);
      assert.deepEqual((await w.engine.list({ name: 'db' })).map((c) => c.id), [idOf(2)]);
    });

    it('cleans up a create that never finished, but not one in progress', async () => {
      // A directory without container.json, as a daemon that died in create leaves it.
      mkdirSync(dir(7), { recursive: true });
      writeFileSync(join(dir(7), 'config.json'), '{}');
      const g = gate();
      w.prepareGate = g.wait;
      const creating = w.engine.create(request(8));
      const { calls } = w;
      await turnsUntil(() => calls.includes('snapshots.prepare 8'), 'the create prepares its snapshot');
      assert.deepEqual(await w.engine.list(), []);
      assert.equal(existsSync(dir(7)), false, 'the leftover is removed');
      assert.ok(w.calls.includes('network.detach 7') && w.calls.includes('snapshots.remove 7'));
      assert.ok(existsSync(dir(8)), 'the create in progress is left alone');
      g.open();
      await creating;
      assert.deepEqual((await w.engine.list()).map((c) => c.id), [idOf(8)]);
    });

    it('ends and removes a container whose record cannot be read (torn by a crash), not one it can', async () => {
      await w.engine.create(request(1));
      await w.engine.start(idOf(1));
      await w.engine.create(request(2, { terminationGracePeriodSeconds: 3 }));
      await w.engine.start(idOf(2));
      writeFileSync(join(dir(1), 'container.json'), '{"id": "');
      const bare = new BerthEngine({ root: w.root, runtime: w.runtime, images: { ensure: async () => IMAGE, resolve: async () => IMAGE }, snapshots: { prepare: async () => ({ rootfs: '' }), remove: async () => void w.calls.push('snapshots.remove') } });
      w.calls.length = 0;
      const left = await bare.list();
      assert.deepEqual(left.map((c) => [c.id, c.status, c.stopTimeoutSeconds]), [[idOf(2), 'running', 3]]);
      assert.deepEqual(w.calls, ['runtime.delete 1', 'snapshots.remove']);
      assert.equal(existsSync(dir(1)), false);
      assert.equal(w.runtime.states.has(idOf(1)), false);
    });
  });

  describe('images', () => {
    it('hands image verbs to the image port and says when a part is missing', async () => {
      assert.deepEqual(await w.engine.ensureImage('registry.test/app:2', 'IfNotPresent'), { ref: 'registry.test/app:2', digest: IMAGE.digest, size: 10 });
      assert.deepEqual(await w.engine.resolveImage(IMAGE.digest), { ref: IMAGE.ref, digest: IMAGE.digest, size: 10 });
      assert.equal(await w.engine.resolveImage('registry.test/none:1'), undefined);
      await assert.rejects(w.engine.buildImage('app:dev', { context: '.', dockerfile: 'Dockerfile' } as never), is(FailedPreconditionError, /no builder/));
      await assert.rejects(w.engine.pushImage('app:dev'), is(FailedPreconditionError, /push is not available/));
      const pushing = world({ push: true });
      await pushing.engine.pushImage('app:dev');
      assert.deepEqual(pushing.calls, ['images.push app:dev']);
      rmSync(pushing.root, { recursive: true, force: true });
    });
  });
});
