// Docker's detach keys (--detach-keys, default ctrl-p,ctrl-q): parsed as moby's term.ToBytes does,
// and found in a typed stream as its escape proxy finds them — the keys of a partial match are held
// back, and sent on when the next key does not continue the sequence. Used by the CLI (to know it
// detached) and by the daemon's attach (for any client, as dockerd does).
import { InvalidArgumentError } from '../errdefs.ts';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** ctrl-@ is 0, ctrl-a 1 … ctrl-z 26, then ctrl-[ ctrl-\ ctrl-] ctrl-^ ctrl-_ (27 … 31). */
const CTRL = ['ctrl-@', ...'abcdefghijklmnopqrstuvwxyz'.split('').map((c) => `ctrl-${c}`), 'ctrl-[', 'ctrl-\\', 'ctrl-]', 'ctrl-^', 'ctrl-_'];

export function parseDetachKeys(keys: string): Buffer {
  const out: number[] = [];
  for (const key of keys.split(',')) {
    if (key.length === 1) {
      out.push(key.charCodeAt(0));
      continue;
    }
    const code = CTRL.indexOf(key);
    if (code < 0) {
      throw new InvalidArgumentError(
        `invalid detach keys "${keys}": unknown key "${key}"; give comma-separated keys: a single character, or ctrl-a … ctrl-z, ctrl-@, ctrl-[, ctrl-\\, ctrl-], ctrl-^, ctrl-_ (default ${DEFAULT_DETACH_KEYS})`,
      );
    }
    out.push(code);
  }
  return Buffer.from(out);
}

/** Finds the detach sequence in what is typed; what is not part of it passes through. */
export class DetachKeyFilter {
  readonly #keys: Buffer;
  #matched = 0;

  constructor(keys: Buffer) {
    this.#keys = keys;
  }

  /** The bytes to send on, and whether the sequence is complete (then nothing after it counts). */
  push(chunk: Buffer): { data: Buffer; detached: boolean } {
    if (this.#keys.length === 0) return { data: chunk, detached: false };
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.#keys[this.#matched]) {
        if (++this.#matched === this.#keys.length) return { data: Buffer.from(out), detached: true };
        continue;
      }
      // Not the sequence after all: the held keys go on, and this key may start it again.
      for (let i = 0; i < this.#matched; i++) out.push(this.#keys[i]!);
      this.#matched = b === this.#keys[0] ? 1 : 0;
      if (this.#matched === 0) out.push(b);
      else if (this.#keys.length === 1) return { data: Buffer.from(out), detached: true };
    }
    return { data: Buffer.from(out), detached: false };
  }
}
