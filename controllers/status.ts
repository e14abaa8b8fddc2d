// The store's status is the one home of a Container's lifecycle. Both ways between it and an actor
// are here, as pure functions:
//  - containerStatus(): the status written to the store after every transition, derived from the
//    machine's snapshot: phase, containerID, pid, startedAt, restartCount, state / lastState as
//    kubelet reports them, conditions with reasons, and status.lifecycle — the facts that must
//    survive a daemon restart;
//  - restoreContext(): an actor's starting context, rebuilt from that status.lifecycle and the
//    container the engine still has. Nothing else carries lifecycle state from one actor to the next.
import type { Condition } from '../specs/schema.ts';
import type { ContainerPhase, ContainerState, ContainerStatus, ExitInfo, PersistedLifecycle, TerminatedState } from '../specs/api/containers.ts';
import { terminatedState } from './backoff.ts';
import { restartRule } from '../specs/docker/restart.ts';
import type { MachineContext, MachineInput } from './container-types.ts';

/**
 * A new actor's context: fresh for a new container; for an adopted one (a daemon restart), its
 * process as the engine reports it and the lifecycle the store recorded (restart count, lastState,
 * backoff series, a stop by the user). An exit that happened while the daemon was down becomes
 * lastState, unless the store already recorded that very exit.
 */
export function restoreContext({ desired, stored = {}, adopt }: MachineInput): MachineContext {
  const fresh: MachineContext = {
    desired,
    imageCondition: { status: 'Unknown', reason: 'Pending' },
    pid: 0,
    restartCount: stored.restartCount ?? 0,
    ...(stored.lastState ? { lastState: stored.lastState } : {}),
    ...(stored.backoff ? { backoff: stored.backoff } : {}),
    backoffDelayMs: 0,
    ready: false,
    deleteRequested: false,
    // A daemon restart forgets a user's stop under Docker's `always` (not `unless-stopped`).
    userStopped: (stored.userStopped ?? false) && !restartRule(desired.spec).startAfterDaemonRestart,
  };
  if (!adopt) return fresh;
  const found: MachineContext = {
    ...fresh,
    containerID: adopt.id,
    imageCondition: { status: 'True', reason: 'Present' },
    ...(adopt.startedAt ? { startedAt: adopt.startedAt } : {}),
    ...(adopt.ipAddress ? { ipAddress: adopt.ipAddress } : {}),
    ...(adopt.ports ? { ports: adopt.ports } : {}),
  };
  if (adopt.status === 'running' || adopt.status === 'paused') return { ...found, pid: adopt.pid, adopted: 'running' };
  // Made and never started: a `berth create`d one still waits for its start; one the daemon died
  // between making and starting (or whose start was asked meanwhile) is started — it never ran, so
  // it has no exit to report.
  if (adopt.status === 'created' && (desired.holdStart ? !stored.lastState : stored.lastState?.containerID !== adopt.id)) return { ...found, adopted: 'created' };
  const exit: ExitInfo = adopt.exit ?? { exitCode: 137, oomKilled: false, finishedAt: adopt.startedAt ?? adopt.createdAt };
  const known = stored.lastState?.containerID === adopt.id && stored.lastState.finishedAt === exit.finishedAt;
  return {
    ...found,
    adopted: 'exited',
    lastState: known
      ? stored.lastState
      : terminatedState(exit, { containerID: adopt.id, ...(adopt.startedAt ? { startedAt: adopt.startedAt } : {}) }),
  };
}

/** The phase shown for a machine state value. */
export function phaseOf(value: unknown): ContainerPhase {
  if (typeof value === 'string') return (value === 'RemoveBackoff' ? 'Removing' : value === 'Preparing' ? 'Creating' : value) as ContainerPhase;
  const running = (value as { Running?: string }).Running;
  return running === 'Paused' || running === 'Resuming' ? 'Paused' : 'Running';
}

type CondInput = Omit<Condition, 'lastTransitionTime'>;

/** Keeps a condition's lastTransitionTime unless its status changed (as Kubernetes does). */
export function mergeConditions(prev: Condition[] | undefined, next: CondInput[], now: string): Condition[] {
  return next.map((c) => {
    const old = prev?.find((p) => p.type === c.type);
    const lastTransitionTime = old && old.status === c.status ? old.lastTransitionTime : now;
    const out: Condition = { type: c.type, status: c.status, lastTransitionTime };
    if (c.reason) out.reason = c.reason;
    if (c.message) out.message = c.message;
    return out;
  });
}

export function containerStatus(
  phase: ContainerPhase,
  c: MachineContext,
  prevConditions: Condition[] | undefined,
  now: string,
): ContainerStatus {
  const running = phase === 'Running' || phase === 'Paused';
  let state: ContainerState;
  if (running) state = { running: { startedAt: c.startedAt ?? now } };
  else if (c.waiting) state = { waiting: c.waiting };
  else if (c.failure) state = { waiting: c.failure };
  else if ((phase === 'Exited' || phase === 'Stopping') && c.lastState) state = { terminated: c.lastState };
  else state = { waiting: { reason: phase === 'Creating' ? 'ContainerCreating' : phase } };

  const notReadyReason = running
    ? phase === 'Paused'
      ? 'ContainerPaused'
      : 'ReadinessProbeFailed'
    : 'waiting' in state
      ? state.waiting.reason
      : 'ContainerNotRunning';
  const conds: CondInput[] = [
    {
      type: 'ImageReady',
      status: c.imageCondition.status,
      reason: c.imageCondition.reason,
      ...(c.imageCondition.message ? { message: c.imageCondition.message } : {}),
    },
    {
      type: 'Started',
      status: running ? 'True' : 'False',
      reason: running ? 'Started' : 'waiting' in state ? state.waiting.reason : 'terminated' in state ? state.terminated.reason : phase,
    },
    c.ready && running
      ? { type: 'Ready', status: 'True', reason: 'Ready' }
      : {
          type: 'Ready',
          status: 'False',
          reason: notReadyReason,
          ...(running && c.readyMessage ? { message: c.readyMessage } : 'waiting' in state && state.waiting.message ? { message: state.waiting.message } : {}),
        },
  ];
  const lifecycle: PersistedLifecycle = {
    ...(c.containerID ? { containerID: c.containerID } : {}),
    restartCount: c.restartCount,
    ...(c.lastState ? { lastState: c.lastState } : {}),
    ...(c.backoff ? { backoff: c.backoff } : {}),
    ...(c.userStopped ? { userStopped: true } : {}),
  };
  const out: ContainerStatus = {
    observedGeneration: c.desired.generation,
    phase,
    restartCount: c.restartCount,
    ready: c.ready && running,
    state,
    conditions: mergeConditions(prevConditions, conds, now),
    lifecycle,
  };
  if (c.containerID) out.containerID = c.containerID;
  if (running && c.pid) out.pid = c.pid;
  if (running && c.startedAt) out.startedAt = c.startedAt;
  if (c.image) {
    out.image = c.image.ref;
    out.imageID = c.image.digest;
  }
  if (c.ipAddress) out.ipAddress = c.ipAddress;
  if (c.ports?.length) out.ports = c.ports;
  if (c.lastState) out.lastState = { terminated: c.lastState };
  if ('waiting' in state) {
    out.reason = state.waiting.reason;
    if (state.waiting.message) out.message = state.waiting.message;
  }
  return out;
}
