// The effects of the Container machine, each a named actor: fromPromise for one-shot engine calls,
// fromCallback (returning its cleanup) for the exit watcher and the probes. They only call the
// engine and report back; what follows is the machine's decision (container-machine.ts).
import { fromCallback, fromPromise, type EventObject } from 'xstate';
import type { EngineContainer } from '../engine/engine.ts';
import type { Probe } from '../specs/schema.ts';
import { NotFoundError } from '../specs/errdefs.ts';
import type { ExitInfo } from '../specs/api/containers.ts';
import type { MachineContext, MachineDeps } from './container-types.ts';
import { runProbe, startProber, type ProbeKind, type ProbeTarget } from './probes.ts';

export interface StartOutput {
  container: EngineContainer;
  /** The container was created by this start (not an existing one started again). */
  created: boolean;
}

export interface StopInput {
  id?: string;
  signal?: string;
  timeoutSeconds: number;
}

export function containerActors(deps: MachineDeps) {
  const admit = <T>(fn: () => Promise<T>, signal: AbortSignal): Promise<T> => (deps.admit ? deps.admit(fn, signal) : fn());
  return {
    /** Creates the container when it has none yet (or it was removed), then starts it. */
    startContainer: fromPromise<StartOutput, { context: MachineContext }>(({ input: { context }, signal }) => admit(async () => {
      let id = context.containerID;
      const created = id === undefined;
      if (id === undefined) {
        if (!context.image) throw new Error(`container "${context.desired.name}" has no image to create from`);
        id = deps.newContainerID();
        const { name, uid, generation, specHash, spec } = context.desired;
        await deps.engine.create({ id, owner: { name, uid, generation, specHash }, spec, image: context.image });
      }
      try {
        return { container: await deps.engine.start(id), created };
      } catch (err) {
        // Keep the id: the container exists (created) even though its process did not start.
        throw Object.assign(err instanceof Error ? err : new Error(String(err)), { containerID: id });
      }
    }, signal)),
    /** `berth create`: the container made (rootfs, bundle, network) but not started. */
    createContainer: fromPromise<EngineContainer, { context: MachineContext }>(({ input: { context }, signal }) => admit(async () => {
      if (!context.image) throw new Error(`container "${context.desired.name}" has no image to create from`);
      const { name, uid, generation, specHash, spec } = context.desired;
      return deps.engine.create({ id: deps.newContainerID(), owner: { name, uid, generation, specHash }, spec, image: context.image });
    }, signal)),
    /** Stops the process (signal, grace period, SIGKILL); a container already gone has no exit to report. */
    stopContainer: fromPromise<ExitInfo | undefined, StopInput>(async ({ input }) => {
      if (!input.id) return undefined;
      try {
        return await deps.engine.stop(input.id, {
          ...(input.signal ? { signal: input.signal } : {}),
          timeoutSeconds: input.timeoutSeconds,
        });
      } catch (err) {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      }
    }),
    removeContainer: fromPromise<void, { id?: string }>(async ({ input }) => {
      if (input.id) await deps.engine.remove(input.id, { force: true });
    }),
    pauseContainer: fromPromise<void, { id: string }>(({ input }) => deps.engine.pause(input.id)),
    resumeContainer: fromPromise<void, { id: string }>(({ input }) => deps.engine.resume(input.id)),
    /** Sends EXITED when the process ends, CONTAINER_GONE when the runtime no longer knows it. */
    watchExit: fromCallback<EventObject, { id: string }>(({ input, sendBack }) => {
      const ac = new AbortController();
      deps.engine.wait(input.id, ac.signal).then(
        (exit) => {
          if (!ac.signal.aborted) sendBack({ type: 'EXITED', exit });
        },
        (err) => {
          // Any other failure is left to the controller's periodic drift check.
          if (!ac.signal.aborted && err instanceof NotFoundError) sendBack({ type: 'CONTAINER_GONE' });
        },
      );
      return () => ac.abort();
    }),
    /** Liveness and readiness probes while running (no readiness probe: the machine's readyWithoutProbe). */
    runProbes: fromCallback<EventObject, { context: MachineContext }>(({ input: { context }, sendBack }) => {
      const { spec, name, uid } = context.desired;
      const id = context.containerID!;
      const target: ProbeTarget = {
        run: (check) => deps.engine.probe(id, check),
        host: context.ipAddress ?? '127.0.0.1',
        ports: spec.ports ?? [],
      };
      const prober = (kind: ProbeKind, probe: Probe, onResult: (ok: boolean, message?: string) => void) =>
        startProber({
          probe,
          clock: deps.clock,
          check: () => runProbe(probe, target),
          onFailedCheck: (m) => deps.record(name, uid, 'Warning', 'Unhealthy', `${kind === 'liveness' ? 'Liveness' : 'Readiness'} probe failed: ${m}`),
          onResult,
        });
      const stops: Array<() => void> = [];
      if (spec.livenessProbe) {
        stops.push(
          prober('liveness', spec.livenessProbe, (ok, m) => {
            if (!ok) sendBack({ type: 'LIVENESS_FAILED', message: m ?? 'liveness probe failed' });
          }),
        );
      }
      if (spec.readinessProbe) {
        stops.push(prober('readiness', spec.readinessProbe, (ok, m) => sendBack({ type: 'READY_CHANGED', ready: ok, ...(m ? { message: m } : {}) })));
      }
      return () => stops.forEach((s) => s());
    }),
  };
}
