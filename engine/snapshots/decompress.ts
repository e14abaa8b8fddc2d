// Layer decompressors as streams, chosen from a blob's first bytes: gzip through Node's zlib;
// zstd (OCI's tar+zstd layers) through Node's zlib where it has it (22.15 and later), else through
// Debian's `zstd` program when it is installed, else through fzstd, a pure-JS streaming decoder from
// npm — each behind the same stream interface, so every Node that berth supports (20 on) unpacks
// both. (fzstd decodes at about 40 MB/s on this kind of host, the zstd program at several hundred.)
// The layer's diff_id check catches a wrong decode whichever does it.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Duplex, Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';
import * as zlib from 'node:zlib';
import { Decompress } from 'fzstd';

/** Large output chunks: zlib's default 16 KiB makes the whole pipeline crawl (measured: 3× slower). */
const CHUNK = 1 << 20;

export type Compression = 'gzip' | 'zstd' | 'none';

/** What the first bytes of a blob say it is. */
export function compressionOf(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

/** Zstandard decoding with fzstd, as a stream: each decoded block is passed on as it comes. */
export class FzstdDecompress extends Transform {
  readonly #decoder = new Decompress((data) => {
    if (data.length) this.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  });

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.#decoder.push(chunk);
      cb();
    } catch (err) {
      cb(zstdError(err));
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.#decoder.push(new Uint8Array(0), true);
      cb();
    } catch (err) {
      cb(zstdError(err));
    }
  }
}

function zstdError(err: unknown): Error {
  return new Error(`zstd: ${(err as Error).message}`, { cause: err });
}

/** Decoding by the `zstd` program (`zstd -d -c`): bytes in on its stdin, out of its stdout. */
export class ZstdProcessDecompress extends Duplex {
  readonly #child: ChildProcessByStdio<Writable, Readable, Readable>;
  #stderr = '';

  constructor(program: string) {
    super();
    const child = spawn(program, ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child = child;
    child.stdout.on('data', (c: Buffer) => {
      if (!this.push(c)) child.stdout.pause();
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (this.#stderr += d));
    child.stdin.on('error', () => undefined); // it exited early: its status says why
    child.on('error', (err) => this.destroy(new Error(`zstd: cannot run ${program}: ${err.message}`, { cause: err })));
    child.on('close', (code, signal) => {
      if (code === 0) this.push(null);
      else if (!this.destroyed) this.destroy(new Error(`zstd: ${this.#stderr.trim() || (signal ? `killed by ${signal}` : `exit status ${code}`)}`));
    });
  }

  override _read(): void {
    this.#child.stdout.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#child.stdin.write(chunk, () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.#child.stdin.end(() => cb());
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.#child.exitCode === null) this.#child.kill();
    cb(err);
  }
}

/** The `zstd` program on PATH, looked for once. */
let zstdProgram: string | null | undefined;
export function findZstdProgram(): string | undefined {
  if (zstdProgram === undefined) {
    zstdProgram = null;
    for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
      try {
        accessSync(join(dir, 'zstd'), constants.X_OK);
        zstdProgram = join(dir, 'zstd');
        break;
      } catch {
        // not in this directory
      }
    }
  }
  return zstdProgram ?? undefined;
}

type ZstdFactory = (o?: { chunkSize?: number }) => Transform;

/** A zstd decoder: Node's own where this Node has one, else the zstd program's, else fzstd's. */
export function createZstdDecompress(): Duplex {
  const native = (zlib as unknown as { createZstdDecompress?: ZstdFactory }).createZstdDecompress;
  if (native) return native({ chunkSize: CHUNK });
  const program = findZstdProgram();
  return program ? new ZstdProcessDecompress(program) : new FzstdDecompress();
}

/** The decompressor for a blob that starts with `head`, or undefined for a plain tar. */
export function decompressorFor(head: Buffer): Duplex | undefined {
  switch (compressionOf(head)) {
    case 'gzip':
      return zlib.createGunzip({ chunkSize: CHUNK });
    case 'zstd':
      return createZstdDecompress();
    default:
      return undefined;
  }
}
