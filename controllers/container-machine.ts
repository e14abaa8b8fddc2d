// The lifecycle of one Container as an XState v5 machine; one actor per Container object.
//
//   Pending ─IMAGE_PENDING→ WaitingForImage ─IMAGE_READY→ Creating ─done→ Running ─EXITED→ Exited
//   Exited ─policy restarts→ BackOff ─backoffDelay→ Restarting ─done→ Running
//   Running ─LIVENESS_FAILED / USER_STOP / spec change / delete→ Stopping → Exited | Removing
//   Removing → Pending (recreate with the new spec) | Removed (final)
//   Running.Active ⇄ Running.Paused; a terminal error (invalid spec) → Failed.
//
// The machine only sequences; each effect is a named actor (fromPromise for one-shot engine calls,
// fromCallback with cleanup for the exit watcher and the probes) and every timer is a named delay,
// so tests drive it with a SimulatedClock passed as createActor's clock.
import { assign, fromCallback, fromPromise, setup, type EventObject, type SnapshotFrom } from 'xstate';
import type { ContainerEngine, EngineContainer, ImageHandle } from '../engine/engine.ts';
import { NotFoundError } from '../specs/errdefs.ts';
import { backoffMessage, crashLoopBackoff, policyRestarts, terminatedState } from './backoff.ts';
import { isoTime, type Clock } from './clock.ts';
import type { ContainerEvent, DesiredContainer, MachineInput, StopIntent } from './container-types.ts';
import { errorMessage, isTerminal } from './errors.ts';
import { runProbe, startProber, type ProbeTarget } from './probes.ts';
import type { BackoffState, ExitInfo, TerminatedState } from '../specs/api/containers.ts';

export interface MachineDeps {
  engine: Pick<ContainerEngine, 'create' | 'start' | 'stop' | 'remove' | 'wait' | 'pause' | 'resume' | 'exec'>;
  clock: Clock;
  /** A fresh container id (64 hex characters). */
  newContainerID(): string;
  /** Records a Kubernetes-style event about the container. */
  record(name: string, uid: string, type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** Delay before retrying a failed removal. */
  removeRetryMs?: number;
}

export interface ImageCondition {
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message?: string;
}

export interface MachineContext {
  desired: DesiredContainer;
  image?: ImageHandle;
  imageCondition: ImageCondition;
  containerID?: string;
  pid: number;
  startedAt?: string;
  ipAddress?: string;
  restartCount: number;
  lastState?: TerminatedState;
  backoff?: BackoffState;
  /** The wait of the current BackOff. */
  backoffDelayMs: number;
  ready: boolean;
  readyMessage?: string;
  /** Why the container is not running, when it is waiting (kubelet's waiting.reason). */
  waiting?: { reason: string; message?: string };
  stopIntent?: StopIntent;
  /** A spec change received while busy: applied by recreating. */
  pendingDesired?: DesiredContainer;
  deleteRequested: boolean;
  userStopped: boolean;
  failure?: { reason: string; message: string };
  /** How the adopted container was found at spawn (cleared once used). */
  adopted?: 'running' | 'exited';
}

interface StartOutput {
  container: EngineContainer;
  /** The container was created by this start (not an existing one started again). */
  created: boolean;
}

function initialContext(input: MachineInput): MachineContext {
  const prev = input.previous ?? {};
  const a = input.adopt;
  const base: MachineContext = {
    desired: input.desired,
    imageCondition: { status: 'Unknown', reason: 'Pending' },
    pid: 0,
    restartCount: prev.restartCount ?? 0,
    ...(prev.lastState ? { lastState: prev.lastState } : {}),
    ...(prev.backoff ? { backoff: prev.backoff } : {}),
    backoffDelayMs: 0,
    ready: false,
    deleteRequested: false,
    userStopped: prev.userStopped ?? false,
  };
  if (!a) return base;
  const common = {
    ...base,
    containerID: a.id,
    imageCondition: { status: 'True', reason: 'Present' } as ImageCondition,
    ...(a.startedAt ? { startedAt: a.startedAt } : {}),
    ...(a.ipAddress ? { ipAddress: a.ipAddress } : {}),
  };
  if (a.status === 'running' || a.status === 'paused') return { ...common, pid: a.pid, adopted: 'running' };
  const exit: ExitInfo = a.exit ?? { exitCode: 137, oomKilled: false, finishedAt: a.startedAt ?? a.createdAt };
  // An exit already recorded before the daemon went down is not counted again.
  const known = prev.lastState?.containerID === a.id && prev.lastState.finishedAt === exit.finishedAt;
  return {
    ...common,
    adopted: 'exited',
    lastState: known
      ? prev.lastState
      : terminatedState(exit, { containerID: a.id, ...(a.startedAt ? { startedAt: a.startedAt } : {}) }),
  };
}

export function createContainerMachine(deps: MachineDeps) {
  const record =
    (type: 'Normal' | 'Warning', reason: string, message: (c: MachineContext) => string) =>
    ({ context }: { context: MachineContext }) =>
      deps.record(context.desired.name, context.desired.uid, type, reason, message(context));

  const exitAssign = (exit: ExitInfo | undefined, context: MachineContext, startError?: string): Partial<MachineContext> => {
    const e: ExitInfo = exit ?? { exitCode: 137, oomKilled: false, finishedAt: isoTime(deps.clock) };
    return {
      lastState: terminatedState(e, {
        ...(context.startedAt ? { startedAt: context.startedAt } : {}),
        ...(context.containerID ? { containerID: context.containerID } : {}),
        ...(startError ? { startError } : {}),
      }),
      pid: 0,
      ready: false,
    };
  };

  return setup({
    types: {
      context: {} as MachineContext,
      events: {} as ContainerEvent,
      input: {} as MachineInput,
    },
    actors: {
      /** Creates the container when it has none yet (or it was removed), then starts it. */
      startContainer: fromPromise<StartOutput, { context: MachineContext }>(async ({ input: { context } }) => {
        let id = context.containerID;
        const created = id === undefined;
        if (id === undefined) {
          if (!context.image) throw new Error(`container "${context.desired.name}" has no image to create from`);
          id = deps.newContainerID();
          await deps.engine.create({
            id,
            owner: {
              name: context.desired.name,
              uid: context.desired.uid,
              generation: context.desired.generation,
              specHash: context.desired.specHash,
            },
            spec: context.desired.spec,
            image: context.image,
          });
        }
        try {
          return { container: await deps.engine.start(id), created };
        } catch (err) {
          // Keep the id: the container exists (created) even though its process did not start.
          throw Object.assign(err instanceof Error ? err : new Error(String(err)), { containerID: id });
        }
      }),
      stopContainer: fromPromise<ExitInfo | undefined, { id?: string; signal?: string; timeoutSeconds: number }>(
        async ({ input }) => {
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
        },
      ),
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
      /** Liveness and readiness probes while running (no readiness probe: ready at once). */
      runProbes: fromCallback<EventObject, { context: MachineContext }>(({ input: { context }, sendBack }) => {
        const { spec, name, uid } = context.desired;
        const id = context.containerID!;
        const target: ProbeTarget = {
          exec: (command, timeoutMs) => deps.engine.exec(id, { args: command, timeoutMs }),
          host: context.ipAddress ?? '127.0.0.1',
          ports: spec.ports ?? [],
        };
        const stops: Array<() => void> = [];
        if (spec.livenessProbe) {
          const probe = spec.livenessProbe;
          stops.push(
            startProber({
              probe,
              clock: deps.clock,
              check: () => runProbe(probe, target),
              onFailedCheck: (m) => deps.record(name, uid, 'Warning', 'Unhealthy', `Liveness probe failed: ${m}`),
              onResult: (ok, m) => {
                if (!ok) sendBack({ type: 'LIVENESS_FAILED', message: m ?? 'liveness probe failed' });
              },
            }),
          );
        }
        if (spec.readinessProbe) {
          const probe = spec.readinessProbe;
          stops.push(
            startProber({
              probe,
              clock: deps.clock,
              check: () => runProbe(probe, target),
              onFailedCheck: (m) => deps.record(name, uid, 'Warning', 'Unhealthy', `Readiness probe failed: ${m}`),
              onResult: (ok, m) => sendBack({ type: 'READY_CHANGED', ready: ok, ...(m ? { message: m } : {}) }),
            }),
          );
        } else {
          sendBack({ type: 'READY_CHANGED', ready: true });
        }
        return () => stops.forEach((s) => s());
      }),
    },
    guards: {
      adoptedRunning: ({ context }) => context.adopted === 'running',
      adoptedExited: ({ context }) => context.adopted === 'exited',
      deleteRequested: ({ context }) => context.deleteRequested,
      specChangePending: ({ context }) => context.pendingDesired !== undefined,
      /** The restart policy restarts this exit, and the user did not stop it. */
      shouldRestart: ({ context }) =>
        !context.userStopped &&
        context.lastState !== undefined &&
        policyRestarts(context.desired.spec.restartPolicy, context.lastState.exitCode),
      noBackoffWait: ({ context }) => context.backoffDelayMs <= 0,
      stopIntentIs: ({ context }, params: { intent: StopIntent }) => context.stopIntent === params.intent,
      removingForDelete: ({ context }) => context.stopIntent === 'delete',
      errorIsTerminal: ({ event }) => isTerminal((event as { error?: unknown }).error),
      specHashChanged: ({ context, event }) =>
        event.type === 'DESIRED' && event.desired.specHash !== context.desired.specHash,
      hasContainer: ({ context }) => context.containerID !== undefined,
    },
    delays: {
      backoffDelay: ({ context }) => context.backoffDelayMs,
      removeRetryDelay: () => deps.removeRetryMs ?? 1000,
    },
    actions: {
      clearAdopted: assign({ adopted: undefined }),
      rememberDesiredChange: assign(({ event }) =>
        event.type === 'DESIRED' ? { pendingDesired: event.desired } : {},
      ),
      /** Same spec (labels, generation): taken over at once; a pending change back to it is dropped. */
      assignDesired: assign(({ event }) =>
        event.type === 'DESIRED' ? { desired: event.desired, pendingDesired: undefined } : {},
      ),
      rememberDelete: assign({ deleteRequested: true }),
      setStopIntent: assign((_, params: { intent: StopIntent }) => ({ stopIntent: params.intent })),
      assignImage: assign(({ event }) =>
        event.type === 'IMAGE_READY'
          ? { image: event.image, imageCondition: { status: 'True', reason: 'Present' } as ImageCondition, waiting: undefined }
          : {},
      ),
      assignImageWaiting: assign(({ event }) => {
        if (event.type === 'IMAGE_PENDING')
          return {
            imageCondition: { status: 'False', reason: event.reason, ...(event.message ? { message: event.message } : {}) } as ImageCondition,
            waiting: { reason: event.reason, ...(event.message ? { message: event.message } : {}) },
          };
        if (event.type === 'IMAGE_FAILED')
          return {
            imageCondition: { status: 'False', reason: event.reason, message: event.message } as ImageCondition,
            waiting: { reason: event.reason, message: event.message },
          };
        return {};
      }),
      assignStarted: assign(({ event }) => {
        const c = (event as unknown as { output: StartOutput }).output.container;
        return {
          containerID: c.id,
          pid: c.pid,
          startedAt: c.startedAt ?? isoTime(deps.clock),
          ...(c.ipAddress ? { ipAddress: c.ipAddress } : {}),
          waiting: undefined,
          failure: undefined,
        };
      }),
      assignStartError: assign(({ context, event }) => {
        const err = (event as { error?: unknown }).error;
        const id = (err as { containerID?: string } | undefined)?.containerID ?? context.containerID;
        return {
          ...(id ? { containerID: id } : {}),
          ...exitAssign({ exitCode: 128, oomKilled: false, finishedAt: isoTime(deps.clock) }, context, errorMessage(err)),
        };
      }),
      assignFailure: assign(({ event }) => ({
        failure: { reason: 'CreateContainerConfigError', message: errorMessage((event as { error?: unknown }).error) },
      })),
      assignExit: assign(({ context, event }) => exitAssign(event.type === 'EXITED' ? event.exit : undefined, context)),
      assignStopExit: assign(({ context, event }) =>
        exitAssign((event as unknown as { output?: ExitInfo }).output, context),
      ),
      markUserStopped: assign({ userStopped: true }),
      clearUserStopped: assign({ userStopped: false, backoff: undefined }),
      assignReady: assign(({ event }) =>
        event.type === 'READY_CHANGED' ? { ready: event.ready, readyMessage: event.message } : {},
      ),
      clearReady: assign({ ready: false, readyMessage: undefined }),
      computeBackoff: assign(({ context }) => {
        const finished = context.lastState ? Date.parse(context.lastState.finishedAt) : deps.clock.now();
        const d = crashLoopBackoff(context.backoff, finished);
        // The wait runs from the exit; time already spent (e.g. a daemon restart) counts.
        const remaining = Math.max(0, finished + d.delayMs - deps.clock.now());
        return {
          backoff: d.state,
          backoffDelayMs: remaining,
          waiting:
            remaining > 0
              ? { reason: 'CrashLoopBackOff', message: backoffMessage(context.desired.name, d.delayMs) }
              : undefined,
        };
      }),
      countRestart: assign(({ context }) => ({ restartCount: context.restartCount + 1, waiting: undefined })),
      forgetContainer: assign({ containerID: undefined, pid: 0, startedAt: undefined, ipAddress: undefined }),
      /** After removal for a spec change: a fresh container for the new spec (counts start over). */
      applyPendingDesired: assign(({ context }) => ({
        desired: context.pendingDesired ?? context.desired,
        pendingDesired: undefined,
        image: undefined,
        imageCondition: { status: 'Unknown', reason: 'Pending' } as ImageCondition,
        restartCount: 0,
        lastState: undefined,
        backoff: undefined,
        stopIntent: undefined,
        userStopped: false,
        failure: undefined,
        waiting: undefined,
      })),
      eventCreatedIfNew: ({ context, event }) => {
        if ((event as unknown as { output: StartOutput }).output.created) {
          deps.record(context.desired.name, context.desired.uid, 'Normal', 'Created', `Created container ${context.desired.name}`);
        }
      },
      eventStarted: record('Normal', 'Started', (c) => `Started container ${c.desired.name}`),
      eventStartFailed: record('Warning', 'Failed', (c) => `Error: ${c.lastState?.message ?? c.failure?.message ?? 'start failed'}`),
      eventBackOffIfWaiting: ({ context: c }) => {
        if (c.backoffDelayMs > 0) deps.record(c.desired.name, c.desired.uid, 'Warning', 'BackOff', c.waiting?.message ?? backoffMessage(c.desired.name, c.backoffDelayMs));
      },
      eventKilling: record('Normal', 'Killing', (c) =>
        c.stopIntent === 'liveness'
          ? `Container ${c.desired.name} failed liveness probe, will be restarted`
          : c.stopIntent === 'recreate'
            ? `Container ${c.desired.name} definition changed, will be restarted`
            : `Stopping container ${c.desired.name}`,
      ),
      eventExited: record('Normal', 'Exited', (c) =>
        `Container ${c.desired.name} exited with code ${c.lastState?.exitCode}${c.lastState?.signal ? ` (${c.lastState.signal})` : ''}, reason ${c.lastState?.reason}`,
      ),
      eventRemoved: record('Normal', 'Removed', (c) => `Removed container ${c.desired.name}`),
      eventRemoveFailed: record('Warning', 'FailedRemove', (c) => `Removing container ${c.desired.name} failed; retrying`),
      eventPaused: record('Normal', 'Paused', (c) => `Paused container ${c.desired.name}`),
      eventUnpaused: record('Normal', 'Unpaused', (c) => `Unpaused container ${c.desired.name}`),
    },
  }).createMachine({
    id: 'container',
    context: ({ input }) => initialContext(input),
    initial: 'Pending',
    on: {
      DESIRED: [
        { guard: 'specHashChanged', actions: 'rememberDesiredChange' },
        { actions: 'assignDesired' },
      ],
      DELETE: { actions: 'rememberDelete' },
      // Remembered in any state: needed to create the container again after it vanished.
      IMAGE_READY: { actions: 'assignImage' },
      CONTAINER_GONE: { actions: 'forgetContainer' },
    },
    states: {
      Pending: {
        always: [
          { guard: 'adoptedRunning', target: 'Running', actions: 'clearAdopted' },
          { guard: 'adoptedExited', target: 'Exited', actions: 'clearAdopted' },
          { guard: 'deleteRequested', target: 'Removing', actions: { type: 'setStopIntent', params: { intent: 'delete' } } },
          { guard: 'specChangePending', target: 'Removing', actions: { type: 'setStopIntent', params: { intent: 'recreate' } } },
        ],
        on: {
          // Nothing exists yet: a new spec is simply taken over.
          DESIRED: { actions: 'assignDesired' },
          IMAGE_READY: { target: 'Creating', actions: 'assignImage' },
          IMAGE_PENDING: { target: 'WaitingForImage', actions: 'assignImageWaiting' },
          IMAGE_FAILED: { target: 'WaitingForImage', actions: 'assignImageWaiting' },
        },
      },
      WaitingForImage: {
        always: [
          { guard: 'deleteRequested', target: 'Removing', actions: { type: 'setStopIntent', params: { intent: 'delete' } } },
          { guard: 'specChangePending', target: 'Removing', actions: { type: 'setStopIntent', params: { intent: 'recreate' } } },
        ],
        on: {
          DESIRED: { actions: 'assignDesired' },
          IMAGE_READY: { target: 'Creating', actions: 'assignImage' },
          IMAGE_PENDING: { actions: 'assignImageWaiting' },
          IMAGE_FAILED: { actions: 'assignImageWaiting' },
        },
      },
      Creating: {
        invoke: {
          src: 'startContainer',
          input: ({ context }) => ({ context }),
          onDone: { target: 'Running', actions: ['assignStarted', 'eventCreatedIfNew', 'eventStarted'] },
          onError: [
            { guard: 'errorIsTerminal', target: 'Failed', actions: ['assignFailure', 'eventStartFailed'] },
            { target: 'Exited', actions: ['assignStartError', 'eventStartFailed'] },
          ],
        },
      },
      Running: {
        initial: 'Active',
        invoke: { src: 'watchExit', input: ({ context }) => ({ id: context.containerID! }) },
        exit: 'clearReady',
        always: [
          { guard: 'deleteRequested', target: 'Stopping', actions: { type: 'setStopIntent', params: { intent: 'delete' } } },
          { guard: 'specChangePending', target: 'Stopping', actions: { type: 'setStopIntent', params: { intent: 'recreate' } } },
        ],
        on: {
          EXITED: { target: 'Exited', actions: ['assignExit', 'eventExited'] },
          CONTAINER_GONE: { target: 'Exited', actions: ['assignExit', 'forgetContainer', 'eventExited'] },
          LIVENESS_FAILED: { target: 'Stopping', actions: { type: 'setStopIntent', params: { intent: 'liveness' } } },
          USER_STOP: { target: 'Stopping', actions: { type: 'setStopIntent', params: { intent: 'user' } } },
          READY_CHANGED: { actions: 'assignReady' },
        },
        states: {
          Active: {
            invoke: { src: 'runProbes', input: ({ context }) => ({ context }) },
            on: { PAUSE: 'Pausing' },
          },
          Pausing: {
            invoke: {
              src: 'pauseContainer',
              input: ({ context }) => ({ id: context.containerID! }),
              onDone: { target: 'Paused', actions: 'eventPaused' },
              onError: 'Active',
            },
          },
          Paused: {
            entry: 'clearReady',
            on: { UNPAUSE: 'Resuming' },
          },
          Resuming: {
            invoke: {
              src: 'resumeContainer',
              input: ({ context }) => ({ id: context.containerID! }),
              onDone: { target: 'Active', actions: 'eventUnpaused' },
              onError: 'Paused',
            },
          },
        },
      },
      Exited: {
        always: [
          { guard: 'deleteRequested', target: 'Removing', actions: { type: 'setStopIntent', params: { intent: 'delete' } } },
          { guard: 'specChangePending', target: 'Removing', actions: { type: 'setStopIntent', params: { intent: 'recreate' } } },
          { guard: 'shouldRestart', target: 'BackOff' },
        ],
        on: {
          // A start by the user is not a restart (not counted), as with `docker start`.
          USER_START: { target: 'Creating', actions: 'clearUserStopped' },
        },
      },
      BackOff: {
        entry: ['computeBackoff', 'eventBackOffIfWaiting'],
        always: [
          { guard: 'deleteRequested', target: 'Removing', actions: { type: 'setStopIntent', params: { intent: 'delete' } } },
          { guard: 'specChangePending', target: 'Removing', actions: { type: 'setStopIntent', params: { intent: 'recreate' } } },
          // Kubernetes restarts the first crash at once.
          { guard: 'noBackoffWait', target: 'Restarting' },
        ],
        after: { backoffDelay: 'Restarting' },
        on: {
          USER_STOP: { target: 'Exited', actions: 'markUserStopped' },
          USER_START: { target: 'Creating', actions: 'clearUserStopped' },
        },
      },
      Restarting: {
        entry: 'countRestart',
        invoke: {
          src: 'startContainer',
          input: ({ context }) => ({ context }),
          onDone: { target: 'Running', actions: ['assignStarted', 'eventStarted'] },
          onError: [
            { guard: 'errorIsTerminal', target: 'Failed', actions: ['assignFailure', 'eventStartFailed'] },
            { target: 'Exited', actions: ['assignStartError', 'eventStartFailed'] },
          ],
        },
      },
      Stopping: {
        entry: 'eventKilling',
        invoke: {
          src: 'stopContainer',
          input: ({ context }) => ({
            ...(context.containerID ? { id: context.containerID } : {}),
            ...(context.desired.spec.stopSignal ? { signal: context.desired.spec.stopSignal } : {}),
            timeoutSeconds: context.desired.spec.terminationGracePeriodSeconds,
          }),
          onDone: [
            { guard: { type: 'stopIntentIs', params: { intent: 'user' } }, target: 'Exited', actions: ['assignStopExit', 'markUserStopped', 'eventExited'] },
            { guard: { type: 'stopIntentIs', params: { intent: 'liveness' } }, target: 'Exited', actions: ['assignStopExit', 'eventExited'] },
            { target: 'Removing', actions: 'assignStopExit' },
          ],
          // The runtime could not stop it: removal kills it anyway (force).
          onError: [
            { guard: { type: 'stopIntentIs', params: { intent: 'user' } }, target: 'Running' },
            { guard: { type: 'stopIntentIs', params: { intent: 'liveness' } }, target: 'Running' },
            { target: 'Removing' },
          ],
        },
      },
      Removing: {
        invoke: {
          src: 'removeContainer',
          input: ({ context }) => (context.containerID ? { id: context.containerID } : {}),
          onDone: [
            { guard: 'removingForDelete', target: 'Removed', actions: ['forgetContainer', 'eventRemoved'] },
            { target: 'Pending', actions: ['forgetContainer', 'applyPendingDesired'] },
          ],
          onError: { target: 'RemoveBackoff', actions: 'eventRemoveFailed' },
        },
      },
      RemoveBackoff: {
        after: { removeRetryDelay: 'Removing' },
      },
      Failed: {
        always: [
          { guard: 'deleteRequested', target: 'Removing', actions: { type: 'setStopIntent', params: { intent: 'delete' } } },
          { guard: 'specChangePending', target: 'Removing', actions: { type: 'setStopIntent', params: { intent: 'recreate' } } },
        ],
      },
      Removed: { type: 'final' },
    },
  });
}

export type ContainerMachine = ReturnType<typeof createContainerMachine>;
export type ContainerSnapshot = SnapshotFrom<ContainerMachine>;
