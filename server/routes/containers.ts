// The Docker-style verbs on containers: ps, inspect, logs, exec, stop, start, kill, rm, pause,
// unpause, stats, top, wait, and run (a one-off Container object). Lifecycle verbs go through the
// container's lifecycle actor (so the reconcile loop knows: a stopped container stays stopped); the
// others ask the engine directly.
import { randomBytes } from 'node:crypto';
import type { Controllers } from '../../controllers/wire.ts';
import type { ContainerSnapshot } from '../../controllers/container-machine.ts';
import { phaseOf } from '../../controllers/status.ts';
import type { Engine, EngineContainer } from '../../engine/engine.ts';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, UnavailableError } from '../../specs/errdefs.ts';
import { API_VERSION, ContainerObject, type ContainerResource } from '../../specs/schema.ts';
import { json, queryFlag, type ApiRequest, type Route } from '../api.ts';
import type { DaemonContext } from '../context.ts';
import type { ContainerSummary } from '../../specs/api/containers.ts';

const LIVE = new Set(['Running', 'Paused', 'Stopping', 'Creating', 'Restarting']);

function need(ctx: DaemonContext): { engine: Engine; controllers: Controllers } {
  if (!ctx.engine || !ctx.controllers) {
    throw new UnavailableError('this daemon runs without a container engine (no runtime configured); start it with one to manage containers');
  }
  return { engine: ctx.engine, controllers: ctx.controllers };
}

function getContainer(ctx: DaemonContext, name: string): ContainerResource {
  const r = ctx.store.get('Container', name) as ContainerResource | undefined;
  if (!r) throw new NotFoundError(`no container named "${name}" (see \`berth ps -a\`)`);
  return r;
}

function summary(r: ContainerResource, snap: ContainerSnapshot | undefined): ContainerSummary {
  const st = r.status as Record<string, any>;
  const phase = snap ? phaseOf(snap.value) : (st.phase ?? 'Pending');
  const term = st.lastState?.terminated;
  return {
    name: r.metadata.name,
    ...(snap?.context.containerID ?? st.containerID ? { id: snap?.context.containerID ?? st.containerID } : {}),
    image: r.spec.image,
    command: [...(r.spec.command ?? []), ...(r.spec.args ?? [])],
    created: r.metadata.creationTimestamp,
    phase,
    ready: st.ready === true,
    restartCount: st.restartCount ?? 0,
    ...(term && !LIVE.has(phase) ? { exitCode: term.exitCode, finishedAt: term.finishedAt } : {}),
    ...(st.startedAt ? { startedAt: st.startedAt } : {}),
    ports: (r.spec.ports ?? []).map((p) => `${p.hostIP ?? '0.0.0.0'}:${p.hostPort ?? ''}->${p.containerPort}/${p.protocol.toLowerCase()}`.replace(/^0\.0\.0\.0:->/, '')),
    managed: true,
  };
}

function unmanaged(c: EngineContainer): ContainerSummary {
  return {
    name: '',
    id: c.id,
    image: c.image ?? '',
    command: [],
    created: c.createdAt,
    phase: c.status,
    ready: false,
    restartCount: 0,
    ports: [],
    managed: false,
  };
}

/** The running container's id, or FailedPrecondition saying why there is none. */
function runningID(controllers: Controllers, name: string): string {
  const snap = controllers.containers.snapshot(name);
  const phase = snap ? phaseOf(snap.value) : 'Pending';
  if (!snap?.context.containerID || (phase !== 'Running' && phase !== 'Paused')) {
    throw new FailedPreconditionError(`container "${name}" is not running (it is ${phase}); start it with \`berth start ${name}\``);
  }
  return snap.context.containerID;
}

function anyID(ctx: DaemonContext, controllers: Controllers, name: string): string {
  const id = controllers.containers.snapshot(name)?.context.containerID ?? (getContainer(ctx, name).status as { containerID?: string }).containerID;
  if (!id) throw new FailedPreconditionError(`container "${name}" has not been created yet (see \`berth describe container ${name}\`)`);
  return id;
}

/** Waits (bounded by the request) until the lifecycle reaches one of the phases. */
async function settleIn(controllers: Controllers, name: string, phases: string[], req: ApiRequest): Promise<string> {
  const snap = await controllers.containers.waitFor(name, (s) => s !== undefined && phases.includes(phaseOf(s.value)), req.signal);
  return phaseOf(snap!.value);
}

/** Waiting reasons that a `run` should report at once instead of waiting on. */
const IMAGE_FAILURES = new Set(['ImagePullBackOff', 'ErrImagePull', 'ErrImageNeverPull', 'InvalidImageName']);

function randomName(): string {
  return `run-${randomBytes(4).toString('hex')}`;
}

export default function routes(ctx: DaemonContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/containers',
      handler: async (req) => {
        const { controllers } = need(ctx);
        const all = queryFlag(req.query, 'all');
        const items = (ctx.store.list('Container') as ContainerResource[])
          .map((r) => summary(r, controllers.containers.snapshot(r.metadata.name)))
          .filter((s) => all || s.phase === 'Running' || s.phase === 'Paused');
        const foreign = controllers.containers.unknown.filter((c) => all || c.status === 'running').map(unmanaged);
        return json({ items: [...items, ...foreign] });
      },
    },
    {
      method: 'GET',
      path: '/v1/containers/:name',
      handler: async (req) => {
        const { engine, controllers } = need(ctx);
        const r = getContainer(ctx, req.params.name!);
        const snap = controllers.containers.snapshot(r.metadata.name);
        const id = snap?.context.containerID;
        const runtime = id ? await engine.inspect(id).catch(() => null) : null;
        return json({ ...r, summary: summary(r, snap), runtime });
      },
    },
    {
      method: 'POST',
      path: '/v1/containers',
      handler: async (req) => {
        need(ctx);
        const body = (req.body ?? {}) as { name?: string; spec?: unknown; labels?: Record<string, string> };
        const name = body.name ?? randomName();
        if (ctx.store.get('Container', name)) {
          throw new FailedPreconditionError(`a container named "${name}" already exists; remove it (\`berth rm -f ${name}\`) or choose another --name`);
        }
        const parsed = ContainerObject.safeParse({
          apiVersion: API_VERSION,
          kind: 'Container',
          metadata: { name, labels: { 'berth.dev/run': 'true', ...(body.labels ?? {}) } },
          spec: body.spec,
        });
        if (!parsed.success) {
          throw new InvalidArgumentError(`run: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'spec'}: ${i.message}`).join('; ')}`);
        }
        ctx.store.put(parsed.data, 'cli:run');
        return json({ name }, 201);
      },
    },
    {
      method: 'POST',
      path: '/v1/containers/:name/stop',
      handler: async (req) => {
        const { controllers } = need(ctx);
        const name = req.params.name!;
        getContainer(ctx, name);
        controllers.containers.send(name, { type: 'USER_STOP' });
        return json({ name, phase: await settleIn(controllers, name, ['Exited', 'Failed', 'Removed'], req) });
      },
    },
    {
      method: 'POST',
      path: '/v1/containers/:name/start',
      handler: async (req) => {
        const { controllers } = need(ctx);
        const name = req.params.name!;
        getContainer(ctx, name);
        controllers.containers.send(name, { type: 'USER_START' });
        return json({ name, phase: await settleIn(controllers, name, ['Running', 'Exited', 'BackOff', 'Failed'], req) });
      },
    },
    ...(['pause', 'unpause'] as const).map(
      (verb): Route => ({
        method: 'POST',
        path: `/v1/containers/:name/${verb}`,
        handler: async (req) => {
          const { controllers } = need(ctx);
          const name = req.params.name!;
          runningID(controllers, name);
          controllers.containers.send(name, { type: verb === 'pause' ? 'PAUSE' : 'UNPAUSE' });
          return json({ name, phase: await settleIn(controllers, name, [verb === 'pause' ? 'Paused' : 'Running', 'Exited'], req) });
        },
      }),
    ),
    {
      method: 'POST',
      path: '/v1/containers/:name/kill',
      handler: async (req) => {
        const { engine, controllers } = need(ctx);
        const signal = req.query.get('signal') ?? 'SIGKILL';
        if (!/^(SIG)?[A-Z0-9+-]+$|^\d+$/.test(signal)) throw new InvalidArgumentError(`signal "${signal}" is not a signal name or number (e.g. SIGTERM, KILL, 9)`);
        await engine.kill(runningID(controllers, req.params.name!), /^\d+$/.test(signal) || signal.startsWith('SIG') ? signal : `SIG${signal}`);
        return json({ name: req.params.name });
      },
    },
    {
      method: 'DELETE',
      path: '/v1/containers/:name',
      handler: async (req) => {
        const { controllers } = need(ctx);
        const name = req.params.name!;
        getContainer(ctx, name);
        const snap = controllers.containers.snapshot(name);
        const phase = snap ? phaseOf(snap.value) : 'Pending';
        if (!queryFlag(req.query, 'force') && (phase === 'Running' || phase === 'Paused')) {
          throw new FailedPreconditionError(`container "${name}" is ${phase.toLowerCase()}: stop it first, or force the removal with \`berth rm -f ${name}\``);
        }
        ctx.store.delete('Container', name);
        await controllers.containers.waitFor(name, (s) => s === undefined || phaseOf(s.value) === 'Removed', req.signal);
        return json({ name });
      },
    },
    {
      method: 'GET',
      path: '/v1/containers/:name/wait',
      handler: async (req) => {
        const { controllers } = need(ctx);
        const name = req.params.name!;
        getContainer(ctx, name);
        // condition=started: until it has a process (or failed before getting one), so that
        // `berth run` can follow its output without polling; the default waits for its end.
        const started = req.query.get('condition') === 'started';
        const until = started ? ['Running', 'Paused', 'Exited', 'BackOff', 'Failed', 'Removed'] : ['Exited', 'Failed', 'Removed'];
        const snap = await controllers.containers.waitFor(
          name,
          (s) =>
            s !== undefined &&
            ((until.includes(phaseOf(s.value)) && (!started || phaseOf(s.value) !== 'Exited' || s.context.containerID !== undefined)) ||
              (started && IMAGE_FAILURES.has(s.context.waiting?.reason ?? ''))),
          req.signal,
        );
        if (started) return json({ name, phase: phaseOf(snap!.value), ...(snap!.context.containerID ? { id: snap!.context.containerID } : {}) });
        const last = snap!.context.lastState;
        return json({ name, phase: phaseOf(snap!.value), exitCode: last?.exitCode ?? 125, ...(last ? { reason: last.reason } : {}) });
      },
    },
    {
      method: 'GET',
      path: '/v1/containers/:name/logs',
      handler: async (req) => {
        const { engine, controllers } = need(ctx);
        const id = anyID(ctx, controllers, req.params.name!);
        const tail = req.query.get('tail');
        if (tail !== null && tail !== 'all' && !/^\d+$/.test(tail)) throw new InvalidArgumentError(`--tail "${tail}" must be a number of lines or "all"`);
        const follow = queryFlag(req.query, 'follow');
        return {
          ndjson: followUntilExit(engine, id, {
            follow,
            ...(tail !== null && tail !== 'all' ? { tail: Number(tail) } : {}),
            signal: req.signal,
          }),
        };
      },
    },
    {
      method: 'POST',
      path: '/v1/containers/:name/exec',
      handler: async (req) => {
        const { engine, controllers } = need(ctx);
        const b = (req.body ?? {}) as { args?: unknown; env?: unknown; user?: unknown; cwd?: unknown };
        if (!Array.isArray(b.args) || b.args.length === 0 || !b.args.every((a) => typeof a === 'string')) {
          throw new InvalidArgumentError('exec needs a command (body.args: a non-empty list of strings)');
        }
        const res = await engine.exec(runningID(controllers, req.params.name!), {
          args: b.args as string[],
          ...(Array.isArray(b.env) ? { env: b.env as string[] } : {}),
          ...(typeof b.user === 'string' ? { user: b.user } : {}),
          ...(typeof b.cwd === 'string' ? { cwd: b.cwd } : {}),
        });
        return json({ exitCode: res.exitCode, ...(res.signal ? { signal: res.signal } : {}), stdout: res.stdout.toString('base64'), stderr: res.stderr.toString('base64') });
      },
    },
    {
      method: 'GET',
      path: '/v1/containers/:name/stats',
      handler: async (req) => {
        const { engine, controllers } = need(ctx);
        const name = req.params.name!;
        const id = runningID(controllers, name);
        if (!queryFlag(req.query, 'stream')) return json({ name, id, ...(await engine.stats(id)) });
        return {
          ndjson: (async function* () {
            while (!req.signal.aborted) {
              yield { name, id, ...(await engine.stats(id)) };
              await new Promise((r) => setTimeout(r, 1000));
            }
          })(),
        };
      },
    },
    {
      method: 'GET',
      path: '/v1/containers/:name/top',
      handler: async (req) => {
        const { engine, controllers } = need(ctx);
        return json({ processes: await engine.top(runningID(controllers, req.params.name!)) });
      },
    },
  ];
}

/**
 * The log, following it (when asked) until the container's process ends: the runtime's follow is
 * stopped on exit, then whatever was written after the last entry seen is read without follow.
 */
async function* followUntilExit(engine: Engine, id: string, o: { follow: boolean; tail?: number; signal: AbortSignal }) {
  if (!o.follow) {
    yield* engine.logs(id, { ...(o.tail !== undefined ? { tail: o.tail } : {}), signal: o.signal });
    return;
  }
  const ac = new AbortController();
  const stop = () => ac.abort();
  o.signal.addEventListener('abort', stop, { once: true });
  void engine.wait(id, ac.signal).then(stop, () => undefined);
  let lastTime = '';
  try {
    for await (const e of engine.logs(id, { follow: true, ...(o.tail !== undefined ? { tail: o.tail } : {}), signal: ac.signal })) {
      lastTime = e.time;
      yield e;
      if (ac.signal.aborted) break;
    }
  } catch (err) {
    if (!ac.signal.aborted) throw err;
  } finally {
    o.signal.removeEventListener('abort', stop);
  }
  if (o.signal.aborted) return;
  // The process ended: what it wrote after the follow stopped.
  const rest: unknown[] = [];
  for await (const e of engine.logs(id, {})) if (e.time > lastTime) rest.push(e);
  yield* rest;
}
