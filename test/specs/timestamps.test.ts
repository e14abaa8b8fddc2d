// Timestamps made from a date's UTC fields (specs/timestamps.ts) are the text Date's own
// toISOString and toUTCString give, over the whole range of four-digit years and at its edges.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { httpDate, isoTime } from '../../specs/timestamps.ts';

/** Dates spread over years 0-9999 (a fixed sequence, so a failure repeats), and the edges. */
function dates(): Date[] {
  const out: Date[] = [];
  let x = 12345;
  for (let i = 0; i < 5000; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const d = new Date(0);
    d.setUTCFullYear(x % 10000, (x >> 3) % 12, 1 + ((x >> 7) % 28));
    d.setUTCHours((x >> 5) % 24, (x >> 9) % 60, (x >> 11) % 60, (x >> 13) % 1000);
    out.push(d);
  }
  const edge = (y: number, ...rest: number[]) => {
    const d = new Date(0);
    d.setUTCFullYear(y, rest[0] ?? 0, rest[1] ?? 1);
    d.setUTCHours(rest[2] ?? 0, rest[3] ?? 0, rest[4] ?? 0, rest[5] ?? 0);
    return d;
  };
  out.push(new Date(0), new Date(), edge(0), edge(9999, 11, 31, 23, 59, 59, 999), edge(2024, 1, 29), edge(1969, 11, 31, 23, 59, 59, 999));
  return out;
}

describe('timestamps', () => {
  it('isoTime is toISOString, from a Date or from milliseconds', () => {
    for (const d of dates()) {
      assert.equal(isoTime(d), d.toISOString());
      assert.equal(isoTime(d.getTime()), d.toISOString());
    }
    assert.match(isoTime(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('httpDate is toUTCString (an IMF-fixdate)', () => {
    for (const d of dates()) assert.equal(httpDate(d), d.toUTCString());
    assert.match(httpDate(), /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/);
  });

  it('years beyond four digits and invalid dates are as Date has them', () => {
    const far = new Date(0);
    far.setUTCFullYear(10000);
    assert.equal(isoTime(far), far.toISOString());
    assert.equal(httpDate(far), far.toUTCString());
    const before = new Date(0);
    before.setUTCFullYear(-1);
    assert.equal(isoTime(before), before.toISOString());
    assert.throws(() => isoTime(new Date(NaN)), RangeError);
    assert.equal(httpDate(new Date(NaN)), 'Invalid Date');
  });
});
