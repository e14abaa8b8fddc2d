// The stream service: attach to a running container's streams, resize its terminal, and exec
// sessions (Docker's exec create / start / resize / inspect) — for berth's REST routes and, the same
// calls, Docker's Engine API. The streams themselves come from the engine (the container's monitor
// holds them, so they survive a daemon restart); serving them on a connection is server/streams/.
import { randomBytes } from 'node:crypto';
import type { ContainerStreams } from '../../engine/engine.ts';
import type { ExecSession, StdioSession, TerminalSize } from '../../engine/runtime/stdio.ts';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../../specs/errdefs.ts';
import type { AttachSocket, ContainerResource } from '../../specs/api/containers.ts';
import type { Store } from '../../store/store.ts';
import type { ContainerLifecycles } from './deps.ts';
import { resolveContainer } from './lookup.ts';

/** Streams held for a client, and how the client's end of input is taken. */
export interface OpenStreams {
  session: StdioSession;
  tty: boolean;
  /**
   * The client's end of input closes the process's stdin (Kubernetes' stdinOnce, Docker's `run -i`,
   * every exec); otherwise it ends the attach and the process keeps its stdin.
   */
  closeStdin: boolean;
  /** Resolves once the process has ended (an exec): the stream ends only then, so its exit code is known. */
  ended?: Promise<unknown>;
}

export interface ExecCreateRequest {
  args: string[];
  env?: string[];
  user?: string;
  cwd?: string;
  tty?: boolean;
  stdin?: boolean;
}

/** What `GET /v1/execs/:id` answers (Docker's exec inspect: Running, ExitCode). */
export interface ExecInspect {
  id: string;
  container: string;
  /** The command, as created. */
  args: string[];
  user?: string;
  running: boolean;
  tty: boolean;
  stdin: boolean;
  exitCode?: number;
}

interface ExecRecord {
  id: string;
  container: string;
  req: ExecCreateRequest;
  session?: ExecSession;
  exitCode?: number;
  finishedAt?: number;
}

/** Finished execs are forgotten after this long (Docker keeps them until the container goes). */
const EXEC_KEEP_MS = 10 * 60_000;

export class StreamService {
  readonly #store: Store;
  readonly #lifecycles: Pick<ContainerLifecycles, 'view'>;
  readonly #engine: ContainerStreams;
  readonly #execs = new Map<string, ExecRecord>();

  constructor(o: { store: Store; lifecycles: Pick<ContainerLifecycles, 'view'>; engine: ContainerStreams }) {
    this.#store = o.store;
    this.#lifecycles = o.lifecycles;
    this.#engine = o.engine;
  }

  /** The running container a reference names: its object and its runtime id. */
  #running(ref: string): { r: ContainerResource; id: string } {
    const r = this.#resolve(ref);
    const s = this.#lifecycles.view(r.metadata.name);
    const phase = s?.phase ?? 'Pending';
    if (!s?.containerID || (phase !== 'Running' && phase !== 'Paused')) {
      throw new FailedPreconditionError(`container "${r.metadata.name}" is not running (it is ${phase}); start it with \`berth start ${r.metadata.name}\``);
    }
    return { r, id: s.containerID };
  }

  /** `attach`: the container's streams; replay: its output since it started (once; `run -it`). */
  async attach(ref: string, o: { replay?: boolean } = {}): Promise<OpenStreams> {
    const { r, id } = this.#running(ref);
    const session = await this.#engine.attach(id, o.replay ? { replay: true } : {});
    return { session, tty: session.tty, closeStdin: r.spec.stdinOnce === true };
  }

  #resolve(ref: string): ContainerResource {
    const all = this.#store.list('Container') as ContainerResource[];
    return resolveContainer(all, ref, (c) => (this.#lifecycles.view(c.metadata.name) ?? c.status)?.containerID);
  }

  /** Where a client on this host may attach to the container's monitor itself (api AttachSocket). */
  async attachSocket(ref: string): Promise<AttachSocket> {
    const r = this.#resolve(ref);
    const s = this.#lifecycles.view(r.metadata.name);
    const running = s?.containerID && (s.phase === 'Running' || s.phase === 'Paused');
    const socket = running ? await this.#engine.attachSocket(s.containerID!) : undefined;
    return { name: r.metadata.name, tty: r.spec.tty === true, stdin: r.spec.stdin === true, stdinOnce: r.spec.stdinOnce === true, ...(socket ? { socket } : {}) };
  }

  /** Docker's `POST /containers/{id}/resize`: the size of the container's terminal. */
  async resize(ref: string, size: TerminalSize): Promise<void> {
    const { r, id } = this.#running(ref);
    if (!r.spec.tty) throw new FailedPreconditionError(`container "${r.metadata.name}" has no terminal (it was not started with -t / tty: true)`);
    const session = await this.#engine.attach(id);
    session.resize(size);
    session.close();
  }

  /** Docker's exec create: checks the container runs; the process starts with start(). */
  createExec(ref: string, req: ExecCreateRequest): { id: string } {
    if (!Array.isArray(req.args) || req.args.length === 0 || !req.args.every((a) => typeof a === 'string')) {
      throw new InvalidArgumentError('exec needs a command (args: a non-empty list of strings)');
    }
    const { r } = this.#running(ref);
    this.#prune();
    const id = randomBytes(32).toString('hex');
    this.#execs.set(id, { id, container: r.metadata.name, req });
    return { id };
  }

  #exec(id: string): ExecRecord {
    const e = this.#execs.get(id);
    if (!e) throw new NotFoundError(`no exec with id ${id} (finished execs are kept ${EXEC_KEEP_MS / 60_000} minutes)`);
    return e;
  }

  /** Docker's exec start: runs the process; its streams until it ends. */
  async startExec(execId: string): Promise<OpenStreams> {
    const e = this.#exec(execId);
    if (e.session) throw new FailedPreconditionError(`exec ${execId} has already been started`);
    const { id } = this.#running(e.container);
    const tty = e.req.tty === true;
    // On a terminal, a TERM its programs understand, as Docker sets it.
    const env = [...(e.req.env ?? []), ...(tty && !(e.req.env ?? []).some((v) => v.startsWith('TERM=')) ? ['TERM=xterm'] : [])];
    const session = await this.#engine.execSession(id, {
      args: e.req.args, env, tty, ...(e.req.user ? { user: e.req.user } : {}), ...(e.req.cwd ? { cwd: e.req.cwd } : {}),
    });
    e.session = session;
    const ended = session.exitCode.then((code) => {
      e.exitCode = code;
      e.finishedAt = Date.now();
    });
    return { session, tty, closeStdin: true, ended };
  }

  async resizeExec(execId: string, size: TerminalSize): Promise<void> {
    const e = this.#exec(execId);
    if (!e.session) throw new FailedPreconditionError(`exec ${execId} has not been started`);
    if (!e.session.tty) throw new FailedPreconditionError(`exec ${execId} has no terminal (it was not made with tty)`);
    e.session.resize(size);
  }

  inspectExec(execId: string): ExecInspect {
    const e = this.#exec(execId);
    return {
      id: e.id, container: e.container, args: e.req.args, ...(e.req.user ? { user: e.req.user } : {}), running: e.session !== undefined && e.exitCode === undefined,
      tty: e.req.tty === true, stdin: e.req.stdin === true, ...(e.exitCode !== undefined ? { exitCode: e.exitCode } : {}),
    };
  }

  #prune(now = Date.now()): void {
    for (const [id, e] of this.#execs) if (e.finishedAt !== undefined && now - e.finishedAt > EXEC_KEEP_MS) this.#execs.delete(id);
  }
}

/** `?h=ROWS&w=COLS` of a resize, as Docker's API takes it. */
export function sizeOf(q: URLSearchParams): TerminalSize {
  const h = q.get('h');
  const w = q.get('w');
  if (!h || !w || !/^\d+$/.test(h) || !/^\d+$/.test(w) || Number(h) > 0xffff || Number(w) > 0xffff) {
    throw new InvalidArgumentError(`resize needs h (rows) and w (columns) as whole numbers up to 65535, got h=${h ?? ''} w=${w ?? ''}`);
  }
  return { rows: Number(h), cols: Number(w) };
}
