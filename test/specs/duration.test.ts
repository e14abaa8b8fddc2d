// The one duration parser: Go's text for Dockerfile flags, kubectl's for CLI flags.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDurationNs, parseDurationSeconds } from '../../specs/duration.ts';
import { InvalidArgumentError } from '../../specs/errdefs.ts';

describe('parseDurationNs (Go duration text)', () => {
  it('reads every unit and sums the parts', () => {
    assert.equal(parseDurationNs('30s'), 30e9);
    assert.equal(parseDurationNs('1m30s'), 90e9);
    assert.equal(parseDurationNs('500ms'), 5e8);
    assert.equal(parseDurationNs('1.5h'), 5400e9);
    assert.equal(parseDurationNs('2us'), 2000);
    assert.equal(parseDurationNs('2µs'), 2000);
    assert.equal(parseDurationNs('7ns'), 7);
  });

  it('refuses what is not a duration, by class', () => {
    for (const bad of ['', 'soon', '30', '30s ', '1x', 's']) {
      assert.throws(() => parseDurationNs(bad), (e: Error) => e instanceof InvalidArgumentError && e.message.includes(`"${bad}" is not a duration`), bad);
    }
  });
});

describe('parseDurationSeconds (CLI flags)', () => {
  it('takes plain seconds and Go text', () => {
    assert.equal(parseDurationSeconds('90', '--timeout'), 90);
    assert.equal(parseDurationSeconds(' 2.5 ', '--timeout'), 2.5);
    assert.equal(parseDurationSeconds('5m', '--timeout'), 300);
    assert.equal(parseDurationSeconds('1h30m', '--timeout'), 5400);
    assert.equal(parseDurationSeconds('500ms', '--timeout'), 0.5);
  });

  it('names the flag when the value is not a positive duration', () => {
    assert.throws(() => parseDurationSeconds('later', '--timeout'), (e: Error) => e instanceof InvalidArgumentError && /--timeout "later" is not a duration/.test(e.message));
    assert.throws(() => parseDurationSeconds('0', '--timeout'), (e: Error) => e instanceof InvalidArgumentError && /--timeout "0" must be longer than zero/.test(e.message));
    assert.throws(() => parseDurationSeconds('0s', '--timeout'), (e: Error) => e instanceof InvalidArgumentError && /must be longer than zero/.test(e.message));
  });
});
