// The actions of the Container machine: assign actions (what each transition changes in the
// actor's context) and the events it records. Each is named; the machine (container-machine.ts)
// only refers to them by name.
import { assign, type ActionArgs, type ParameterizedObject } from 'xstate';
import type { ExitInfo } from '../specs/api/containers.ts';
import type { EngineContainer } from '../engine/engine.ts';
import { backoffMessage, restartWait, terminatedState } from './backoff.ts';
import { isoTime } from './clock.ts';
import type { StartOutput } from './container-actors.ts';
import type { ContainerEvent, ImageCondition, MachineContext, MachineDeps, StopIntent } from './container-types.ts';
import { errorMessage } from './errors.ts';

type Args = ActionArgs<MachineContext, ContainerEvent, ContainerEvent>;

/** An assign action from a function of the context and event (typed for this machine). */
function update<P extends ParameterizedObject['params'] | undefined = undefined>(f: (args: Args, params: P) => Partial<MachineContext>) {
  return assign<MachineContext, ContainerEvent, P, ContainerEvent, never>(f);
}

/** The output of an invoked actor's done event, or the error of its error event. */
const outputOf = <T>(event: ContainerEvent) => (event as unknown as { output: T }).output;
const errorOf = (event: ContainerEvent) => (event as { error?: unknown }).error;

const PENDING_IMAGE: ImageCondition = { status: 'Unknown', reason: 'Pending' };
const PRESENT_IMAGE: ImageCondition = { status: 'True', reason: 'Present' };

export function containerActions(deps: Pick<MachineDeps, 'clock' | 'record'>) {
  const record =
    (type: 'Normal' | 'Warning', reason: string, message: (c: MachineContext) => string) =>
    ({ context }: Args) =>
      deps.record(context.desired.name, context.desired.uid, type, reason, message(context));

  /** A run ended (an exit, or a start that failed): its terminated state becomes lastState. */
  const ended = (exit: ExitInfo | undefined, context: MachineContext, startError?: string): Partial<MachineContext> => {
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

  return {
    clearAdopted: update(() => ({ adopted: undefined })),
    rememberDesiredChange: update(({ event }) => (event.type === 'DESIRED' ? { pendingDesired: event.desired } : {})),
    /** Same spec (labels, generation): taken over at once; a pending change back to it is dropped. */
    assignDesired: update(({ event }) => (event.type === 'DESIRED' ? { desired: event.desired, pendingDesired: undefined } : {})),
    rememberDelete: update(() => ({ deleteRequested: true })),
    setStopIntent: update<{ intent: StopIntent }>((_, params) => ({ stopIntent: params.intent })),
    assignImage: update(({ event }) => (event.type === 'IMAGE_READY' ? { image: event.image, imageCondition: PRESENT_IMAGE, waiting: undefined } : {})),
    assignImageWaiting: update(({ event }) => {
      if (event.type !== 'IMAGE_PENDING' && event.type !== 'IMAGE_FAILED') return {};
      const why = { reason: event.reason, ...(event.type === 'IMAGE_FAILED' || event.message ? { message: event.message } : {}) };
      return { imageCondition: { status: 'False', ...why }, waiting: why };
    }),
    assignStarted: update(({ event }) => {
      const c = outputOf<StartOutput>(event).container;
      return {
        containerID: c.id,
        pid: c.pid,
        startedAt: c.startedAt ?? isoTime(deps.clock),
        ...(c.ipAddress ? { ipAddress: c.ipAddress } : {}),
        ...(c.ports ? { ports: c.ports } : {}),
        waiting: undefined,
        failure: undefined,
      };
    }),
    assignStartError: update(({ context, event }) => {
      const err = errorOf(event);
      const id = (err as { containerID?: string } | undefined)?.containerID ?? context.containerID;
      return {
        ...(id ? { containerID: id } : {}),
        ...ended({ exitCode: 128, oomKilled: false, finishedAt: isoTime(deps.clock) }, context, errorMessage(err)),
      };
    }),
    assignFailure: update(({ event }) => ({ failure: { reason: 'CreateContainerConfigError', message: errorMessage(errorOf(event)) } })),
    assignExit: update(({ context, event }) => ended(event.type === 'EXITED' ? event.exit : undefined, context)),
    assignStopExit: update(({ context, event }) => ended(outputOf<ExitInfo | undefined>(event), context)),
    markUserStopped: update(() => ({ userStopped: true })),
    assignStopTimeout: update(({ event }) => ({ stopTimeoutSeconds: event.type === 'USER_STOP' ? event.timeoutSeconds : undefined })),
    clearStopTimeout: update(() => ({ stopTimeoutSeconds: undefined })),
    clearUserStopped: update(() => ({ userStopped: false, backoff: undefined })),
    assignReady: update(({ event }) => (event.type === 'READY_CHANGED' ? { ready: event.ready, readyMessage: event.message } : {})),
    clearReady: update(() => ({ ready: false, readyMessage: undefined })),
    readyWithoutProbe: update(({ context }) => (context.desired.spec.readinessProbe ? {} : { ready: true, readyMessage: undefined })),
    computeBackoff: update(({ context }) => {
      const w = restartWait(context.backoff, context.lastState?.finishedAt, deps.clock.now());
      return {
        backoff: w.state,
        backoffDelayMs: w.remainingMs,
        waiting: w.remainingMs > 0 ? { reason: 'CrashLoopBackOff', message: backoffMessage(context.desired.name, w.delayMs) } : undefined,
      };
    }),
    countRestart: update(({ context }) => ({ restartCount: context.restartCount + 1, waiting: undefined })),
    forgetContainer: update(() => ({ containerID: undefined, pid: 0, startedAt: undefined, ipAddress: undefined, ports: undefined })),
    /** After removal for a spec change: a fresh container for the new spec (counts start over). */
    applyPendingDesired: update(({ context }) => ({
      desired: context.pendingDesired ?? context.desired,
      pendingDesired: undefined,
      image: undefined,
      imageCondition: PENDING_IMAGE,
      restartCount: 0,
      lastState: undefined,
      backoff: undefined,
      stopIntent: undefined,
      userStopped: false,
      failure: undefined,
      waiting: undefined,
    })),

    assignCreated: update(({ event }) => ({ containerID: outputOf<EngineContainer>(event).id, waiting: undefined, failure: undefined })),
    eventCreated: record('Normal', 'Created', (c) => `Created container ${c.desired.name}`),
    eventCreatedIfNew: ({ context, event }: Args) => {
      if (outputOf<StartOutput>(event).created) {
        deps.record(context.desired.name, context.desired.uid, 'Normal', 'Created', `Created container ${context.desired.name}`);
      }
    },
    eventStarted: record('Normal', 'Started', (c) => `Started container ${c.desired.name}`),
    /** Each new reason to wait for the image (the decision sends only changes): pulling, an Image object not there or not ready, a failure. */
    eventImageWaiting: ({ context, event }: Args) => {
      if (event.type !== 'IMAGE_PENDING' && event.type !== 'IMAGE_FAILED') return;
      const type = event.type === 'IMAGE_FAILED' ? 'Warning' : 'Normal';
      deps.record(context.desired.name, context.desired.uid, type, event.reason, event.message ?? `Waiting for image "${context.desired.spec.image}" (${event.reason})`);
    },
    eventStartFailed: record('Warning', 'Failed', (c) => `Error: ${c.lastState?.message ?? c.failure?.message ?? 'start failed'}`),
    eventBackOffIfWaiting: ({ context: c }: Args) => {
      if (c.backoffDelayMs > 0) {
        deps.record(c.desired.name, c.desired.uid, 'Warning', 'BackOff', c.waiting?.message ?? backoffMessage(c.desired.name, c.backoffDelayMs));
      }
    },
    eventKilling: record('Normal', 'Killing', (c) =>
      c.stopIntent === 'liveness'
        ? `Container ${c.desired.name} failed liveness probe, will be restarted`
        : c.stopIntent === 'recreate'
          ? `Container ${c.desired.name} definition changed, will be restarted`
          : `Stopping container ${c.desired.name}`,
    ),
    eventExited: record('Normal', 'Exited', (c) => {
      const l = c.lastState;
      return `Container ${c.desired.name} exited with code ${l?.exitCode}${l?.signal ? ` (${l.signal})` : ''}, reason ${l?.reason}`;
    }),
    eventRemoved: record('Normal', 'Removed', (c) => `Removed container ${c.desired.name}`),
    eventRemoveFailed: record('Warning', 'FailedRemove', (c) => `Removing container ${c.desired.name} failed; retrying`),
    eventPaused: record('Normal', 'Paused', (c) => `Paused container ${c.desired.name}`),
    eventUnpaused: record('Normal', 'Unpaused', (c) => `Unpaused container ${c.desired.name}`),
  };
}
