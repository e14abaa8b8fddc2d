// An in-memory engine for the pure unit tests of the controllers' decisions and timing (driven by a
// SimulatedClock): records every call, lets the test end a container's process, and can be told to
// fail a verb. The real engine is exercised by the end-to-end tests.
import type { ContainerEngine, ContainerFilesEngine, ContainerStreams, CreateRequest, EngineContainer, ImageEngine, ImageHandle, ProbeCheck, ProbeOutcome, PullPolicy, SandboxEngine } from '../../engine/engine.ts';
import { sandboxId } from '../../engine/pod-sandbox.ts';
import type { Sandbox, SandboxRequest } from '../../engine/engine.ts';
import { runProbeCheck } from '../../engine/probes.ts';
import type { ExecOptions, ExecResult, LogOptions } from '../../engine/runtime/runtime.ts';
import { FailedPreconditionError, NotFoundError, UnavailableError } from '../../specs/errdefs.ts';
import type { Clock } from '../../controllers/clock.ts';
import type { ContainerStats, ExitInfo, LogEntry, ProcessInfo } from '../../specs/api/containers.ts';

interface Fake extends EngineContainer {
  waiters: Array<(e: ExitInfo) => void>;
  starts: number;
}

export class FakeEngine implements ContainerEngine, ContainerStreams, ImageEngine, ContainerFilesEngine, SandboxEngine {
  readonly containers = new Map<string, Fake>();
  /** Pod sandboxes by the Pod's uid. */
  readonly sandboxes = new Map<string, Sandbox>();
  readonly specs = new Map<string, CreateRequest['spec']>();
  readonly images = new Map<string, ImageHandle>();
  readonly calls: string[] = [];
  /** Verb → error to throw on its next call(s). */
  readonly failNext = new Map<string, Error>();
  execResult: (id: string, opts: ExecOptions) => ExecResult = () => ({ exitCode: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) });
  /** Called after each start (e.g. to make the process print and exit). */
  onStart?: (c: EngineContainer & { args: string[] }) => void;
  /** A pull that the test settles by hand, when set. */
  pullGate?: Promise<void>;
  private pid = 1000;

  constructor(readonly clock: Clock) {}

  async ensureSandbox(req: SandboxRequest): Promise<Sandbox> {
    this.calls.push(`ensureSandbox ${req.name}`);
    const sb = this.sandboxes.get(req.uid) ?? { id: sandboxId(req.uid), request: req, createdAt: this.now(), ipAddress: '10.88.0.2', ipcPath: '/fake/ipc', utsPath: '/fake/uts' };
    this.sandboxes.set(req.uid, sb);
    return sb;
  }

  async removeSandbox(uid: string): Promise<void> {
    this.calls.push(`removeSandbox ${uid}`);
    this.sandboxes.delete(uid);
  }

  async setSandboxAliases(uid: string, aliases: string[]): Promise<void> {
    const sb = this.sandboxes.get(uid);
    if (sb) this.sandboxes.set(uid, { ...sb, aliases });
  }

  async listSandboxes(): Promise<Sandbox[]> {
    return [...this.sandboxes.values()];
  }

  private now(): string {
    return new Date(this.clock.now()).toISOString();
  }

  private fail(verb: string): void {
    const e = this.failNext.get(verb);
    if (e) {
      this.failNext.delete(verb);
      throw e;
    }
  }

  private get(id: string): Fake {
    const c = this.containers.get(id);
    if (!c) throw new NotFoundError(`container ${id} not found`);
    return c;
  }

  /** Ends a container's process, as if it exited by itself (or was killed from outside). */
  exit(id: string, exitCode: number, extra: Partial<ExitInfo> = {}): void {
    const c = this.get(id);
    const exit: ExitInfo = { exitCode, oomKilled: false, finishedAt: this.now(), ...extra };
    c.status = 'stopped';
    c.pid = 0;
    c.exit = exit;
    for (const w of c.waiters.splice(0)) w(exit);
  }

  /** Adds a container as a previous daemon (or someone else) left it. */
  plant(c: EngineContainer): void {
    this.containers.set(c.id, { ...c, waiters: [], starts: 1 });
  }

  running(): Fake[] {
    return [...this.containers.values()].filter((c) => c.status === 'running' || c.status === 'paused');
  }

  async ensureImage(ref: string, policy: PullPolicy): Promise<ImageHandle> {
    this.calls.push(`ensureImage ${ref} ${policy}`);
    if (this.pullGate) await this.pullGate;
    this.fail('ensureImage');
    const h = this.images.get(ref) ?? { ref, digest: `sha256:${'a'.repeat(64)}` };
    this.images.set(ref, h);
    return h;
  }

  async resolveImage(ref: string): Promise<ImageHandle | undefined> {
    return this.images.get(ref);
  }

  async create(req: CreateRequest): Promise<EngineContainer> {
    this.calls.push(`create ${req.owner.name}`);
    this.fail('create');
    const c: Fake = {
      id: req.id,
      owner: req.owner,
      image: req.image.ref,
      imageDigest: req.image.digest,
      status: 'created',
      pid: 0,
      createdAt: this.now(),
      waiters: [],
      starts: 0,
    };
    this.containers.set(req.id, c);
    this.specs.set(req.id, req.spec);
    return c;
  }

  /** `network connect`/`disconnect`: the container's networks (in its spec) and its owner's hash change; the process stays. */
  async connectNetwork(id: string, o: { network: string; spec: CreateRequest['spec']; specHash: string }): Promise<void> {
    const c = this.get(id);
    this.calls.push(`connectNetwork ${c.owner?.name ?? id} ${o.network}`);
    this.specs.set(id, o.spec);
    c.owner = { ...c.owner!, specHash: o.specHash };
  }

  async disconnectNetwork(id: string, o: { network: string; specHash: string }): Promise<void> {
    const c = this.get(id);
    this.calls.push(`disconnectNetwork ${c.owner?.name ?? id} ${o.network}`);
    c.owner = { ...c.owner!, specHash: o.specHash };
  }

  async start(id: string): Promise<EngineContainer> {
    const c = this.get(id);
    this.calls.push(`start ${c.owner?.name ?? id}`);
    this.fail('start');
    c.status = 'running';
    c.pid = ++this.pid;
    c.startedAt = this.now();
    delete c.exit;
    c.starts++;
    const snapshot = { ...c };
    if (this.onStart) {
      const spec = this.specs.get(id);
      this.onStart({ ...snapshot, args: [...(spec?.command ?? []), ...(spec?.args ?? [])] });
    }
    return snapshot;
  }

  async stop(id: string, opts: { signal?: string; timeoutSeconds: number }): Promise<ExitInfo> {
    const c = this.get(id);
    this.calls.push(`stop ${c.owner?.name ?? id} ${opts.signal ?? 'SIGTERM'} ${opts.timeoutSeconds}`);
    this.fail('stop');
    if (c.status === 'running' || c.status === 'paused') this.exit(id, 143, { signal: opts.signal ?? 'SIGTERM' });
    return c.exit!;
  }

  async kill(id: string, signal: string): Promise<void> {
    this.calls.push(`kill ${id} ${signal}`);
    this.exit(id, 137, { signal });
  }

  async pause(id: string): Promise<void> {
    const c = this.get(id);
    this.calls.push(`pause ${c.owner?.name}`);
    c.status = 'paused';
  }

  async resume(id: string): Promise<void> {
    const c = this.get(id);
    this.calls.push(`resume ${c.owner?.name}`);
    c.status = 'running';
  }

  async remove(id: string): Promise<void> {
    const c = this.containers.get(id);
    this.calls.push(`remove ${c?.owner?.name ?? id}`);
    this.fail('remove');
    if (c && (c.status === 'running' || c.status === 'paused')) this.exit(id, 137, { signal: 'SIGKILL' });
    this.containers.delete(id);
  }

  async inspect(id: string): Promise<EngineContainer> {
    return { ...this.get(id) };
  }

  async list(filter?: { name?: string }): Promise<EngineContainer[]> {
    return [...this.containers.values()]
      .filter((c) => !filter?.name || c.owner?.name === filter.name)
      .map((c) => ({ ...c }));
  }

  wait(id: string, signal?: AbortSignal): Promise<ExitInfo> {
    const c = this.get(id);
    if (c.status === 'stopped' && c.exit) return Promise.resolve(c.exit);
    return new Promise((resolve, reject) => {
      c.waiters.push(resolve);
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }

  async stats(id: string): Promise<ContainerStats> {
    const c = this.get(id);
    return {
      cpuUsageSeconds: c.starts * 0.5,
      memoryUsageBytes: 4096,
      memoryWorkingSetBytes: 2048,
      memoryLimitBytes: 0,
      pids: 1,
      readAt: this.now(),
    };
  }

  async exec(id: string, opts: ExecOptions): Promise<ExecResult> {
    this.get(id);
    return this.execResult(id, opts);
  }

  // No process runs here, so there are no streams: the real ones are checked in test/engine/runtime/streams.ts.
  async attach(id: string): Promise<never> {
    this.get(id);
    throw new FailedPreconditionError(`the fake engine runs no process for ${id}: no streams`);
  }

  async attachSocket(id: string): Promise<undefined> {
    this.get(id);
    return undefined;
  }

  async execSession(id: string): Promise<never> {
    this.get(id);
    throw new FailedPreconditionError(`the fake engine runs no process for ${id}: no streams`);
  }

  /** The engine's own checks: exec probes run through this fake's exec (execResult), sockets for real. */
  probe(id: string, check: ProbeCheck): Promise<ProbeOutcome> {
    return runProbeCheck(check, (args, timeoutMs) => this.exec(id, { args, timeoutMs }));
  }

  /** Log lines the test wants a container to have printed. */
  readonly logLines = new Map<string, LogEntry[]>();

  async *logs(id: string, opts: LogOptions = {}): AsyncIterable<LogEntry> {
    this.get(id);
    const lines = this.logLines.get(id) ?? [];
    yield* opts.tail !== undefined ? lines.slice(-opts.tail) : lines;
  }

  async top(id: string): Promise<ProcessInfo[]> {
    const c = this.get(id);
    return c.status === 'running' ? [{ pid: c.pid, ppid: 1, user: 'root', cpuSeconds: 0, cmd: 'sleep 1000' }] : [];
  }

  // A fake has no files: `cp` and `commit` are tested against the real engine (test/e2e).
  async statPath(): Promise<never> {
    throw new UnavailableError('the fake engine has no container files');
  }
  archivePath = this.statPath;
  extractArchive = this.statPath;
  diffLayer = this.statPath;
  changes = this.statPath;
}

/** Lets pending promise callbacks run (engine calls resolve in microtasks). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}
