// Restart decisions as the kubelet makes them, as pure functions of plain values:
//  - restart policy: Always restarts every exit, OnFailure only non-zero exits, Never none;
import type { BackoffState, ExitInfo, TerminatedReason, TerminatedState } from '../specs/api/containers.ts';
//  - CrashLoopBackOff: the first restart happens at once, then each exit waits 10 s, 20 s, 40 s …
//    capped at 5 min, counted from the moment the container exited; a container that ran for more
//    than 10 min (twice the cap, as kubelet's flowcontrol.Backoff expires entries) starts the series
//    over (restarted at once);
//  - lastState: the terminated state recorded for the previous run (reason OOMKilled / Error /
//    Completed / StartError, exit code, signal, start and finish times).

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
