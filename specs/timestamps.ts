// Timestamps as text, put together from a date's UTC fields instead of by Date's own toISOString and
// toUTCString. Why: V8 (Node 20's V8 11.3) works out the local time zone's offset in every Date-to-text
// conversion, the UTC ones included, and the first one in a process loads ICU's time zone data for it:
// 0.8-1 MiB of the daemon's resident memory (node's binary pages of ICU's data and the zone objects
// made from them; `npm run bench -- apply`'s sequence, 100 containers), for text that never shows local
// time. The text is the same as Date's (test/specs/timestamps.test.ts compares them).

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `t` as toISOString gives it: 2026-12-03T23:41:15.123Z. */
export function isoTime(t: Date | number = Date.now()): string {
  const d = typeof t === 'number' ? new Date(t) : t;
  const y = d.getUTCFullYear();
  // Years beyond four digits are written ±YYYYYY, and an invalid date throws: Date's own, for both.
  if (!(y >= 0 && y <= 9999)) return d.toISOString();
  return `${pad(y, 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}Z`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `t` as an HTTP date (RFC 9110's IMF-fixdate, what toUTCString gives): Thu, 03 Dec 2026 23:41:15 GMT. */
export function httpDate(t: Date | number = Date.now()): string {
  const d = typeof t === 'number' ? new Date(t) : t;
  const y = d.getUTCFullYear();
  if (!(y >= 0 && y <= 9999)) return d.toUTCString();
  return `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${pad(y, 4)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} GMT`;
}
