// The lifecycle of one Container as an XState v5 machine; one actor per Container object.
//
//   Pending ─IMAGE_PENDING→ WaitingForImage ─IMAGE_READY→ Creating ─done→ Running ─EXITED→ Exited
//   Exited ─policy restarts→ BackOff ─backoffDelay→ Restarting ─done→ Running
//   Running ─LIVENESS_FAILED / USER_STOP / spec change / delete→ Stopping → Exited | Removing
//   Removing → Pending (recreate with the new spec) | Removed (final)
//   Running.Active ⇄ Running.Paused; a terminal error (invalid spec) → Failed.
//
// This file holds the states and transitions only. Each effect is a named actor
// (container-actors.ts), each context change a named action (container-actions.ts), each timer a
// named delay, so tests drive it with a SimulatedClock passed as createActor's clock. An actor starts
// from the store's status (restoreContext in status.ts).
import { setup, type SnapshotFrom } from 'xstate';
import { shouldRestart } from './backoff.ts';
import { restartRule } from '../specs/docker/restart.ts';
import { containerActions } from './container-actions.ts';
import { containerActors } from './container-actors.ts';
import type { ContainerEvent, MachineContext, MachineDeps, MachineInput } from './container-types.ts';
import { isTerminal } from './errors.ts';
import { restoreContext } from './status.ts';

/**
 * A delete, or a spec change that arrived while busy, interrupts a state: through Stopping when a
 * process may run, straight to Removing otherwise. Checked first in every state that can wait.
 */
function interrupted(via: 'Stopping' | 'Removing') {
  return [
    { guard: 'deleteRequested', target: via, actions: { type: 'setStopIntent', params: { intent: 'delete' } } },
    { guard: 'specChangePending', target: via, actions: { type: 'setStopIntent', params: { intent: 'recreate' } } },
  ] as const;
}

/** Creating and Restarting: start the container; a terminal error fails for good, any other is an exit. */
function startInvoke(onDone: ReadonlyArray<'assignStarted' | 'eventCreatedIfNew' | 'eventStarted'>) {
  return {
    src: 'startContainer',
    input: ({ context }: { context: MachineContext }) => ({ context }),
    onDone: { target: 'Running', actions: [...onDone] },
    onError: [
      { guard: 'errorIsTerminal', target: 'Failed', actions: ['assignFailure', 'eventStartFailed'] },
      { target: 'Exited', actions: ['assignStartError', 'eventStartFailed'] },
    ],
  } as const;
}

export function createContainerMachine(deps: MachineDeps) {
  return setup({
    types: {
      context: {} as MachineContext,
      events: {} as ContainerEvent,
      input: {} as MachineInput,
    },
    actors: containerActors(deps),
    actions: containerActions(deps),
    guards: {
      adoptedRunning: ({ context }) => context.adopted === 'running',
      adoptedExited: ({ context }) => context.adopted === 'exited',
      adoptedCreated: ({ context }) => context.adopted === 'created',
      /** News of the actor's own container (or of no container in particular: its exit watch). */
      aboutMine: ({ context, event }) => !('containerID' in event) || event.containerID === undefined || event.containerID === context.containerID,
      /** `berth create`: made, not started, until the user's start. */
      holdsStart: ({ context }) => context.desired.holdStart === true && context.containerID === undefined,
      startNotHeld: ({ context }) => context.desired.holdStart !== true,
      deleteRequested: ({ context }) => context.deleteRequested,
      specChangePending: ({ context }) => context.pendingDesired !== undefined,
      /** The restart policy restarts this exit, the user did not stop it, and on-failure:N has restarts left. */
      shouldRestart: ({ context }) => {
        const rule = restartRule(context.desired.spec);
        return shouldRestart(rule.policy, context.lastState, context.userStopped) && (rule.maxRestarts === undefined || context.restartCount < rule.maxRestarts);
      },
      noBackoffWait: ({ context }) => context.backoffDelayMs <= 0,
      /** A stop by the user or the liveness probe keeps the container (Exited); others remove it. */
      stopKeepsContainer: ({ context }) => context.stopIntent === 'user' || context.stopIntent === 'liveness',
      stopByUser: ({ context }) => context.stopIntent === 'user',
      removingForDelete: ({ context }) => context.stopIntent === 'delete',
      errorIsTerminal: ({ event }) => isTerminal((event as { error?: unknown }).error),
      specHashChanged: ({ context, event }) => event.type === 'DESIRED' && event.desired.specHash !== context.desired.specHash,
    },
    delays: {
      backoffDelay: ({ context }) => context.backoffDelayMs,
      removeRetryDelay: () => deps.removeRetryMs ?? 1000,
    },
  }).createMachine({
    id: 'container',
    context: ({ input }) => restoreContext(input),
    initial: 'Pending',
    on: {
      DESIRED: [{ guard: 'specHashChanged', actions: 'rememberDesiredChange' }, { actions: 'assignDesired' }],
      DELETE: { actions: 'rememberDelete' },
      // Remembered in any state: needed to create the container again after it vanished.
      IMAGE_READY: { actions: 'assignImage' },
      CONTAINER_GONE: { guard: 'aboutMine', actions: 'forgetContainer' },
    },
    states: {
      Pending: {
        always: [
          { guard: 'adoptedRunning', target: 'Running', actions: 'clearAdopted' },
          { guard: 'adoptedExited', target: 'Exited', actions: 'clearAdopted' },
          { guard: 'adoptedCreated', target: 'Created', actions: 'clearAdopted' },
          ...interrupted('Removing'),
        ],
        on: {
          // Nothing exists yet: a new spec is simply taken over.
          DESIRED: { actions: 'assignDesired' },
          IMAGE_READY: [
            { guard: 'holdsStart', target: 'Preparing', actions: 'assignImage' },
            { target: 'Creating', actions: 'assignImage' },
          ],
          IMAGE_PENDING: { target: 'WaitingForImage', actions: ['assignImageWaiting', 'eventImageWaiting'] },
          IMAGE_FAILED: { target: 'WaitingForImage', actions: ['assignImageWaiting', 'eventImageWaiting'] },
        },
      },
      WaitingForImage: {
        always: [...interrupted('Removing')],
        on: {
          DESIRED: { actions: 'assignDesired' },
          IMAGE_READY: [
            { guard: 'holdsStart', target: 'Preparing', actions: 'assignImage' },
            { target: 'Creating', actions: 'assignImage' },
          ],
          IMAGE_PENDING: { actions: ['assignImageWaiting', 'eventImageWaiting'] },
          IMAGE_FAILED: { actions: ['assignImageWaiting', 'eventImageWaiting'] },
        },
      },
      Creating: {
        invoke: startInvoke(['assignStarted', 'eventCreatedIfNew', 'eventStarted']),
      },
      // `berth create`: made without a process; `berth start` (USER_START) starts it (Creating
      // finds its container and only starts it).
      Preparing: {
        invoke: {
          src: 'createContainer',
          input: ({ context }) => ({ context }),
          onDone: { target: 'Created', actions: ['assignCreated', 'eventCreated'] },
          onError: [
            { guard: 'errorIsTerminal', target: 'Failed', actions: ['assignFailure', 'eventStartFailed'] },
            { target: 'Failed', actions: ['assignFailure', 'eventStartFailed'] },
          ],
        },
      },
      Created: {
        // Without a hold (adopted after its start was asked, or the daemon died before starting it), it starts.
        always: [...interrupted('Removing'), { guard: 'startNotHeld', target: 'Creating', actions: 'clearUserStopped' }],
        on: {
          USER_START: { target: 'Creating', actions: 'clearUserStopped' },
        },
      },
      Running: {
        initial: 'Active',
        invoke: { src: 'watchExit', input: ({ context }) => ({ id: context.containerID! }) },
        exit: 'clearReady',
        always: [...interrupted('Stopping')],
        on: {
          EXITED: { guard: 'aboutMine', target: 'Exited', actions: ['assignExit', 'eventExited'] },
          CONTAINER_GONE: { guard: 'aboutMine', target: 'Exited', actions: ['assignExit', 'forgetContainer', 'eventExited'] },
          LIVENESS_FAILED: { target: 'Stopping', actions: { type: 'setStopIntent', params: { intent: 'liveness' } } },
          USER_STOP: { target: 'Stopping', actions: [{ type: 'setStopIntent', params: { intent: 'user' } }, 'assignStopTimeout'] },
          READY_CHANGED: { actions: 'assignReady' },
        },
        states: {
          Active: {
            // Without a readiness probe, ready on entry (one snapshot and status write, not two).
            entry: 'readyWithoutProbe',
            invoke: { src: 'runProbes', input: ({ context }) => ({ context }) },
            on: { PAUSE: 'Pausing' },
          },
          Pausing: {
            invoke: { src: 'pauseContainer', input: ({ context }) => ({ id: context.containerID! }), onDone: { target: 'Paused', actions: 'eventPaused' }, onError: 'Active' },
          },
          Paused: {
            entry: 'clearReady',
            on: { UNPAUSE: 'Resuming' },
          },
          Resuming: {
            invoke: { src: 'resumeContainer', input: ({ context }) => ({ id: context.containerID! }), onDone: { target: 'Active', actions: 'eventUnpaused' }, onError: 'Paused' },
          },
        },
      },
      Exited: {
        always: [...interrupted('Removing'), { guard: 'shouldRestart', target: 'BackOff' }],
        on: {
          // A start by the user is not a restart (not counted), as with `docker start`.
          USER_START: { target: 'Creating', actions: 'clearUserStopped' },
        },
      },
      BackOff: {
        entry: ['computeBackoff', 'eventBackOffIfWaiting'],
        // Kubernetes restarts the first crash at once.
        always: [...interrupted('Removing'), { guard: 'noBackoffWait', target: 'Restarting' }],
        after: { backoffDelay: 'Restarting' },
        on: {
          USER_STOP: { target: 'Exited', actions: 'markUserStopped' },
          USER_START: { target: 'Creating', actions: 'clearUserStopped' },
        },
      },
      Restarting: {
        entry: 'countRestart',
        invoke: startInvoke(['assignStarted', 'eventStarted']),
      },
      Stopping: {
        entry: 'eventKilling',
        invoke: {
          src: 'stopContainer',
          input: ({ context }) => ({
            ...(context.containerID ? { id: context.containerID } : {}),
            ...(context.desired.spec.stopSignal ? { signal: context.desired.spec.stopSignal } : {}),
            timeoutSeconds: context.stopTimeoutSeconds ?? context.desired.spec.terminationGracePeriodSeconds,
          }),
          onDone: [
            { guard: 'stopByUser', target: 'Exited', actions: ['assignStopExit', 'markUserStopped', 'clearStopTimeout', 'eventExited'] },
            { guard: 'stopKeepsContainer', target: 'Exited', actions: ['assignStopExit', 'eventExited'] },
            { target: 'Removing', actions: 'assignStopExit' },
          ],
          // The runtime could not stop it: removal kills it anyway (force).
          onError: [{ guard: 'stopKeepsContainer', target: 'Running' }, { target: 'Removing' }],
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
        always: [...interrupted('Removing')],
      },
      Removed: { type: 'final' },
    },
  });
}

export type ContainerMachine = ReturnType<typeof createContainerMachine>;
export type ContainerSnapshot = SnapshotFrom<ContainerMachine>;
