// Docker's multiplexed stream (moby pkg/stdcopy): each chunk of a non-tty attach or exec goes with
// an 8-byte header [stream, 0, 0, 0, length (u32, big endian)], stream 0 stdin, 1 stdout, 2 stderr.
// berth's stream endpoints speak it to their clients (so a Docker API hijack reuses them), and
// berth-monitor speaks the same framing to the daemon (native/relay.h), with types of its own.

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;

export const RAW_STREAM = 'application/vnd.docker.raw-stream';
export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';

export function frameHeader(type: number, length: number): Buffer {
  const h = Buffer.alloc(8);
  h[0] = type;
  h.writeUInt32BE(length, 4);
  return h;
}

/** One frame: header and payload. */
export function frame(type: number, payload: Buffer): Buffer {
  return Buffer.concat([frameHeader(type, payload.length), payload]);
}

/** Splits a byte stream into frames as they complete; keeps a partial frame for the next chunk. */
export class FrameDecoder {
  #buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Array<{ type: number; payload: Buffer }> {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    const out: Array<{ type: number; payload: Buffer }> = [];
    while (this.#buf.length >= 8) {
      const len = this.#buf.readUInt32BE(4);
      if (this.#buf.length < 8 + len) break;
      out.push({ type: this.#buf[0]!, payload: this.#buf.subarray(8, 8 + len) });
      this.#buf = this.#buf.subarray(8 + len);
    }
    return out;
  }

  /** Bytes of an unfinished frame (a stream that ends here was cut). */
  get pending(): number {
    return this.#buf.length;
  }
}
