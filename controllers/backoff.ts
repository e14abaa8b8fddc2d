// Restart decisions as the kubelet makes them, as pure functions of plain values:
//  - restart policy: Always restarts every exit, OnFailure only non-zero exits, Never none;
//  - CrashLoopBackOff: the first restart happens at once, then each exit waits 10 s, 20 s, 40 s …
//    capped at 5 min, counted from the moment the container exited; a container that ran for more
//    than 10 min (twice the cap, as kubelet's flowcontrol.Backoff expires entries) starts the series
//    over (restarted at once);
//  - lastState: the terminated state recorded for the previous run (reason OOMKilled / Error /
//    Completed / StartError, exit code, signal, start and finish times);
//  - ImagePullBackOff: a failed pull is tried again after 10 s, 20 s, 40 s … capped at 5 min.
import type { BackoffState, ExitInfo, TerminatedReason, TerminatedState } from '../specs/api/containers.ts';

export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;
/** A run longer than this resets the backoff (kubelet: 2 × the maximum backoff). */
export const BACKOFF_RESET_MS = 2 * BACKOFF_MAX_MS;

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface BackoffDecision {
  /** How long to wait after `finishedAt` before restarting (0: at once). */
  delayMs: number;
  state: BackoffState;
}

/** The wait before restarting a container that exited at `finishedAt`, given the series so far. */
export function crashLoopBackoff(prev: BackoffState | undefined, finishedAt: number): BackoffDecision {
  if (prev === undefined || finishedAt - prev.lastExitAt > BACKOFF_RESET_MS) {
    return { delayMs: 0, state: { nextDelayMs: BACKOFF_INITIAL_MS, lastExitAt: finishedAt } };
  }
  return {
    delayMs: prev.nextDelayMs,
    state: { nextDelayMs: Math.min(prev.nextDelayMs * 2, BACKOFF_MAX_MS), lastExitAt: finishedAt },
  };
}

export interface RestartWait extends BackoffDecision {
  /** What is left of delayMs at `now`: the wait runs from the exit, so time already spent counts. */
  remainingMs: number;
}

/**
 * The wait before restarting after the exit recorded at `finishedAt` (RFC 3339; now when there is
 * none), as seen at `now` — after a daemon restart, part of it may already be over.
 */
export function restartWait(prev: BackoffState | undefined, finishedAt: string | undefined, now: number): RestartWait {
  const finished = finishedAt ? Date.parse(finishedAt) : now;
  const d = crashLoopBackoff(prev, finished);
  return { ...d, remainingMs: Math.max(0, finished + d.delayMs - now) };
}

/** How long after its `attempts`-th failure in a row a pull is tried again. */
export function pullBackoffMs(attempts: number): number {
  return Math.min(BACKOFF_INITIAL_MS * 2 ** (Math.max(1, attempts) - 1), BACKOFF_MAX_MS);
}

/** Whether the policy restarts a container that exited with `exitCode`. */
export function policyRestarts(policy: RestartPolicy, exitCode: number): boolean {
  switch (policy) {
    case 'Always':
      return true;
    case 'OnFailure':
      return exitCode !== 0;
    case 'Never':
      return false;
  }
}

/** Whether an exited container is restarted: the policy restarts this exit and the user did not stop it. */
export function shouldRestart(policy: RestartPolicy, lastState: TerminatedState | undefined, userStopped: boolean): boolean {
  return !userStopped && lastState !== undefined && policyRestarts(policy, lastState.exitCode);
}

/** The terminated state for one run; `startError` when the process never started. */
export function terminatedState(
  exit: ExitInfo,
  opts: { startedAt?: string; containerID?: string; startError?: string } = {},
): TerminatedState {
  const reason: TerminatedReason = opts.startError
    ? 'StartError'
    : exit.oomKilled
      ? 'OOMKilled'
      : exit.exitCode === 0
        ? 'Completed'
        : 'Error';
  return {
    exitCode: exit.exitCode,
    ...(exit.signal ? { signal: exit.signal } : {}),
    reason,
    ...(opts.startError ? { message: opts.startError } : {}),
    ...(opts.startedAt ? { startedAt: opts.startedAt } : {}),
    finishedAt: exit.finishedAt,
    ...(opts.containerID ? { containerID: opts.containerID } : {}),
  };
}

/** How Kubernetes words the wait: "back-off 20s restarting failed container=web". */
export function backoffMessage(name: string, delayMs: number): string {
  const s = Math.round(delayMs / 1000);
  const human = s >= 60 && s % 60 === 0 ? `${s / 60}m0s` : s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
  return `back-off ${human} restarting failed container=${name}`;
}
