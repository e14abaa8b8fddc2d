import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BACKOFF_RESET_MS,
  backoffMessage,
  crashLoopBackoff,
  policyRestarts,
  pullBackoffMs,
  restartWait,
  shouldRestart,
  terminatedState,
} from '../../controllers/backoff.ts';
import type { BackoffState } from '../../specs/api/containers.ts';

describe('CrashLoopBackOff', () => {
  it('restarts the first exit at once, then waits 10 s doubling to a 5 min cap', () => {
    let state: BackoffState | undefined;
    const delays: number[] = [];
    let t = 1_000_000;
    for (let i = 0; i < 9; i++) {
      const d = crashLoopBackoff(state, t);
      delays.push(d.delayMs / 1000);
      state = d.state;
      t += d.delayMs + 1000; // each run lasts 1 s after its restart
    }
    assert.deepEqual(delays, [0, 10, 20, 40, 80, 160, 300, 300, 300]);
  });

  it('starts over after a run longer than 10 minutes, not after exactly 10', () => {
    const s: BackoffState = { nextDelayMs: 160_000, lastExitAt: 0 };
    assert.equal(crashLoopBackoff(s, BACKOFF_RESET_MS).delayMs, 160_000);
    const reset = crashLoopBackoff(s, BACKOFF_RESET_MS + 1);
    assert.equal(reset.delayMs, 0);
    assert.equal(reset.state.nextDelayMs, 10_000);
  });

  it('the wait runs from the exit: time already spent (a daemon restart) counts, down to none', () => {
    const series: BackoffState = { nextDelayMs: 40_000, lastExitAt: Date.parse('2026-01-01T00:00:00Z') };
    const exitAt = '2026-01-01T00:01:00.000Z';
    const w = restartWait(series, exitAt, Date.parse(exitAt) + 15_000);
    assert.deepEqual(w, { delayMs: 40_000, remainingMs: 25_000, state: { nextDelayMs: 80_000, lastExitAt: Date.parse(exitAt) } });
    assert.equal(restartWait(series, exitAt, Date.parse(exitAt) + 90_000).remainingMs, 0);
    const now = Date.parse(exitAt);
    assert.deepEqual(restartWait(undefined, undefined, now), { delayMs: 0, remainingMs: 0, state: { nextDelayMs: 10_000, lastExitAt: now } });
  });

  it('words the wait as kubelet does', () => {
    assert.equal(backoffMessage('web', 20_000), 'back-off 20s restarting failed container=web');
    assert.equal(backoffMessage('web', 300_000), 'back-off 5m0s restarting failed container=web');
    assert.equal(backoffMessage('web', 80_000), 'back-off 1m20s restarting failed container=web');
  });
});

describe('restart policy', () => {
  it('Always restarts every exit, OnFailure non-zero ones, Never none', () => {
    assert.deepEqual(
      (['Always', 'OnFailure', 'Never'] as const).map((p) => [policyRestarts(p, 0), policyRestarts(p, 1), policyRestarts(p, 137)]),
      [
        [true, true, true],
        [false, true, true],
        [false, false, false],
      ],
    );
  });
});

describe('ImagePullBackOff', () => {
  it('retries a failed pull after 10 s doubling to a 5 min cap', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 12].map((n) => pullBackoffMs(n) / 1000), [10, 20, 40, 80, 160, 300, 300, 300]);
  });
});

describe('shouldRestart', () => {
  const exited = (exitCode: number) => terminatedState({ exitCode, oomKilled: false, finishedAt: '2026-01-01T00:00:05.000Z' });
  it('restarts what the policy restarts, never a container the user stopped or one that has not run', () => {
    assert.equal(shouldRestart('OnFailure', exited(1), false), true);
    assert.equal(shouldRestart('OnFailure', exited(0), false), false);
    assert.equal(shouldRestart('Always', exited(143), true), false);
    assert.equal(shouldRestart('Always', undefined, false), false);
  });
});

describe('lastState', () => {
  const finishedAt = '2026-01-01T00:00:05.000Z';
  it('names the reason: Completed, Error, OOMKilled, StartError', () => {
    assert.equal(terminatedState({ exitCode: 0, oomKilled: false, finishedAt }).reason, 'Completed');
    assert.equal(terminatedState({ exitCode: 2, oomKilled: false, finishedAt }).reason, 'Error');
    assert.equal(terminatedState({ exitCode: 137, signal: 'SIGKILL', oomKilled: true, finishedAt }).reason, 'OOMKilled');
    const se = terminatedState({ exitCode: 128, oomKilled: false, finishedAt }, { startError: 'exec: "nope": not found' });
    assert.equal(se.reason, 'StartError');
    assert.equal(se.message, 'exec: "nope": not found');
  });
  it('keeps exit code, signal, times and container id', () => {
    const s = terminatedState(
      { exitCode: 143, signal: 'SIGTERM', oomKilled: false, finishedAt },
      { startedAt: '2026-01-01T00:00:00.000Z', containerID: 'abc' },
    );
    assert.deepEqual(s, {
      exitCode: 143,
      signal: 'SIGTERM',
      reason: 'Error',
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt,
      containerID: 'abc',
    });
  });
});
